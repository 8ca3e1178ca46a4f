"""The prefilters may only skip files a rule can never match.

Every rule runs over a corpus twice, with its byte needles and ``ast`` pre-check and
without them; the findings must be the same. The corpus: every documentation snippet,
the examples project, and every Python program quoted in the tests.
"""

from __future__ import annotations

import ast
import functools
import warnings
from collections import defaultdict
from pathlib import Path

import pytest
from mpfix import registry
from mpfix.engine import FixError, SourceError, analyze

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
    files = [*sorted((ROOT / "docs" / "snippets").rglob("*.py")), *sorted((ROOT / "examples").rglob("*.py"))]
    corpus = [(str(path.relative_to(ROOT)), path.read_text(encoding="utf-8")) for path in files]
    for test_file in sorted((ROOT / "tests").glob("test_*.py")):
        corpus += [(f"{test_file.name}#{i}", text) for i, text in enumerate(_programs_quoted_in(test_file))]
    return corpus


CORPUS = _corpus()


def _by_rule(text: str, prefiltered: bool) -> dict[str, list]:
    """Findings by rule code; none for a program libcst cannot analyse (a test of that)."""
    found = defaultdict(list)
    try:
        findings = analyze(text, fix=False, precheck=prefiltered).findings
    except SourceError:
        return found
    for finding in findings:
        found[finding.code].append(finding)
    return found


@functools.cache
def _findings(prefiltered: bool) -> dict[str, dict[str, list]]:
    """Each corpus entry's findings by rule, all rules in one pass per entry; without the
    pre-filters, every rule's visitor runs whatever its needles and pre-check say."""
    return {name: _by_rule(text, prefiltered) for name, text in CORPUS}


def test_the_corpus_has_findings_of_every_rule() -> None:
    found = {code for by_rule in _findings(False).values() for code in by_rule}
    assert found == {spec.code for spec in registry.RULES}


@pytest.mark.parametrize("spec", registry.RULES, ids=lambda spec: spec.code)
def test_prefilters_hide_no_finding(spec: registry.RuleSpec) -> None:
    texts = dict(CORPUS)
    for name, by_rule in _findings(False).items():
        assert _findings(True)[name].get(spec.code, []) == by_rule.get(spec.code, []), name
        if by_rule.get(spec.code):
            assert registry.matching(texts[name].encode("utf-8"), [spec]), name


@pytest.mark.parametrize("spec", registry.RULES, ids=lambda spec: spec.code)
def test_a_file_holding_one_group_of_needles_matches_its_rule(spec: registry.RuleSpec) -> None:
    """Each group of needles is enough, alone, whatever rules are asked about: the quick
    look that settles most files (a few needles one of which every group holds) never
    turns one away."""
    for group in spec.needles:
        data = b"\n".join(group)
        assert spec in registry.matching(data, registry.RULES), group
        assert registry.matching(data, [spec]) == [spec], group


def test_a_file_holding_no_library_or_pool_word_matches_nothing() -> None:
    data = b"import os\nfrom concurrent import futures\nprint(os.getpid(), futures.wait)\n"
    assert registry.matching(data, registry.RULES) == []
    pooled = b"import multiprocessing\nmultiprocessing.Pool(2).map(abs, [1])\n"
    assert registry.matching(data + pooled, registry.RULES)


def test_a_call_needle_holds_the_word_called_however_python_lets_the_call_be_spelled() -> None:
    serial = registry.BY_CODE["MP002"]
    form = b'html = \'<input type="submit">\'\nresult = render(html)\n'
    assert serial not in registry.matching(form, registry.RULES)
    for call in (b"ex.submit(f)", b"ex.submit (f)", b"[ex.submit  # one task\n (f)]", b"ex.submit \\\n(f)"):
        data = b"futures = [" + call + b"]\nprint(futures[0].result())\n"
        assert serial in registry.matching(data, registry.RULES), call
    # A banner of hashes after the word is one comment, looked at once (not in every way it
    # could be split, which would take longer than any run).
    banner = b"handler = form.submit  " + b"#" * 80 + b"\nprint(handler.result())\n"
    assert serial not in registry.matching(banner, registry.RULES)


def _fix_run(text: str, prefiltered: bool) -> tuple:
    """What a fix run makes of ``text``: the fixed text, the fixes applied, the findings
    left and the report that predicts them; or the error that stops it."""
    try:
        result = analyze(text, fix=True, unsafe_fixes=True, precheck=prefiltered)
    except (SourceError, FixError) as error:
        return (type(error).__name__, str(error))
    return (result.fixed, result.applied, result.remaining, result.settled(True))


def test_the_rounds_after_a_fix_are_prefiltered_and_fix_the_same() -> None:
    """Each round after the first screens the code the fixes made, as the first screens
    the source: every fix run of the corpus that applies a fix ends as it does with every
    rule in every round. (The first round's findings, and so its fixes, are the same with
    and without the pre-filters: see above.)"""
    fixed = 0
    for name, text in CORPUS:
        run = _fix_run(text, prefiltered=True)
        if len(run) == 4 and not run[1]:
            continue  # no fix applied: no later round
        fixed += len(run) == 4
        assert run == _fix_run(text, prefiltered=False), name
    assert fixed > 50


def test_a_round_after_a_fix_runs_only_the_rules_the_fixed_code_passes(monkeypatch: pytest.MonkeyPatch) -> None:
    from mpfix import engine

    rounds: list[set[str]] = []
    analyse = engine._analyse

    def recorded(facts, visitors, *rest):  # type: ignore[no-untyped-def]
        rounds.append({visitor.SPEC.code for visitor in visitors})
        return analyse(facts, visitors, *rest)

    monkeypatch.setattr(engine, "_analyse", recorded)
    text = "import multiprocessing as mp\n\nmp.Process(target=print).start()\n"
    result = analyze(text)
    assert [f.code for f in result.applied] == ["MP001"] and "__main__" in result.fixed
    # The guarded script passes the pre-check of no rule that libcst must run.
    assert rounds == [{"MP001"}]
    rounds.clear()
    assert analyze(text, precheck=False).fixed == result.fixed
    assert len(rounds) == 2 and rounds[1] == {spec.code for spec in registry.RULES}


def test_each_libcst_round_generates_the_whole_file_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """A later round checks that libcst gives the fixed text back with the generation that
    places its findings: as many whole-file generations as rounds run on libcst."""
    import libcst as cst
    from mpfix import engine

    generated: list[int] = []
    rounds: list[int] = []
    generate, analyse = cst.Module._codegen_impl, engine._analyse
    monkeypatch.setattr(cst.Module, "_codegen_impl", lambda *a, **k: generated.append(1) or generate(*a, **k))
    monkeypatch.setattr(engine, "_analyse", lambda *args: rounds.append(1) or analyse(*args))
    # The first round moves the pool into the guard; the second then fixes its lambda task.
    text = "import multiprocessing\n\nwith multiprocessing.Pool() as pool:\n    pool.map(lambda x: x, [1])\n"
    result = analyze(text)
    assert [f.code for f in result.applied] == ["MP001", "MP009"]
    assert len(rounds) == 2
    assert len(generated) == 2
