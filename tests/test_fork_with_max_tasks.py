"""fork-with-max-tasks (MP018): an executor that replaces its workers, given a fork context.

The fix asks for spawn, and the spawn rules treat such an executor as spawn whatever
start method the module sets.
"""

from __future__ import annotations

import pytest
from mpfix import registry
from mpfix.engine import analyze
from rule_cases import RuleCases

CASES = RuleCases("MP018")
UNSAFE = "the workers start by spawn"

FIXED = {
    "context-bound-to-a-name": (
        """\
import multiprocessing
from concurrent import futures

FORK = multiprocessing.get_context('fork')


def run(numbers):
    with futures.ProcessPoolExecutor(2, FORK, max_tasks_per_child=1) as executor:
        return list(executor.map(abs, numbers))
""",
        """\
import multiprocessing
from concurrent import futures

FORK = multiprocessing.get_context('spawn')


def run(numbers):
    with futures.ProcessPoolExecutor(2, FORK, max_tasks_per_child=1) as executor:
        return list(executor.map(abs, numbers))
""",
    ),
}

LEFT_ALONE = {
    "context-bound-to-a-name": """\
import multiprocessing
from concurrent import futures

FORK = multiprocessing.get_context('fork')


def run(numbers):
    with futures.ProcessPoolExecutor(2, FORK, max_tasks_per_child=None) as executor:
        return list(executor.map(abs, numbers))


def run_spawned(numbers):
    with futures.ProcessPoolExecutor(2, None, max_tasks_per_child=1) as executor:
        return list(executor.map(abs, numbers))
""",
}

REPORTED = {
    "context-used-elsewhere": (
        """\
import multiprocessing as mp
from concurrent.futures import ProcessPoolExecutor

FORK = mp.get_context("fork")


def run(numbers):
    FORK.Process(target=print).start()
    with ProcessPoolExecutor(2, mp_context=FORK, max_tasks_per_child=1) as executor:
        return list(executor.map(abs, numbers))
""",
        "`FORK` also starts other processes, which may need fork",
    ),
    "default-context": (
        """\
import multiprocessing as mp
from concurrent.futures import ProcessPoolExecutor


def run(numbers):
    with ProcessPoolExecutor(2, mp_context=mp.get_context(), max_tasks_per_child=1) as executor:
        return list(executor.map(abs, numbers))
""",
        'pass `mp_context=multiprocessing.get_context("spawn")`, or none',
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


# Under fork a function defined under the guard is found in the forked worker; this
# executor spawns its workers even so, and they fail with BrokenProcessPool.
GUARDED_TASK = """\
import multiprocessing as mp
from concurrent.futures import ProcessPoolExecutor

if __name__ == "__main__":
    mp.set_start_method("fork")

    def square(n):
        return n * n

    with ProcessPoolExecutor(2{options}) as executor:
        print(sum(executor.map(square, range(5))))
"""


@pytest.mark.parametrize(("options", "found"), [(", max_tasks_per_child=10", True), ("", False)])
def test_the_spawn_rules_see_that_such_an_executor_spawns(options: str, found: bool) -> None:
    result = analyze(GUARDED_TASK.format(options=options), rules=[registry.BY_CODE["MP009"]])
    assert bool(result.findings) is found
