"""The documentation's snippets are the rules' test cases.

For every rule, ``docs/snippets/<rule-name>/`` holds small complete programs:

* ``<case>.before.py`` and ``<case>.after.py``: the engine turns before into after, byte
  for byte, with the rule's declared fix safety; ``<case>.out`` is what after prints, under
  every start method, and what before prints under fork (the rewrite keeps its meaning);
  under spawn and forkserver, before shows the pitfall. The tables below say where a rule
  departs from that: ``PITFALL_ANY_START_METHOD`` names the rules whose pitfall does not
  depend on the start method (serial-result-wait: correct but serial), whose before prints
  the output under every method; ``PITFALL_UNDER_FORK`` names the cases that show the
  pitfall under fork too (ipc-outside-parent's lock created inside the worker excludes
  nothing under any method; join-before-drain's deadlock, which ``PITFALL_TIMEOUT`` cuts
  after a few seconds).
* ``<case>.unchanged.py``: no finding, nothing to change.
* ``<case>.reported.py``: a finding the rule cannot fix soundly; the text is left alone.
  With a ``<case>.out``, it is run like a before snippet, and ``<case>.unchanged.py`` is
  the fix by hand, run like an after snippet.
"""

from __future__ import annotations

import ast
import importlib.util
import multiprocessing
import sys
from pathlib import Path

import pytest
from mpfix import registry
from mpfix.engine import analyze
from mpfix.libraries import LIBRARIES
from mpfix.model import Safety
from programs import DEFAULT_RUN, START_METHODS, Run, run_program

SNIPPETS = Path(__file__).resolve().parent.parent / "docs" / "snippets"
# The first of the methods this platform supports is its default.
DEFAULT_START_METHOD = multiprocessing.get_all_start_methods()[0]

# Rules whose before snippets print the documented output under every start method: the
# pitfall costs time or memory, not correctness.
PITFALL_ANY_START_METHOD = frozenset(
    {
        "import-in-task",  # a repeated import costs time
        "map-materializes-iterable",  # memory (or an endless input never ends); finite snippets print the same
        "per-task-setup",  # the setup costs time
        "serial-result-wait",  # the serial loop is right, only slow
    }
)
# Before snippets, by rule and case, whose pitfall shows under fork too.
PITFALL_UNDER_FORK = {
    "fork-with-max-tasks": frozenset({"fork-context"}),  # the executor refuses a fork context everywhere
    "ipc-outside-parent": frozenset({"lock-in-worker"}),  # a private lock excludes nothing anywhere
    "join-before-drain": frozenset({"join-loop"}),  # the deadlock needs no start method
    "pool-not-closed": frozenset({"leaked-workers", "executor"}),  # the snippets count the leaked workers
    "pool-pickled-with-self": frozenset({"squarer"}),  # pools pickle every task
    "unpicklable-task": frozenset({"lambda-in-map", "nested-function", "closure"}),  # pools pickle every task
}
# Seconds a before snippet may run while its pitfall shows; a certain hang (a deadlock) is cut sooner.
PITFALL_TIMEOUT = {"join-before-drain": 5}
# Rules whose pitfall is a race that the program usually loses: the parent's exit removes
# a lock or queue before the child has opened it. A loaded machine can let the child win
# one run, so the pitfall must show in one of these many runs.
PITFALL_RACE_RUNS = {"unjoined-process-with-ipc": 3}
# Fix examples, by rule and case, whose fix is unsafe (applied with --unsafe-fixes) where
# the rule's fixes are safe in general: the page says why.
UNSAFE_CASES = {"map-materializes-iterable": frozenset({"endless"})}
# Rules whose snippets run only on a newer Python than the oldest supported, by the API they use.
RUNS_FROM = {"fork-with-max-tasks": (3, 11)}  # ProcessPoolExecutor(max_tasks_per_child=...)


# Libraries with a start method of their own: a snippet that imports one runs with the
# method chosen there too.
OWN_CONTEXTS = ("multiprocess", "billiard")


def _imported(path: Path) -> set[str]:
    """The top-level packages a snippet imports."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    found |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    return {name.split(".")[0] for name in found}


def _missing(path: Path) -> list[str]:
    """The libraries of the table that a snippet imports and that are not installed: it
    runs where they are."""
    libraries = {library.distribution for library in LIBRARIES}
    return sorted(name for name in _imported(path) & libraries if importlib.util.find_spec(name) is None)


def _cases(suffix: str) -> list[tuple[str, Path]]:
    return [
        pytest.param(
            folder.name,
            path,
            id=f"{folder.name}/{path.name}",
            marks=[pytest.mark.skipif(bool(_missing(path)), reason=f"needs {', '.join(_missing(path))}")],
        )
        for folder in sorted(SNIPPETS.iterdir())
        for path in sorted(folder.glob(f"*{suffix}"))
    ]


def _default_method(path: Path) -> str:
    """The start method a snippet runs under when it chooses none: its library's default
    (multiprocess and billiard still fork where the standard library no longer does)."""
    own = sorted(_imported(path) & set(OWN_CONTEXTS))
    return importlib.import_module(own[0]).get_all_start_methods()[0] if own else DEFAULT_START_METHOD


def _run(path: Path, method: str, **options: object) -> Run:
    return run_program(path, method, libraries=tuple(sorted(_imported(path) & set(OWN_CONTEXTS))), **options)  # type: ignore[arg-type]


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _compiles(path: Path) -> None:
    compile(_read(path), str(path), "exec")


def test_every_snippet_folder_is_a_rule() -> None:
    assert {folder.name for folder in SNIPPETS.iterdir()} <= set(registry.BY_NAME)


def test_the_pitfall_tables_name_rules_and_cases_that_exist() -> None:
    named = PITFALL_ANY_START_METHOD | PITFALL_UNDER_FORK.keys() | PITFALL_TIMEOUT.keys() | PITFALL_RACE_RUNS.keys()
    for rule in named:
        assert rule in registry.BY_NAME, rule
    for rule, cases in [*PITFALL_UNDER_FORK.items(), *UNSAFE_CASES.items()]:
        for case in cases:
            assert (SNIPPETS / rule / f"{case}.before.py").exists(), (rule, case)


def test_every_rule_has_a_fix_example_and_a_leave_alone_example() -> None:
    for spec in registry.RULES:
        folder = SNIPPETS / spec.name
        assert list(folder.glob("*.unchanged.py")), spec.name
        if spec.safety is not Safety.NONE:
            assert list(folder.glob("*.before.py")), spec.name


@pytest.mark.parametrize(("rule", "before"), _cases(".before.py"))
def test_before_becomes_after(rule: str, before: Path) -> None:
    after = before.with_name(before.name.replace(".before.py", ".after.py"))
    spec = registry.BY_NAME[rule]
    safety = Safety.UNSAFE if before.name.split(".", 1)[0] in UNSAFE_CASES.get(rule, ()) else spec.safety
    assert analyze(_read(before), rules=[spec]).fixed == _read(after if safety is Safety.SAFE else before)
    result = analyze(_read(before), rules=[spec], unsafe_fixes=safety is Safety.UNSAFE)
    assert result.fixed == _read(after)
    assert result.applied and all(f.fix is safety for f in result.applied)
    _compiles(before)
    _compiles(after)


@pytest.mark.parametrize(("rule", "path"), _cases(".after.py") + _cases(".unchanged.py"))
def test_fixpoint_without_findings(rule: str, path: Path) -> None:
    result = analyze(_read(path), unsafe_fixes=True)
    assert result.findings == []
    assert not result.changed
    _compiles(path)


@pytest.mark.parametrize(("rule", "path"), _cases(".reported.py"))
def test_reported_but_left_alone(rule: str, path: Path) -> None:
    result = analyze(_read(path), unsafe_fixes=True)
    own = [f for f in result.findings if f.name == rule]
    assert own and all(f.fix is Safety.NONE for f in own)
    assert all("not fixed" in f.message for f in own)
    assert not result.changed
    _compiles(path)


def _fixed(original: Path) -> Path:
    """The fixed program: mpfix's (``.after.py``), or, for a finding it leaves alone, the
    fix by hand (``.unchanged.py``)."""
    case, kind = original.name.split(".", 1)
    return original.with_name(case + (".after.py" if kind == "before.py" else ".unchanged.py"))


def _output_file(original: Path) -> Path:
    return original.with_name(original.name.split(".", 1)[0] + ".out")


def _runtime_cases() -> list:
    cases = []
    for param in _cases(".before.py") + _cases(".reported.py"):
        case = param.values[1]
        if not _output_file(case).exists():
            continue
        # A program that picks its start method itself runs only under its own choice; the
        # others run under each method, and under the interpreter's default as a user runs
        # them where that default is not plain fork (forkserver on Linux since Python 3.14,
        # which also preloads the main module; spawn on Windows and macOS).
        methods = ("default",) if "set_start_method(" in _read(case) else (*DEFAULT_RUN, *START_METHODS)
        since = RUNS_FROM.get(case.parent.name, (3,))
        too_old = pytest.mark.skipif(sys.version_info < since, reason=f"needs Python {'.'.join(map(str, since))}")
        cases += [
            pytest.param(case, method, id=f"{case.parent.name}/{case.name}-{method}", marks=[*param.marks, too_old])
            for method in methods
        ]
    return cases


@pytest.mark.parametrize(("before", "method"), _runtime_cases())
def test_after_prints_the_documented_output(before: Path, method: str) -> None:
    expected = _read(_output_file(before))
    run = _run(_fixed(before), method)
    assert (run.returncode, run.stdout) == (0, expected), run.stderr


@pytest.mark.parametrize(("before", "method"), _runtime_cases())
def test_before_shows_the_pitfall_and_keeps_its_meaning_under_fork(before: Path, method: str) -> None:
    expected = _read(_output_file(before))
    rule = before.parent.name
    # Under the default, a program that does not choose runs under the platform's default.
    in_force = _default_method(before) if method == "default" and "set_start_method(" not in _read(before) else method
    under_fork_too = before.name.split(".", 1)[0] in PITFALL_UNDER_FORK.get(rule, ())
    if (in_force == "fork" and not under_fork_too) or rule in PITFALL_ANY_START_METHOD:
        run = _run(before, method)
        assert (run.returncode, run.stdout) == (0, expected), run.stderr
    else:
        for _ in range(PITFALL_RACE_RUNS.get(rule, 1)):
            run = _run(before, method, timeout=PITFALL_TIMEOUT.get(rule, 30), stop_on="Error")
            if (run.returncode, run.stdout) != (0, expected):
                break
        assert (run.returncode, run.stdout) != (0, expected), "the pitfall did not show"
