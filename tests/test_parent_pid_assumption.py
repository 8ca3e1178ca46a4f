"""parent-pid-assumption (MP020): `os.getppid()` compared in code that runs in a child is
reported; each case has a twin left alone. The page's program gives up under forkserver
only, and its twin with `multiprocessing.parent_process()` works under every method."""

from __future__ import annotations

from pathlib import Path

import pytest
from programs import START_METHODS, run_program
from rule_cases import RuleCases

MP020 = RuleCases("MP020")
SNIPPETS = Path(__file__).resolve().parent.parent / "docs" / "snippets" / "parent-pid-assumption"
ADVICE = "`multiprocessing.parent_process()` is the process that started this one under every start method"

# (reported, its twin)
REPORTED = [
    pytest.param(
        """\
import os
from concurrent.futures import ProcessPoolExecutor


def task(owner):
    return os.getppid() == owner


def main():
    with ProcessPoolExecutor() as executor:
        return executor.submit(task, os.getpid()).result()
""",
        """\
import os
from concurrent.futures import ProcessPoolExecutor


def task(owner):
    return os.getpid() == owner


def main():
    with ProcessPoolExecutor() as executor:
        return executor.submit(task, os.getpid()).result()
""",
        id="pool-task",
    ),
    pytest.param(
        """\
import multiprocessing
from os import getppid


def watch(starter):
    while getppid() == starter:
        pass


if __name__ == "__main__":
    multiprocessing.Process(target=watch, args=(1234,)).start()
""",
        """\
import multiprocessing
from os import getppid


def watch(starter):
    while getppid() != 1:
        pass


if __name__ == "__main__":
    multiprocessing.Process(target=watch, args=(1234,)).start()
""",
        id="orphaned-check-against-init",
    ),
    pytest.param(
        """\
import multiprocessing as mp
import os


def watch(starter):
    if starter != os.getppid():
        raise SystemExit


if __name__ == "__main__":
    mp.Process(target=watch, args=(os.getpid(),)).start()
""",
        """\
import multiprocessing as mp
import os


def watch(starter):
    if starter != os.getppid():
        raise SystemExit


if __name__ == "__main__":
    watch(os.getpid())
""",
        id="not-run-in-a-child",
    ),
]


@pytest.mark.parametrize(("reported", "twin"), REPORTED)
def test_getppid_compared_in_a_child_is_reported(reported: str, twin: str) -> None:
    MP020.assert_reports_without_fix(reported, ADVICE)
    MP020.assert_leaves_alone(twin)


@pytest.mark.parametrize("method", START_METHODS)
def test_the_parent_seems_gone_under_forkserver_only(method: str) -> None:
    reported = run_program(SNIPPETS / "orphan-check.reported.py", method, timeout=30)
    expected = "parent gone, stopping\n" if method == "forkserver" else "working for my parent\n"
    assert (reported.returncode, reported.stdout) == (0, expected), reported.stderr
    twin = run_program(SNIPPETS / "parent-process.unchanged.py", method, timeout=30)
    assert (twin.returncode, twin.stdout) == (0, "working for my parent\n"), twin.stderr
