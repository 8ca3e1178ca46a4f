"""Rules that decide on Python's ``ast`` (RuleSpec.decide) give the findings their libcst
side gives, to the character, or leave the file to libcst; a file that only such rules
pass is checked without libcst."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest
from mpfix import engine, registry
from mpfix.analysis.prechecks import AstFacts
from mpfix.engine import analyze
from mpfix.model import Finding

DOCS = Path(__file__).resolve().parent.parent / "docs" / "snippets"
DECIDING = [spec for spec in registry.RULES if spec.decide(AstFacts(ast.parse(""), "")) is not None]


def _texts() -> list[tuple[str, str]]:
    """(id, program) of every case of every rule's tests, and every snippet of the site."""
    texts = []
    for spec in registry.RULES:
        tests = importlib.import_module("test_" + spec.name.replace("-", "_"))
        for name, listed in vars(tests).items():
            if not (name.isupper() and isinstance(listed, (list, dict))):
                continue
            named = listed.items() if isinstance(listed, dict) else enumerate(listed)
            for key, case in named:
                for value in getattr(case, "values", case if isinstance(case, tuple) else (case,)):
                    if isinstance(value, str) and "\n" in value:
                        texts.append((f"{spec.code}-{name}[{key}]", value))
    texts += [(path.name, path.read_text(encoding="utf-8")) for path in sorted(DOCS.rglob("*.py"))]
    return texts


def _sorted(findings: list[Finding]) -> list[Finding]:
    return sorted(findings, key=Finding.sort_key)


def _by_libcst(text: str, spec: registry.RuleSpec) -> list[Finding]:
    return analyze(text, rules=[spec], fix=False, precheck=False).findings


def _decided(text: str, spec: registry.RuleSpec) -> list[Finding] | None:
    found = spec.decide(AstFacts(ast.parse(text), text))
    return None if found is None else _sorted(found)


def test_some_rules_decide_on_ast() -> None:
    assert [spec.code for spec in DECIDING] == ["MP009", "MP012", "MP017", "MP019"]


@pytest.mark.parametrize("spec", DECIDING, ids=lambda spec: spec.code)
def test_a_decision_on_ast_is_what_libcst_finds(spec: registry.RuleSpec) -> None:
    decided = 0
    for case, text in _texts():
        try:
            tree = ast.parse(text)
        except SyntaxError:
            continue  # a part of a program
        if not spec.may_find(AstFacts(tree, text)):
            continue
        found = _decided(text, spec)
        if found is not None:
            decided += 1
            assert found == _sorted(_by_libcst(text, spec)), case
    assert decided >= MADE[spec.code]  # the decisions are made, not all left to libcst


# How many of the cases each rule decides on ``ast`` at least (library-sets-start-method
# leaves calls at module level, which it may fix, to libcst; lost-async-result leaves
# executors, names that hold handles and pools stopped on purpose to libcst).
MADE = {"MP009": 1, "MP012": 3, "MP017": 2, "MP019": 5}


PINNED = """\
import multiprocessing as mp
import threading


def beat():
    pass


threading.Thread(target=beat).start()
mp.set_start_method("fork")
"""

IN_A_FUNCTION = """\
import multiprocessing as mp


def f():
    import threading

    threading.Thread(target=f).start()
    mp.set_start_method("fork")
"""
IN_ANOTHER_FUNCTION = """\
import multiprocessing as mp


def f():
    import threading


def g():
    threading.Thread(target=f).start()


mp.set_start_method("fork")
"""
DECORATED_CLASS = """\
import multiprocessing as mp
import threading


@dataclass
class Beat(threading.Thread):
    pass


mp.set_start_method("fork")
"""
THREAD_POOL = """\
import multiprocessing as mp
from multiprocessing.pool import ThreadPool

ThreadPool(2)
mp.set_start_method("fork")
"""
IN_A_TARGET = """\
import multiprocessing as mp
import threading


def work():
    threading.Thread(target=work).start()


mp.Process(target=work).start()
mp.set_start_method("fork")
"""
PIN = 'mp.set_start_method("fork")'
LOCAL_CONTEXT = '\n\ndef run():\n    ctx = mp.get_context()\n    ctx.set_start_method("fork")\n'
NAMED_LIKE_A_CONTEXT = """\
import multiprocessing as mp
from ctx import Thread

Thread()
ctx = mp.get_context("fork")
"""
ALIASED = "from multiprocessing import set_start_method as ssm\n"

# (id, program, whether the rule decides on ``ast``): each is held to libcst's findings.
CASES = [
    ("plain", PINNED, True),
    ("no-threads", PINNED.replace("threading.Thread(target=beat).start()\n", ""), True),
    ("another-method", PINNED.replace('"fork"', '"spawn"'), True),
    ("concatenated", PINNED.replace('"fork"', '"fo" "rk"'), True),
    ("keyword", PINNED.replace('"fork"', 'method="fork"'), True),
    ("context", PINNED.replace(PIN, 'ctx = mp.get_context("fork")'), True),
    ("non-ascii-before", PINNED.replace(PIN, f'x = "é€"; {PIN}'), True),
    ("aliased", ALIASED + PINNED.replace("mp.set_start_method", "ssm"), True),
    ("by-name", PINNED.replace("import threading", "from threading import Thread").replace("threading.", ""), True),
    ("imported-in-a-function", IN_A_FUNCTION, True),
    ("imported-in-another-function", IN_ANOTHER_FUNCTION, True),
    ("thread-class-decorated", DECORATED_CLASS, True),
    ("thread-pool", THREAD_POOL, True),
    # A context's own set_start_method() is the library's, as the libcst side follows it.
    ("through-a-context", PINNED.replace(PIN, 'ctx = mp.get_context()\nctx.set_start_method("fork")'), False),
    ("through-a-local-context", PINNED + LOCAL_CONTEXT, True),
    # The call in parentheses of its own (libcst counts them as the call's), or in a call's.
    ("parenthesised", PINNED.replace(PIN, f"({PIN})"), False),
    ("argument", PINNED.replace(PIN, 'use(mp.get_context("fork"))'), False),
    ("in-an-f-string", PINNED.replace(PIN, 'print(f"{mp.get_context(\'fork\')}")'), False),
    # A name both imported and assigned: only libcst's scopes tell which a use reads.
    ("rebound", PINNED + "mp = None\n", False),
    ("library-named-local", PINNED.replace("import threading\n", "threading = load()\n"), False),
    # A module named as a context is: the libcst side reads the head of the name as that context.
    ("a-module-named-like-a-context", NAMED_LIKE_A_CONTEXT, False),
    # The thread may run in children only: which thread is named first takes libcst.
    ("thread-in-a-target", IN_A_TARGET, False),
]


@pytest.mark.parametrize(("text", "decides"), [pytest.param(t, d, id=i) for i, t, d in CASES])
def test_the_rule_decides_where_ast_is_sure_and_agrees_with_libcst(text: str, decides: bool) -> None:
    spec = registry.BY_CODE["MP019"]
    found = _decided(text, spec)
    assert (found is not None) == decides
    if found is not None:
        assert found == _sorted(_by_libcst(text, spec))


SETS = """\
import multiprocessing as mp


def setup():
    mp.set_start_method("spawn")
"""
CALLED_BY_MAIN = SETS + "\n\ndef main():\n    setup()\n"
CALLBACK = SETS + "\n\ndef main(pool):\n    pool.apply_async(len, (), callback=setup)\n"
METHOD_OF_THE_SAME_NAME = SETS + "\n\nclass Case:\n    def setup(self):\n        pass\n"
READ_BEFORE_BINDING = SETS + "\n\ndef other():\n    setup()\n    setup = None\n"
LAMBDA_DEFAULT = SETS + "\n\nf = lambda start=setup(): start\n"
RESTORES = "    previous = mp.get_start_method()\n    mp.set_start_method(previous, force=True)"
SET_PREVIOUS = "    mp.set_start_method(previous, force=True)"
LOOP = "    for previous in ['fork']:\n        pass\n" + SET_PREVIOUS
CAPTURED = "    match 1:\n        case [previous, *_]:\n            pass\n"
NESTED = (
    "import multiprocessing as mp\n\n\ndef install({outer}):\n{bound}"
    "    def setup():\n        mp.set_start_method(previous, force=True)\n    return setup\n"
)
FORCED_PARAMETER = SETS.replace("setup()", "setup(method)").replace('"spawn"', "method, force=True")


def _restoring(body: str) -> str:
    return SETS.replace('    mp.set_start_method("spawn")', body)

CAUGHT = SETS.replace(
    '    mp.set_start_method("spawn")\n',
    '    try:\n        mp.set_start_method("spawn")\n    except RuntimeError:\n        pass\n',
)

# (id, program, whether the rule decides on ``ast``): each is held to libcst's findings.
SETS_CASES = [
    ("in-a-function", SETS, True),
    ("forced", SETS.replace('"spawn"', '"spawn", force=True'), True),
    ("not-forced", SETS.replace('"spawn"', '"spawn", False'), True),
    ("called-by-a-function-importers-call", CALLED_BY_MAIN, True),
    ("called-at-import", SETS + "\nsetup()\n", True),
    ("a-callback", CALLBACK, True),
    ("a-default-read-at-import", LAMBDA_DEFAULT, True),
    ("caught", CAUGHT, True),
    # A forced method from a name may put back what `get_start_method()` gave.
    ("forced-from-a-parameter", FORCED_PARAMETER, True),
    ("restored", _restoring(RESTORES), True),
    ("bound-again-after", _restoring(RESTORES + "\n    previous = 'fork'"), False),
    ("bound-otherwise-before", _restoring("    previous = 'fork'\n" + RESTORES), True),
    ("restored-from-a-context", _restoring(RESTORES.replace("mp.get_start", "mp.get_context().get_start")), True),
    ("restored-in-a-loop", _restoring(LOOP), True),
    ("restored-after-a-walrus", _restoring("    (previous := 1)\n" + RESTORES), False),
    ("a-global-restored", _restoring(RESTORES) + "\nprevious = 1\n", True),
    ("restored-from-the-module", _restoring(SET_PREVIOUS) + "\nprevious = mp.get_start_method()\n", False),
    ("captured-by-a-case", _restoring("    previous = mp.get_start_method()\n" + CAPTURED + SET_PREVIOUS), True),
    ("a-parameter-of-the-function-around", NESTED.format(outer="previous", bound=""), True),
    ("bound-in-the-function-around", NESTED.format(outer="", bound="    previous = mp.get_start_method()\n"), False),
    ("caught-in-a-tuple", CAUGHT.replace("except RuntimeError:", "except (ValueError, Exception):"), True),
    ("caught-bare", CAUGHT.replace("except RuntimeError:", "except:"), True),
    ("not-caught", CAUGHT.replace("except RuntimeError:", "except ValueError:"), True),
    ("in-a-handler", CAUGHT.replace("        mp.set", "        pass\n    except RuntimeError:\n        mp.set"), True),
    ("a-script-by-its-argv", "import sys\n" + SETS + "\nprint(sys.argv)\n", True),
    ("a-script-by-its-first-line", "#!/usr/bin/env python\n" + SETS, True),
    ("a-script-by-its-argv-imported", "from sys import argv\n" + SETS, True),
    # At module level the rule may fix the call: libcst's to build.
    ("a-method-of-the-same-name", METHOD_OF_THE_SAME_NAME + "\nsetup()\n", True),
    ("module-level", SETS + '\nmp.set_start_method("fork")\n', False),
    # A read before the binding of its own scope: libcst sends it to the scope around.
    ("read-before-a-local-binding", READ_BEFORE_BINDING, False),
    # In a test module's set-up the call is left alone, whatever libcst's scopes would tell.
    (
        "set-up-of-a-test-module-with-a-read-before-a-local-binding",
        "import unittest\n" + READ_BEFORE_BINDING.replace("setup", "setUpModule"),
        True,
    ),
]


@pytest.mark.parametrize(("text", "decides"), [pytest.param(t, d, id=i) for i, t, d in SETS_CASES])
def test_library_sets_start_method_decides_calls_in_functions_on_ast(text: str, decides: bool) -> None:
    spec = registry.BY_CODE["MP017"]
    found = _decided(text, spec)
    assert (found is not None) == decides
    if found is not None:
        assert found == _sorted(_by_libcst(text, spec))


TARGETS = "import multiprocessing as mp\n\n\n"
RUN = (
    "def run():\n"
    "    log = open('log.txt', 'w')\n"
    "    p = mp.Process(target=lambda: log.flush())\n"
    "    p.start()\n"
    "    p.join()\n"
)
GLOBAL_UNDER_GUARD = (
    "def run():\n"
    "    mp.Process(target=lambda: print(CONFIG)).start()\n"
    "\n"
    "\n"
    "if __name__ == '__main__':\n"
    "    CONFIG = 1\n"
    "    run()\n"
)
METHOD = (
    "class Case:\n"
    "    def test(self):\n"
    "        out = []\n"
    "        mp.Process(target=lambda: out.append(1)).start()\n"
)
PARAMETER = "def run(n):\n    mp.Process(target=lambda: print(n)).start()\n"
POOL_TASK = "def run():\n    with mp.Pool() as pool:\n        pool.map(lambda x: x, [1])\n"
UNDER_GUARD = (
    "if __name__ == '__main__':\n    log = open('log.txt', 'w')\n    mp.Process(target=lambda: log.flush()).start()\n"
)
BOUND_AFTER = (
    "def run():\n"
    "    p = mp.Process(target=lambda: log.flush())\n"
    "    log = open('log.txt', 'w')\n"
    "    p.start()\n"
)

# (id, program, whether unpicklable-task decides on ``ast``): a process target that is a
# lambda reading a name of the function around it has no fix, and is decided there; a
# lambda that moves, a pool's task, or what only libcst's scopes tell is left to libcst.
TARGET_CASES = [
    ("reads-a-local", TARGETS + RUN, True),
    ("a-method-reads-a-local", TARGETS + METHOD, True),
    ("reads-a-global-set-under-the-guard", TARGETS + GLOBAL_UNDER_GUARD, True),
    ("a-parameter-when-args-are-given", TARGETS + PARAMETER.replace("lambda: print(n))", "lambda: n, args=())"), True),
    ("a-fork-start-method", "import multiprocessing as mp\n\nmp.set_start_method('fork')\n\n\n" + RUN, True),
    ("a-fork-context", TARGETS + RUN.replace("mp.Process", "mp.get_context('fork').Process"), True),
    ("a-spawn-context", TARGETS + RUN.replace("mp.Process", "mp.get_context('spawn').Process"), True),
    # A lambda that can take the parameter it reads, or reads builtins only, moves: libcst's fix.
    ("a-parameter-it-can-take", TARGETS + PARAMETER, False),
    ("builtins-only", TARGETS + "def run():\n    mp.Process(target=lambda: print(len('x'))).start()\n", False),
    ("a-rebound-parameter", TARGETS + PARAMETER.replace(":\n", ":\n    n += 1\n", 1), False),
    ("a-pool-task", TARGETS + POOL_TASK, False),
    ("under-the-guard", TARGETS + UNDER_GUARD, False),
    ("bound-after-the-lambda", TARGETS + BOUND_AFTER, False),
    ("bound-by-an-augmented-assignment", TARGETS + RUN.replace("log = open('log.txt', 'w')", "log += 1"), False),
    ("a-parenthesised-lambda", TARGETS + RUN.replace("=lambda: log.flush()", "=(lambda: log.flush())"), False),
]


@pytest.mark.parametrize(("text", "decides"), [pytest.param(t, d, id=i) for i, t, d in TARGET_CASES])
def test_unpicklable_task_decides_targets_that_read_the_function_around_them(text: str, decides: bool) -> None:
    spec = registry.BY_CODE["MP009"]
    found = _decided(text, spec)
    assert (found is not None) == decides
    if found is not None:
        assert found == _sorted(_by_libcst(text, spec))
    if decides and "fork'" not in text:
        assert found  # a finding, not only the absence of one


def test_a_file_that_only_deciding_rules_pass_is_checked_without_libcst(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_libcst(code: str) -> None:
        raise AssertionError("libcst parsed the file")

    monkeypatch.setattr(engine, "parse", no_libcst)
    result = analyze(PINNED, rules=[registry.BY_CODE["MP019"]], fix=True)

    assert [(f.code, f.line, f.column) for f in result.findings] == [("MP019", 10, 1)]
    assert result.findings[0].message.startswith('`mp.set_start_method("fork")` pins the start method to fork')
    assert "(`threading.Thread` on line 9)" in result.findings[0].message
    assert result.fixed == PINNED


def test_a_suppression_comment_covers_a_decision_on_ast() -> None:
    text = PINNED.replace('mp.set_start_method("fork")', 'mp.set_start_method("fork")  # noqa: MP019')

    mp019 = [registry.BY_CODE["MP019"]]

    assert [f.code for f in analyze(PINNED, rules=mp019, fix=False).findings] == ["MP019"]
    assert analyze(text, rules=mp019, fix=False).findings == []


POOL = "import multiprocessing as mp\nimport time\n\n\ndef run(pool, n):\n    {statement}\n"

# (id, the statement, whether lost-async-result decides on ``ast``): each is held to libcst's findings.
HANDLE_CASES = [
    ("thrown-away", "pool.apply_async(abs, (n,))", True),
    ("each-async-method", "pool.map_async(abs, [n])\n    pool.starmap_async(divmod, [(n, 2)])", True),
    ("with-an-error-callback", "pool.apply_async(abs, (n,), error_callback=print)", True),
    ("read", "print(pool.apply_async(abs, (n,)).get())", True),
    ("sleep-that-cannot-raise", "pool.apply_async(time.sleep, (0.5,))", True),
    ("sleep-that-raises", "pool.apply_async(time.sleep, (-1,))", True),
    # libcst names the builtin `builtins.id`; the `ast` names leave builtins out.
    ("a-builtin-that-cannot-raise", "pool.apply_async(id, (1,))", False),
    ("an-attribute-pool", "self.pool.apply_async(abs, (n,))", True),
    ("in-parentheses", "(pool.apply_async(abs, (n,)))", False),
    ("bound-to-a-name", "handle = pool.apply_async(abs, (n,))", False),
    ("stopped-after", "pool.apply_async(abs, (n,))\n    pool.terminate()", False),
    ("an-executor", "pool.apply_async(abs, (n,))\n    pool.submit(abs, n)", False),
    ("beside-celery", "import celery\n    pool.apply_async(abs, (n,))", False),
]


@pytest.mark.parametrize(
    ("statement", "decides"), [pytest.param(s, d, id=i) for i, s, d in HANDLE_CASES]
)
def test_lost_async_result_decides_handles_thrown_away_on_ast(statement: str, decides: bool) -> None:
    spec = registry.BY_CODE["MP012"]
    text = POOL.format(statement=statement)
    found = _decided(text, spec)
    assert (found is not None) == decides
    if found is not None:
        assert found == _sorted(_by_libcst(text, spec))

