"""library-sets-start-method (MP017): a module that is imported sets the start method.

The snippets' library runs as what it is, a module that a program imports: before the
fix the program fails under every start method it may choose (and, choosing none, every
spawned child fails as it imports the library); after it, the program prints its result
under each.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from mpfix import registry
from mpfix.engine import analyze
from programs import START_METHODS, run_program
from rule_cases import RuleCases

CASES = RuleCases("MP017")
SNIPPETS = Path(__file__).resolve().parent.parent / "docs" / "snippets" / "library-sets-start-method"
PROGRAM = """\
import shapes

if __name__ == "__main__":
    print(shapes.squares([1, 2, 3, 4]))
"""
UNSAFE = "code outside this module that relied on the start method it set gets the platform's default"


def _program(tmp_path: Path, library: str) -> Path:
    shutil.copy(SNIPPETS / library, tmp_path / "shapes.py")
    program = tmp_path / "program.py"
    program.write_text(PROGRAM, encoding="utf-8")
    return program


@pytest.mark.parametrize("method", ["default", *START_METHODS])
def test_the_library_breaks_its_importers_and_the_fixed_one_does_not(tmp_path: Path, method: str) -> None:
    before = run_program(_program(tmp_path, "library.before.py"), method, timeout=30, stop_on="RuntimeError")
    assert "RuntimeError: context has already been set" in before.stderr
    after = run_program(_program(tmp_path, "library.after.py"), method)
    assert (after.returncode, after.stdout) == (0, "[1, 4, 9, 16]\n"), after.stderr


FIXED = {
    "every-use-through-the-context": (
        """\
import multiprocessing
from concurrent.futures import ProcessPoolExecutor

multiprocessing.set_start_method("forkserver", force=True)
ctx = None


def run(numbers):
    lock = multiprocessing.Lock()
    with multiprocessing.Pool(2, initargs=(multiprocessing.Value("i"),)) as pool:
        pool.map(abs, numbers)
    with ProcessPoolExecutor(2) as executor:
        executor.submit(abs, 1)
    return multiprocessing.get_start_method(), lock
""",
        """\
import multiprocessing
from concurrent.futures import ProcessPoolExecutor

ctx_2 = multiprocessing.get_context("forkserver")
ctx = None


def run(numbers):
    lock = ctx_2.Lock()
    with ctx_2.Pool(2, initargs=(ctx_2.Value("i"),)) as pool:
        pool.map(abs, numbers)
    with ProcessPoolExecutor(2, mp_context=ctx_2) as executor:
        executor.submit(abs, 1)
    return ctx_2.get_start_method(), lock
""",
    ),
}

FIXED["imported-by-name"] = (
    """\
from multiprocessing import Pool, set_start_method

set_start_method("spawn")


def run(numbers):
    with Pool(2) as pool:
        return pool.map(abs, numbers)
""",
    """\
from multiprocessing import Pool, get_context

ctx = get_context("spawn")


def run(numbers):
    with ctx.Pool(2) as pool:
        return pool.map(abs, numbers)
""",
)

LEFT_ALONE = {
    # A script, and a module whose own contexts do not depend on the method in force.
    "every-use-through-the-context": """\
import multiprocessing
from concurrent.futures import ProcessPoolExecutor

spawn = multiprocessing.get_context("spawn")


def run(numbers):
    with spawn.Pool(2) as pool:
        pool.map(abs, numbers)
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("fork")) as executor:
        executor.submit(abs, 1)


def main():
    multiprocessing.set_start_method("forkserver", force=True)
    run([1])


if __name__ == "__main__":
    main()
""",
    "imported-by-name": """\
from multiprocessing import Pool, get_context

spawn = get_context("spawn")


def run(numbers):
    with spawn.Pool(2) as pool:
        return pool.map(abs, numbers)
""",
}

REPORTED = {
    "imported-under-another-name": (
        """\
from multiprocessing import Pool, set_start_method as choose

choose("spawn")


def run(numbers):
    with Pool(2) as pool:
        return pool.map(abs, numbers)
""",
        "`set_start_method` is imported under another name, or called elsewhere too",
    ),
    "under-a-condition": (
        """\
import multiprocessing as mp
import sys

if sys.platform == "darwin":
    mp.set_start_method("fork")
""",
        "the start method is set under a condition or in a `try`",
    ),
    "used-before": (
        """\
import multiprocessing as mp

LOCK = mp.Lock()
mp.set_start_method("spawn")
""",
        "the module creates processes or their objects before it sets the start method",
    ),
    "subclass": (
        """\
import multiprocessing as mp

mp.set_start_method("spawn")


class Worker(mp.Process):
    pass
""",
        "`mp.Process` is used other than called",
    ),
    "direct-pool-class": (
        """\
import multiprocessing.pool
import multiprocessing as mp

mp.set_start_method("spawn")


def run():
    return multiprocessing.pool.Pool(2)
""",
        "`multiprocessing.pool.Pool` has no context of its own",
    ),
    # The call would go, and with it the method the module chose for a library's workers.
    "nothing-goes-through-a-context": (
        """\
import multiprocessing

multiprocessing.set_start_method("fork", force=True)


def make_loader(dataset):
    from torch.utils.data import DataLoader

    print("workers start by", multiprocessing.get_start_method())
    return DataLoader(dataset, num_workers=2)
""",
        "nothing in this module starts a process or makes a pool, queue or lock through `multiprocessing`",
    ),
    "function-that-importers-call": (
        """\
import multiprocessing as mp


def setup():
    mp.set_start_method("spawn", force=True)
""",
        "create the processes of this module from `multiprocessing.get_context(method)`",
    ),
}


@pytest.mark.parametrize("case", FIXED)
def test_fixes_only_on_request(case: str) -> None:
    CASES.assert_unsafe_fix_only_on_request(*FIXED[case], UNSAFE)
    again = CASES.check(FIXED[case][1], unsafe_fixes=True)
    assert again.findings == [] and not again.changed


@pytest.mark.parametrize("case", LEFT_ALONE)
def test_leaves_alone(case: str) -> None:
    CASES.assert_leaves_alone(LEFT_ALONE[case])


@pytest.mark.parametrize("case", REPORTED)
def test_reports_without_fix(case: str) -> None:
    CASES.assert_reports_without_fix(*REPORTED[case])


def test_every_fixed_case_has_a_twin() -> None:
    assert FIXED.keys() == LEFT_ALONE.keys()


SCRIPT_PART = """\
import multiprocessing as mp

mp.set_start_method("spawn")
worker = mp.Process(target=print, args=("hello",))
worker.start()
worker.join()
"""


@pytest.mark.parametrize(
    ("source", "code"),
    [(SCRIPT_PART, "MP001"), (FIXED["every-use-through-the-context"][0], "MP017")],
    ids=["script-part-guarded", "library-given-a-context"],
)
def test_one_rule_of_the_two_takes_a_module_level_start_method(source: str, code: str) -> None:
    rules = [registry.BY_CODE["MP001"], registry.BY_CODE["MP017"]]
    assert {finding.code for finding in analyze(source, rules=rules).findings} == {code}


FORCING_LIBRARY = """\
import multiprocessing

multiprocessing.set_start_method("spawn", force=True)


def method():
    return multiprocessing.get_start_method()
"""
FORCED_PROGRAM = """\
import multiprocessing

if __name__ == "__main__":
    multiprocessing.set_start_method("{method}")
    import forcing

    print(forcing.method())
"""


@pytest.mark.parametrize("method", START_METHODS)
def test_a_forced_start_method_is_said_to_replace_the_programs_without_a_word(tmp_path: Path, method: str) -> None:
    [finding] = CASES.check(FORCING_LIBRARY).findings
    assert "`multiprocessing.set_start_method(..., force=True)` runs when this module is imported" in finding.message
    assert "replaces, without a word, the start method that the program chose" in finding.message
    assert "RuntimeError" not in finding.message
    # As the message says: no error, and the program's method is gone.
    (tmp_path / "forcing.py").write_text(FORCING_LIBRARY, encoding="utf-8")
    (tmp_path / "main.py").write_text(FORCED_PROGRAM.format(method=method), encoding="utf-8")
    run = run_program(tmp_path / "main.py", "default")
    assert (run.returncode, run.stdout) == (0, "spawn\n"), run.stderr


def test_a_forced_start_method_in_a_function_is_said_to_replace_the_method_in_force() -> None:
    source = "import multiprocessing as mp\n\n\ndef setup():\n    mp.set_start_method('spawn', True)\n"
    [finding] = CASES.check(source).findings
    assert "with `force=True` it replaces, without a word, the start method that the program or another" in (
        finding.message
    )
    for unforced_call in ("", ", force=False", ", None"):
        unforced = CASES.check(source.replace(", True", unforced_call)).findings
        assert [
            "a second call fails with `RuntimeError: context has already been set`" in f.message for f in unforced
        ] == [True], unforced_call


WARNING_LIBRARY = """\
import multiprocessing as mp
import warnings


def setup(method="spawn"):
    current = mp.get_start_method(allow_none=True)
    if current is not None and current != method:
        warnings.warn(f"the start method {current} will be set to {method}")
    mp.set_start_method(method, force=True)
"""
WARNED_PROGRAM = """\
import multiprocessing as mp
import warnings

import warning

if __name__ == "__main__":
    mp.set_start_method("{method}")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warning.setup()
    print(mp.get_start_method(), len(caught))
"""


@pytest.mark.parametrize("method", START_METHODS)
def test_a_forced_start_method_after_a_warning_is_said_to_replace_the_programs_after_it(
    tmp_path: Path, method: str
) -> None:
    [finding] = CASES.check(WARNING_LIBRARY).findings
    assert "with `force=True` it replaces, after only a warning, the start method that the program or" in (
        finding.message
    )
    assert "without a word" not in finding.message
    # Decided on ast, as the rule's libcst side says it.
    assert analyze(WARNING_LIBRARY, rules=CASES.specs, precheck=False).findings == [finding]
    # As the message says: the program is warned, and its method is gone all the same.
    (tmp_path / "warning.py").write_text(WARNING_LIBRARY, encoding="utf-8")
    (tmp_path / "main.py").write_text(WARNED_PROGRAM.format(method=method), encoding="utf-8")
    run = run_program(tmp_path / "main.py", "default")
    warned = 0 if method == "spawn" else 1
    assert (run.returncode, run.stdout) == (0, f"spawn {warned}\n"), run.stderr
    # A warning after the call, or in another function, tells nothing before it.
    late = WARNING_LIBRARY.replace("    mp.set_start_method(method, force=True)\n", "").replace(
        "    current = ", "    mp.set_start_method(method, force=True)\n    current = "
    )
    [finding] = CASES.check(late).findings
    assert "without a word" in finding.message
    assert analyze(late, rules=CASES.specs, precheck=False).findings == [finding]


CATCHING_LIBRARY = """\
import multiprocessing as mp


def setup():
    try:
        mp.set_start_method("spawn")
    except RuntimeError:
        pass
"""
CAUGHT_PROGRAM = """\
import multiprocessing as mp

import catching

if __name__ == "__main__":
    catching.setup()
    print(mp.get_start_method())
"""


# What the rule says of a call in a `try` whose `except` catches its RuntimeError, up to
# what that `except` does.
CAUGHT = (
    "`mp.set_start_method()` sets the start method of the whole program from a module that is imported: where "
    "the program or another library chose one first, the call fails, and the `except` that catches it"
)


@pytest.mark.parametrize("method", START_METHODS)
def test_a_caught_second_call_is_said_to_leave_the_module_with_another_method(tmp_path: Path, method: str) -> None:
    [finding] = CASES.check(CATCHING_LIBRARY).findings
    assert finding.message.startswith(f"{CAUGHT} leaves this module with a start method it did not ask for")
    assert "a second call fails" not in finding.message
    # As the message says: the program chose first, and the module asked for spawn in vain.
    (tmp_path / "catching.py").write_text(CATCHING_LIBRARY, encoding="utf-8")
    (tmp_path / "main.py").write_text(CAUGHT_PROGRAM, encoding="utf-8")
    run = run_program(tmp_path / "main.py", method)
    assert (run.returncode, run.stdout) == (0, f"{method}\n"), run.stderr


INSISTING_LIBRARY = """\
import multiprocessing as mp


def setup():
    try:
        mp.set_start_method("spawn")
    except RuntimeError:
        assert mp.get_start_method() == "spawn", "the start method must be spawn"
"""
INSISTING_PROGRAM = CAUGHT_PROGRAM.replace("catching", "insisting")


@pytest.mark.parametrize("method", START_METHODS)
def test_a_caught_second_call_whose_handler_asserts_is_said_to_stop_a_program_that_chose_another(
    tmp_path: Path, method: str
) -> None:
    [finding] = CASES.check(INSISTING_LIBRARY).findings
    assert finding.message.startswith(
        f"{CAUGHT} asserts or raises: a program that chose another start method cannot use this module"
    )
    assert "did not ask for" not in finding.message
    assert analyze(INSISTING_LIBRARY, rules=CASES.specs, precheck=False).findings == [finding]
    # As the message says: a program that chose another method stops; one that chose spawn goes on.
    (tmp_path / "insisting.py").write_text(INSISTING_LIBRARY, encoding="utf-8")
    (tmp_path / "main.py").write_text(INSISTING_PROGRAM, encoding="utf-8")
    run = run_program(tmp_path / "main.py", method)
    if method == "spawn":
        assert (run.returncode, run.stdout) == (0, "spawn\n"), run.stderr
    else:
        assert run.returncode != 0 and "AssertionError: the start method must be spawn" in run.stderr
    # A handler that raises again says the same; one whose raise is in a function it defines does not.
    check = INSISTING_LIBRARY.splitlines(keepends=True)[-1]
    raising = INSISTING_LIBRARY.replace(check, "        raise\n")
    deferred = INSISTING_LIBRARY.replace(check, "        def check():\n    " + check)
    for source, said in ((raising, "asserts or raises"), (deferred, "did not ask for")):
        [finding] = CASES.check(source).findings
        assert said in finding.message
        assert analyze(source, rules=CASES.specs, precheck=False).findings == [finding]


SAVED_AND_RESTORED = """\
import multiprocessing as mp


def run_spawned(target):
    previous = mp.get_start_method(allow_none=True)
    mp.set_start_method("spawn", force=True)
    try:
        process = mp.Process(target=target)
        process.start()
        process.join()
    finally:
        mp.set_start_method(previous, force=True)


def choose(method):
    mp.set_start_method(method, force=True)
"""


def test_putting_back_the_saved_start_method_is_left_alone() -> None:
    # The call in `finally` sets what `get_start_method()` gave: the program's own choice.
    # The one that forces spawn, and one that sets a method from elsewhere, are reported.
    result = CASES.check(SAVED_AND_RESTORED)
    assert [(f.code, f.line) for f in result.findings] == [("MP017", 6), ("MP017", 16)]


def test_a_saved_start_method_that_a_case_binds_again_is_not_put_back() -> None:
    source = SAVED_AND_RESTORED.replace(
        "    finally:\n", "        match target:\n            case previous:\n                pass\n    finally:\n"
    )
    lines = [f.line for f in CASES.check(source).findings]
    assert lines == [6, 15, 19]


FORGOTTEN = """\
import multiprocessing
import pytest

multiprocessing.set_start_method({method}, force=True)


def with_the_default_method(run):
    multiprocessing.set_start_method({method}, force=True)
    run()
    multiprocessing.set_start_method(method={method}, force=True)
"""


@pytest.mark.parametrize("precheck", [True, False])
@pytest.mark.parametrize("at_module_level", [True, False], ids=["also-at-module-level", "in-functions-only"])
def test_forgetting_the_chosen_start_method_is_left_alone(precheck: bool, at_module_level: bool) -> None:
    # `set_start_method(None, force=True)` chooses no method: the next use takes the
    # platform's default, as if nothing had been chosen (a test's clean-up, as a rule). Its
    # twin, choosing spawn, is reported.
    source = FORGOTTEN if at_module_level else FORGOTTEN.replace("\nmultiprocessing.set_start_method", "\n#")
    assert analyze(source.format(method="None"), rules=CASES.specs, precheck=precheck).findings == []
    chosen = analyze(source.format(method='"spawn"'), rules=CASES.specs, precheck=precheck).findings
    lines = [4, 8, 10] if at_module_level else [8, 10]
    assert [(f.code, f.line) for f in chosen] == [("MP017", line) for line in lines]


IN_TESTS = """\
import multiprocessing
import unittest

import pytest


@pytest.fixture
def spawn_context():
    multiprocessing.set_start_method("spawn", force=True)
    yield


@pytest.fixture(autouse=True)
def forkserver():
    multiprocessing.set_start_method("forkserver", force=True)


def test_under_spawn():
    multiprocessing.set_start_method("spawn", force=True)


class Pickling(unittest.TestCase):
    def setUp(self):
        multiprocessing.set_start_method("spawn", force=True)
"""


@pytest.mark.parametrize("precheck", [True, False])
def test_a_test_its_set_up_and_a_fixture_choose_the_method_their_tests_run_under(precheck: bool) -> None:
    assert analyze(IN_TESTS, rules=CASES.specs, precheck=precheck).findings == []
    # Their twins: the same calls in functions that a program may call.
    library = IN_TESTS.replace("@pytest.fixture(autouse=True)\n", "").replace("@pytest.fixture\n", "")
    library = library.replace("def test_under", "def run_under").replace("def setUp", "def prepare")
    found = analyze(library, rules=CASES.specs, precheck=precheck).findings
    assert [(f.code, f.line) for f in found] == [("MP017", 8), ("MP017", 13), ("MP017", 17), ("MP017", 22)]
    # A test's name counts only in a module that imports a test framework: pytest runs the
    # `test_*` functions of test modules alone.
    named = IN_TESTS.replace("import unittest\n", "").replace("unittest.TestCase", "object")
    named = named.replace("\nimport pytest\n", "\n").replace("@pytest.fixture(autouse=True)\n", "")
    named = named.replace("@pytest.fixture\n", "")
    found = analyze(named, rules=CASES.specs, precheck=precheck).findings
    assert [(f.code, f.line) for f in found] == [("MP017", 6), ("MP017", 11), ("MP017", 15), ("MP017", 20)]
