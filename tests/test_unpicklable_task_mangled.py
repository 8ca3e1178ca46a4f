"""unpicklable-task (MP009): bound methods with a name-mangled name, which multiprocessing
cannot send on any Python version (3.15's ``pickle`` can, but multiprocessing's pickler
sends a method by its unmangled ``__name__``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from mpfix.model import TargetVersion
from programs import START_METHODS, run_program
from rule_cases import RuleCases

PY314 = RuleCases("MP009", target_version=TargetVersion.PY314)
PY315 = RuleCases("MP009", target_version=TargetVersion.PY315)
RISK = "a base or subclass in another module may define the new name"

POOL_TASK = """\
import multiprocessing as mp


class Doubler:
    def __double(self, x):
        return x * 2

    def run(self):
        with mp.Pool(2) as pool:
            return pool.map(self.__double, [1, 2])


if __name__ == "__main__":
    print(Doubler().run())
"""
POOL_TASK_FIXED = POOL_TASK.replace("__double", "_double")

PROCESS_TARGET = """\
import multiprocessing as mp


class Greeter:
    def __greet(self, name):
        print("hello", name)

    def run(self):
        p = mp.Process(target=self.__greet, args=("ada",))
        p.start()
        p.join()
        self.__greet("parent")


if __name__ == "__main__":
    Greeter().run()
"""
PROCESS_TARGET_FIXED = PROCESS_TARGET.replace("__greet", "_greet")


@pytest.mark.parametrize("cases", [PY314, PY315], ids=["py314", "py315"])
@pytest.mark.parametrize(
    ("before", "after"),
    [(POOL_TASK, POOL_TASK_FIXED), (PROCESS_TARGET, PROCESS_TARGET_FIXED)],
    ids=["pool-task", "process-target"],
)
def test_renames_on_request_at_every_target_version(cases: RuleCases, before: str, after: str) -> None:
    cases.assert_unsafe_fix_only_on_request(before, after, RISK)


def test_message_names_the_method_and_why() -> None:
    [finding] = PY315.check(POOL_TASK).findings
    assert finding.message.startswith(
        "`pool.map()` pickles its task under every start method, and cannot pickle `self.__double`, "
        "a method with a name-mangled name: multiprocessing sends a bound method by its `__name__`"
    )
    assert finding.fix_title == "Rename `__double` to `_double`"


LEFT_ALONE = [
    pytest.param(POOL_TASK_FIXED, id="single-underscore-method"),
    pytest.param(POOL_TASK.replace("__double", "__call__"), id="dunder-method"),
    pytest.param(
        PROCESS_TARGET.replace("mp.Process(", 'mp.get_context("fork").Process('),
        id="process-target-under-explicit-fork",
    ),
    pytest.param(
        POOL_TASK.replace("mp.Pool(2)", "mp.pool.ThreadPool(2)").replace(
            "import multiprocessing as mp", "import multiprocessing as mp\nimport multiprocessing.pool"
        ),
        id="thread-pool",
    ),
]


@pytest.mark.parametrize("cases", [PY314, PY315], ids=["py314", "py315"])
@pytest.mark.parametrize("source", LEFT_ALONE)
def test_leaves_alone(cases: RuleCases, source: str) -> None:
    cases.assert_leaves_alone(source)


REPORTED = [
    pytest.param(
        POOL_TASK.replace("    def run(self):", "    def _double(self):\n        pass\n\n    def run(self):"),
        "the file already uses `_double` or the mangled name",
        id="new-name-taken",
    ),
    pytest.param(
        POOL_TASK.replace(
            "    def run(self):", "    def check(self):\n        return self._Doubler__double\n\n    def run(self):"
        ),
        "the file already uses `_double` or the mangled name",
        id="mangled-name-spelled-out",
    ),
    pytest.param(
        POOL_TASK + '\nNOTE = "__double"\n',
        "the file uses `__double` outside the methods of `Doubler`",
        id="name-in-a-string",
    ),
]


@pytest.mark.parametrize(("source", "reason"), REPORTED)
def test_reports_without_fix(source: str, reason: str) -> None:
    PY315.assert_reports_without_fix(source, reason)


@pytest.mark.parametrize("method", START_METHODS)
@pytest.mark.parametrize(
    ("after", "output"),
    [(POOL_TASK_FIXED, "[2, 4]\n"), (PROCESS_TARGET_FIXED, "hello ada\nhello parent\n")],
    ids=["pool-task", "process-target"],
)
def test_fixed_program_runs(tmp_path: Path, after: str, output: str, method: str) -> None:
    program = tmp_path / "program.py"
    program.write_text(after)
    run = run_program(program, method)
    assert (run.returncode, run.stdout) == (0, output), run.stderr


@pytest.mark.parametrize("method", ["spawn", "forkserver"])
def test_unfixed_process_target_fails_in_the_child(tmp_path: Path, method: str) -> None:
    program = tmp_path / "program.py"
    program.write_text(PROCESS_TARGET)
    run = run_program(program, method)
    assert run.stdout == "hello parent\n"
    assert "AttributeError: 'Greeter' object has no attribute '__greet'" in run.stderr
