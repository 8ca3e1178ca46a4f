"""The documentation is held to the code.

Every rule in the registry has a page with ruff's headings, the rules table says what
the registry says, every snippet is shown on some page and every include finds its file,
the navigation lists every page, and the site builds with ``mkdocs build --strict``.
Code that shows mpfix's input or output (on the rule pages and the home page) comes only
from snippet files that tests/test_snippets.py runs; the other pages' Python examples
compile, and those that are whole programs run under spawn and pass ``mpfix check``. The
CLI reference and sample output are the mpfix command's own, run when the site is built
(docs/hooks.py), and the built pages are checked against the command as it is now.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pytest
from programs import run_program

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

from mpfix.registry import RULES

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
SNIPPETS = DOCS / "snippets"
MKDOCS_YML = ROOT / "mkdocs.yml"

# The sections a reader finds on every rule page, in this order (others may come between).
RULE_PAGE_SECTIONS = ["Why is this bad?", "Example", "Fix"]
FIX_SAFETY_LINE = re.compile(r"Fix safety: \*\*(?P<safety>safe|unsafe|none)\*\*")
# Words of prose at most: the first sentence; what a reader meets before opening the
# collapsed block; the whole page.
SENTENCE_WORDS, LEAD_WORDS, PAGE_WORDS = 35, 300, 700
RULES_TABLE_HEADER = ["Code", "Name", "Fix safety", "Summary"]
# A pymdownx.snippets include: --8<-- "path" (or 'path'), relative to docs/snippets.
INCLUDE = re.compile(r"""--8<--\s+(["'])(?P<path>.+?)\1""")
# The snippet files that tests/test_snippets.py runs; a `.out` file only beside a `.before.py`
# or a `.reported.py` (whose fix by hand is its `.unchanged.py`).
TESTED_SNIPPET = re.compile(r"[a-z0-9-]+/[a-z0-9-]+\.(before\.py|after\.py|unchanged\.py|reported\.py|out)")
# The markers that docs/hooks.py replaces with the mpfix command's output at build time.
MARKER = re.compile(r"^<!--\s*mpfix-(?P<kind>help|run)(?::\s*(?P<args>[^>]*?))?\s*-->[ \t]*$", re.MULTILINE)
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
PLAIN_TERMINAL = {"COLUMNS": "100", "TERM": "dumb", "NO_COLOR": "1"}


def _pages() -> list[Path]:
    return sorted(page for page in DOCS.rglob("*.md") if SNIPPETS not in page.parents)


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


TITLE = re.compile(r'title="([^"]+)"')


@dataclass
class Fence:
    """A fenced code block: its language, its lines (without the fences' indentation), where."""

    language: str
    lines: list[str]
    line: int
    title: str | None = None  # ``title="workers.py"``: one file of a program of several


def _scan(markdown: str) -> tuple[list[str], list[Fence]]:
    """The lines of ``markdown`` outside fenced code blocks, and the blocks (also indented
    ones, such as those inside content tabs)."""
    outside: list[str] = []
    fences: list[Fence] = []
    current: Fence | None = None
    fence = indent = ""
    for number, line in enumerate(markdown.splitlines(), start=1):
        stripped = line.strip()
        if current is not None:
            if stripped.startswith(fence) and not stripped.strip(fence[0]):
                fences.append(current)
                current = None
            else:
                current.lines.append(line.removeprefix(indent))
            continue
        if stripped.startswith(("```", "~~~")):
            fence = stripped[: len(stripped) - len(stripped.lstrip(stripped[0]))]
            indent = line[: len(line) - len(line.lstrip())]
            info = stripped[len(fence) :].strip().lstrip("{").lstrip(".")
            title = TITLE.search(info)
            current = Fence(info.split()[0] if info else "", [], number, title[1] if title else None)
            continue
        outside.append(line)
    return outside, fences


def _outside_code(markdown: str) -> list[str]:
    """The lines of ``markdown`` that are not inside a fenced code block."""
    return _scan(markdown)[0]


def _fences(page: Path) -> list[Fence]:
    return _scan(_text(page))[1]


def _include_only(fence: Fence) -> str | None:
    """The snippet path, if the block is one include and nothing else."""
    lines = [line.strip() for line in fence.lines if line.strip()]
    match = INCLUDE.fullmatch(lines[0]) if len(lines) == 1 else None
    return match["path"] if match else None


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


# -- the rule pages' template -------------------------------------------------------------

CODE_SPAN = re.compile(r"`[^`]*`")
LINK_TARGET = re.compile(r"\]\([^)\s]*\)")
SENTENCE_END = re.compile(r"[.!?](?=\s|$)")
TAB_TITLE = re.compile(r'\s*===\+?\s+"')  # a content tab's label: `=== "Before"`
COLLAPSED = re.compile(r"\?\?\?\+?\s")  # a collapsed block: `??? note "Edge cases..."`


def _words(lines: list[str]) -> int:
    """The words a reader reads in ``lines``: link text without its address, no markup."""
    text = LINK_TARGET.sub("]", " ".join(lines))
    return sum(1 for token in text.split() if re.search(r"\w", token))


def _sentences(paragraph: str) -> int:
    return len(SENTENCE_END.findall(LINK_TARGET.sub("]", CODE_SPAN.sub("code", paragraph))))


def _paragraphs(lines: list[str]) -> list[str]:
    """The blocks of ``lines`` between blank lines, each on one line."""
    paragraphs, current = [], []
    for line in [*lines, ""]:
        if line.strip():
            current.append(line.strip())
        elif current:
            paragraphs.append(" ".join(current))
            current = []
    return paragraphs


def _split_collapsed(lines: list[str]) -> tuple[list[str], list[str]]:
    """The prose lines outside the collapsed block, and those inside it (its title
    included): the block is its ``???`` line and the indented lines under it."""
    outside: list[str] = []
    inside: list[str] = []
    in_block = False
    for line in lines:
        if COLLAPSED.match(line):
            in_block = True
        elif line.strip() and not line.startswith(" "):
            in_block = False
        (inside if in_block else outside).append(line)
    return outside, inside


def _section(markdown: str, heading: str) -> str:
    """The text of ``## heading``, up to the next heading of its level."""
    match = re.search(rf"^## {re.escape(heading)}\n(?P<body>.*?)(?=^## |\Z)", markdown, re.MULTILINE | re.DOTALL)
    assert match, f"no ## {heading}"
    return match["body"]


@pytest.mark.parametrize("spec", RULES, ids=lambda spec: spec.name)
def test_rule_pages_follow_the_template(spec) -> None:
    """A rule page says in one sentence what the rule finds and how far its fix is
    trusted, shows its example once, and keeps the detail in a collapsed block."""
    page = DOCS / "rules" / f"{spec.name}.md"
    markdown = _text(page)
    lines = [line for line in _outside_code(markdown) if not TAB_TITLE.match(line)]
    assert lines[0] == f"# {spec.name} ({spec.code})"
    lead, safety, *_ = _paragraphs(lines[1:])
    assert _sentences(lead) == 1 and SENTENCE_END.search(lead[-1]), f"the first paragraph is not one sentence: {lead!r}"
    assert _words([lead]) <= SENTENCE_WORDS, f"the first sentence is long: {lead!r}"
    fix_safety = FIX_SAFETY_LINE.match(safety)
    assert fix_safety, f"no 'Fix safety:' line after the first paragraph: {safety!r}"
    assert fix_safety["safety"] == str(spec.safety)

    headings = [line[3:].strip() for line in lines if line.startswith("## ")]
    assert [heading for heading in headings if heading in RULE_PAGE_SECTIONS] == RULE_PAGE_SECTIONS
    # RuleSpec declares no options: the rules read only the settings that every rule shares.
    assert "Options" not in headings

    example = INCLUDE.search(_section(markdown, "Example"))
    assert example, "the Example shows no snippet"
    assert example["path"].endswith((".before.py", ".reported.py")), "the Example starts with its Before"
    assert _includes(page).count(example["path"]) == 1, f"{example['path']} is shown more than once"

    outside, inside = _split_collapsed(lines[1:])
    assert _words(outside) <= LEAD_WORDS, "too much prose outside the collapsed block"
    assert _words(outside) + _words(inside) <= PAGE_WORDS, "too much prose on the page"


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


# -- code on the pages ------------------------------------------------------------------

RULE_PAGES = [DOCS / "rules" / f"{spec.name}.md" for spec in RULES if (DOCS / "rules" / f"{spec.name}.md").is_file()]
PROSE_PAGES = [page for page in _pages() if page.parent != DOCS / "rules"]


def _check_tested_include(path: str, language: str) -> None:
    assert TESTED_SNIPPET.fullmatch(path), f"{path} is not a snippet that the snippet tests run"
    if path.endswith(".out"):
        assert language == "text", f"{path}: output goes in a ```text block"
        case = SNIPPETS / path.removesuffix(".out")
        originals = [case.with_name(case.name + kind) for kind in (".before.py", ".reported.py")]
        assert any(original.is_file() for original in originals), f"{path} is no tested program's output"
    else:
        assert language == "python", f"{path}: a Python snippet goes in a ```python block"


@pytest.mark.parametrize("page", RULE_PAGES, ids=lambda page: page.stem)
def test_rule_pages_show_only_tested_snippets(page: Path) -> None:
    """Every code block on a rule page is one include of a snippet that the tests run."""
    for fence in _fences(page):
        path = _include_only(fence)
        assert path is not None, f"{page.name}:{fence.line}: inline ```{fence.language} block; use a snippet file"
        _check_tested_include(path, fence.language)


def test_home_page_pair_is_a_tested_snippet_pair() -> None:
    page = DOCS / "index.md"
    python = [fence for fence in _fences(page) if fence.language == "python"]
    paths = [_include_only(fence) for fence in python]
    assert None not in paths, "the home page's Python blocks must be snippet includes"
    for path, fence in zip(paths, python, strict=False):
        _check_tested_include(path, fence.language)
    befores = {path.removesuffix(".before.py") for path in paths if path.endswith(".before.py")}
    afters = {path.removesuffix(".after.py") for path in paths if path.endswith(".after.py")}
    assert befores & afters, "the home page shows no before/after pair"


def _prose_examples() -> list:
    return [
        pytest.param(page, fence, id=f"{page.relative_to(DOCS).as_posix()}:{fence.line}")
        for page in PROSE_PAGES
        for fence in _fences(page)
        if fence.language == "python" and _include_only(fence) is None and fence.title is None
    ]


@pytest.mark.parametrize(("page", "fence"), _prose_examples())
def test_prose_examples_compile_and_whole_programs_run_under_spawn(page: Path, fence: Fence, tmp_path: Path) -> None:
    """Inline Python on the other pages compiles; a whole program (one with a main guard)
    runs under spawn, the start method that breaks the most, and mpfix finds nothing in it."""
    from mpfix.cli import app
    from typer.testing import CliRunner

    source = "\n".join(fence.lines) + "\n"
    compile(source, f"{page.name}:{fence.line}", "exec")
    if 'if __name__ == "__main__":' not in source:
        return  # a fragment, such as a notebook cell
    program = tmp_path / "example.py"
    program.write_text(source, encoding="utf-8")
    check = CliRunner().invoke(app, ["check", "--report-unused-suppressions", str(program)])
    assert check.exit_code == 0, check.output
    method = "default" if "set_start_method(" in source else "spawn"
    run = run_program(program, method, timeout=60)
    assert run.returncode == 0, run.stderr


PROGRAMS = [page for page in PROSE_PAGES if any(fence.title for fence in _fences(page))]


@pytest.mark.parametrize("page", PROGRAMS, ids=lambda page: page.stem)
def test_prose_programs_of_several_files_run_under_spawn(page: Path, tmp_path: Path) -> None:
    """The titled Python blocks of a page are the files of one program: mpfix finds
    nothing in them, and the file with the main guard runs under spawn. A title shown
    twice (a program before and after `mpfix fix`) stands for its last block."""
    from mpfix.cli import app
    from typer.testing import CliRunner

    files = {fence.title: "\n".join(fence.lines) + "\n" for fence in _fences(page) if fence.title}
    for name, source in files.items():
        compile(source, f"{page.name}:{name}", "exec")
        (tmp_path / name).write_text(source, encoding="utf-8")
    check = CliRunner().invoke(app, ["check", "--no-cache", str(tmp_path)])
    assert check.exit_code == 0, check.output
    [script] = [name for name, source in files.items() if 'if __name__ == "__main__":' in source]
    run = run_program(tmp_path / script, "spawn", timeout=60)
    assert run.returncode == 0, run.stderr


REPOSITORY = "https://github.com/mpfix/mpfix"
HOOKS_YAML = ROOT / ".pre-commit-hooks.yaml"


def _pre_commit_configs(yaml) -> list[dict]:
    """The YAML blocks of the pages that are a ``.pre-commit-config.yaml``."""
    blocks = [fence for page in PROSE_PAGES for fence in _fences(page) if fence.language == "yaml"]
    configs = [yaml.safe_load("\n".join(fence.lines)) for fence in blocks]
    return [config for config in configs if isinstance(config, dict) and "repos" in config]


def test_pre_commit_configs_pin_this_release_of_these_hooks() -> None:
    """A release bump changes the version in pyproject.toml: the pages' ``rev:`` must follow,
    and the hooks they name are those of .pre-commit-hooks.yaml."""
    yaml = pytest.importorskip("yaml", reason="PyYAML (installed with mkdocs) reads the blocks")
    version = tomllib.loads(_text(ROOT / "pyproject.toml"))["project"]["version"]
    hooks = {hook["id"]: hook for hook in yaml.safe_load(_text(HOOKS_YAML))}
    repos = [repo for config in _pre_commit_configs(yaml) for repo in config["repos"]]
    remote = [repo for repo in repos if repo["repo"] != "local"]
    assert remote, "no page shows a .pre-commit-config.yaml that uses mpfix's repository"
    for repo in remote:
        assert (repo["repo"], repo["rev"]) == (REPOSITORY, f"v{version}")
        assert {hook["id"] for hook in repo["hooks"]} <= set(hooks), "a hook that .pre-commit-hooks.yaml lacks"
    # A local hook of the same name runs the same command.
    for hook in [hook for repo in repos if repo["repo"] == "local" for hook in repo["hooks"]]:
        ours = hooks[hook["id"]]
        assert hook["entry"].split() == [*ours["entry"].split(), *ours["args"]]
        assert hook["types"] == ours["types"]


# -- the built site ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site, built once for this module with ``mkdocs build --strict``."""
    if importlib.util.find_spec("mkdocs") is None:
        pytest.skip("mkdocs is not installed (pip install -e '.[docs]')")
    out = tmp_path_factory.mktemp("build")
    build = subprocess.run(
        [
            sys.executable, "-m", "mkdocs", "build", "--strict",
            "--config-file", str(MKDOCS_YML), "--site-dir", str(out / "site"),
        ],
        check=False,
        cwd=out,  # the config must not depend on the directory it is built from
        capture_output=True,
        text=True,
        timeout=300,
    )  # fmt: skip
    assert build.returncode == 0, build.stderr
    return out / "site"


class _CodeBlocks(HTMLParser):
    """The text of every ``<pre><code>`` block of an HTML page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[str] = []
        self._pre = self._code = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "pre":
            self._pre += 1
        elif tag == "code" and self._pre:
            if not self._code:
                self.blocks.append("")
            self._code += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "pre" and self._pre:
            self._pre -= 1
        elif tag == "code" and self._code:
            self._code -= 1

    def handle_data(self, data: str) -> None:
        if self._code:
            self.blocks[-1] += data


def _code_blocks(html: Path) -> list[str]:
    parser = _CodeBlocks()
    parser.feed(html.read_text(encoding="utf-8"))
    return [_normalise(block) for block in parser.blocks]


def _normalise(text: str) -> str:
    """Without ANSI codes, tabs, trailing blanks and blank lines around: as a page shows it."""
    lines = [line.expandtabs().rstrip() for line in ANSI.sub("", text).splitlines()]
    return "\n".join(lines).strip("\n") + "\n"


def _built_page(site: Path, page: str) -> Path:
    """``cli.md`` → ``site/cli/index.html``."""
    stem = page.removesuffix(".md")
    return site / ("index.html" if stem == "index" else f"{stem.removesuffix('/index')}/index.html")


def _markers() -> list[tuple[str, str, list[str]]]:
    """(page, kind, arguments) of every marker that the build hook replaces."""
    return [
        (page.relative_to(DOCS).as_posix(), match["kind"], (match["args"] or "").split())
        for page in _pages()
        for match in MARKER.finditer(_text(page))
    ]


def test_the_site_builds_in_strict_mode(site: Path) -> None:
    for spec in RULES:
        assert (site / "rules" / spec.name / "index.html").is_file()
    leftovers = [
        path.relative_to(site).as_posix()
        for path in site.rglob("*.html")
        if re.search(r"<!--\s*mpfix-(help|run)", path.read_text(encoding="utf-8"))
    ]
    assert leftovers == [], "markers that the build hook did not replace"


def test_cli_reference_has_the_help_of_every_command() -> None:
    typer_main = pytest.importorskip("typer.main")
    from mpfix.cli import app

    commands = sorted(typer_main.get_command(app).commands)  # type: ignore[attr-defined]
    helps = [args for page, kind, args in _markers() if page == "cli.md" and kind == "help"]
    assert [] in helps, "cli.md shows no `mpfix --help`"
    assert sorted(args[0] for args in helps if args) == commands


@pytest.mark.parametrize(
    ("page", "kind", "args"), _markers(), ids=lambda value: " ".join(value) if isinstance(value, list) else value
)
def test_built_page_shows_what_mpfix_prints_now(site: Path, page: str, kind: str, args: list[str]) -> None:
    """Each marker became the output of the command as it is now: the help from the Typer
    app itself, the sample output from a run of ``mpfix`` from the repository's root."""
    if kind == "help":
        from mpfix.cli import app
        from typer.testing import CliRunner

        result = CliRunner().invoke(app, [*args, "--help"], prog_name="mpfix", env=PLAIN_TERMINAL, terminal_width=100)
        assert result.exit_code == 0, result.output
        expected = _normalise(result.output)
    else:
        run = subprocess.run(
            [sys.executable, "-m", "mpfix", *args],
            check=False,
            cwd=ROOT,
            env={**os.environ, **PLAIN_TERMINAL},
            capture_output=True,
            text=True,
            timeout=120,
        )
        expected = _normalise(f"$ mpfix {' '.join(args)}\n{run.stdout}{run.stderr}")
    assert expected in _code_blocks(_built_page(site, page))
