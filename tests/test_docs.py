"""The documentation is held to the code.

Every rule in the registry has a page with ruff's headings, the rules table says what
the registry says, every snippet is shown on some page and every include finds its file,
the navigation lists every page, and the site builds with ``mkdocs build --strict``.
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from codemods.rules import RULES

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
SNIPPETS = DOCS / "snippets"
MKDOCS_YML = ROOT / "mkdocs.yml"

RULE_PAGE_HEADINGS = [
    "What it does",
    "Why is this bad?",
    "Example",
    "Fix",
    "Fix safety",
    "Options",
    "References",
]
RULES_TABLE_HEADER = ["Code", "Name", "Fix safety", "Summary"]
# A pymdownx.snippets include: --8<-- "path" (or 'path'), relative to docs/snippets.
INCLUDE = re.compile(r"""--8<--\s+(["'])(?P<path>.+?)\1""")


def _pages() -> list[Path]:
    return sorted(page for page in DOCS.rglob("*.md") if SNIPPETS not in page.parents)


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _outside_code(markdown: str) -> Iterator[str]:
    """The lines of ``markdown`` that are not inside a fenced code block."""
    fence = ""
    for line in markdown.splitlines():
        stripped = line.strip()
        if fence:
            if stripped.startswith(fence):
                fence = ""
            continue
        if stripped.startswith(("```", "~~~")):
            fence = stripped[:3]
            continue
        yield line


def _includes(page: Path) -> list[str]:
    return [match["path"] for match in INCLUDE.finditer(_text(page))]


def _table_rows(markdown: str, header: list[str]) -> list[list[str]]:
    """The body rows of the Markdown table whose header row is ``header``."""

    def cells(line: str) -> list[str]:
        inner = line.strip().removeprefix("|").removesuffix("|")
        return [cell.strip().replace("\\|", "|") for cell in re.split(r"(?<!\\)\|", inner)]

    lines = list(_outside_code(markdown))
    for index, line in enumerate(lines):
        if line.lstrip().startswith("|") and cells(line) == header:
            rows = []
            for row in lines[index + 2 :]:  # skip the |---| line under the header
                if not row.lstrip().startswith("|"):
                    break
                rows.append(cells(row))
            return rows
    raise AssertionError(f"no table with the header {header}")


def _nav_pages(nav: object) -> Iterator[str]:
    """Every page path in an mkdocs ``nav``, however deeply nested."""
    if isinstance(nav, str):
        yield nav
    elif isinstance(nav, list):
        for item in nav:
            yield from _nav_pages(item)
    elif isinstance(nav, dict):
        for value in nav.values():
            yield from _nav_pages(value)


def _load_mkdocs_yml() -> dict:
    yaml = pytest.importorskip("yaml", reason="PyYAML (installed with mkdocs) reads mkdocs.yml")

    class Loader(yaml.SafeLoader):
        """Reads mkdocs' own tags (such as ``!relative``) as plain strings."""

    Loader.add_multi_constructor("!", lambda loader, suffix, node: loader.construct_scalar(node))
    return yaml.load(_text(MKDOCS_YML), Loader=Loader)


@pytest.mark.parametrize("spec", RULES, ids=lambda spec: spec.code)
def test_every_rule_has_a_page_with_ruffs_headings(spec) -> None:
    page = DOCS / "rules" / f"{spec.name}.md"
    assert page.is_file(), f"{spec.code} has no page at {page.relative_to(ROOT)}"
    lines = list(_outside_code(_text(page)))
    assert lines[0] == f"# {spec.name} ({spec.code})"
    headings = [line[3:].strip() for line in lines if line.startswith("## ")]
    assert headings == RULE_PAGE_HEADINGS


def test_rules_table_matches_the_registry_row_for_row() -> None:
    rows = _table_rows(_text(DOCS / "rules" / "index.md"), RULES_TABLE_HEADER)
    expected = [
        [spec.code, f"[{spec.name}]({spec.name}.md)", str(spec.safety), spec.summary] for spec in RULES
    ]
    assert rows == expected


def test_every_snippet_is_shown_on_some_page() -> None:
    included = {path for page in _pages() for path in _includes(page)}
    snippets = {
        path.relative_to(SNIPPETS).as_posix()
        for path in SNIPPETS.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    assert sorted(snippets - included) == []


@pytest.mark.parametrize("page", _pages(), ids=lambda page: page.relative_to(DOCS).as_posix())
def test_every_include_finds_its_snippet(page: Path) -> None:
    missing = [path for path in _includes(page) if not (SNIPPETS / path).is_file()]
    assert missing == []


def test_nav_lists_every_page_and_every_rule() -> None:
    nav = list(_nav_pages(_load_mkdocs_yml()["nav"]))
    assert sorted(nav) == sorted(page.relative_to(DOCS).as_posix() for page in _pages())
    assert "rules/index.md" in nav
    for spec in RULES:
        assert f"rules/{spec.name}.md" in nav, f"{spec.code} is missing from the nav"


@pytest.mark.skipif(importlib.util.find_spec("mkdocs") is None, reason="mkdocs is not installed (pip install -e '.[docs]')")
def test_the_site_builds_in_strict_mode(tmp_path: Path) -> None:
    build = subprocess.run(
        [
            sys.executable, "-m", "mkdocs", "build", "--strict",
            "--config-file", str(MKDOCS_YML), "--site-dir", str(tmp_path / "site"),
        ],
        cwd=tmp_path,  # the config must not depend on the directory it is built from
        capture_output=True,
        text=True,
        timeout=300,
    )  # fmt: skip
    assert build.returncode == 0, build.stderr
    for spec in RULES:
        assert (tmp_path / "site" / "rules" / spec.name / "index.html").is_file()
