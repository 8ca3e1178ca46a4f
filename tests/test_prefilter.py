"""The prefilters may only skip files a rule can never match.

Each rule is run over a corpus twice, with its byte needles and ``ast`` pre-check and
without them; the findings must be the same. The corpus: every documentation snippet,
the examples project, every Python program quoted in the rule tests, and the standard
library's own multiprocessing and concurrent packages.
"""

from __future__ import annotations

import ast
import concurrent
import multiprocessing
import warnings
from pathlib import Path

import pytest

from codemods import rules
from codemods.engine import analyze

ROOT = Path(__file__).resolve().parent.parent


def _programs_quoted_in(test_file: Path) -> list[str]:
    """String literals in a test module that are whole Python programs."""
    programs = []
    for node in ast.walk(ast.parse(test_file.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and "\n" in node.value:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                try:
                    compile(node.value, str(test_file), "exec", flags=ast.PyCF_ONLY_AST)
                except (SyntaxError, ValueError):
                    continue
            programs.append(node.value)
    return programs


def _corpus() -> list[tuple[str, str]]:
    files = [
        *sorted((ROOT / "docs" / "snippets").rglob("*.py")),
        *sorted((ROOT / "examples").rglob("*.py")),
        *sorted(Path(multiprocessing.__file__).parent.rglob("*.py")),
        *sorted(Path(concurrent.__file__).parent.rglob("*.py")),
    ]
    corpus = [(str(path), path.read_text(encoding="utf-8")) for path in files]
    for test_file in sorted((ROOT / "tests").glob("test_*.py")):
        corpus += [(f"{test_file.name}#{i}", text) for i, text in enumerate(_programs_quoted_in(test_file))]
    return corpus


CORPUS = _corpus()


def test_the_corpus_has_findings_of_every_rule() -> None:
    found = {f.code for _, text in CORPUS for f in analyze(text, fix=False).findings}
    assert found == {spec.code for spec in rules.RULES}


@pytest.mark.parametrize("spec", rules.RULES, ids=lambda spec: spec.code)
def test_prefilters_hide_no_finding(spec: rules.RuleSpec, monkeypatch: pytest.MonkeyPatch) -> None:
    with_prefilter = {name: analyze(text, rules=[spec], fix=False).findings for name, text in CORPUS}
    monkeypatch.setattr(spec.load(), "precheck", classmethod(lambda cls, tree: True))
    for name, text in CORPUS:
        findings = analyze(text, rules=[spec], fix=False).findings
        assert findings == with_prefilter[name], name
        if findings:
            assert rules.could_match(text.encode("utf-8"), [spec]), name
