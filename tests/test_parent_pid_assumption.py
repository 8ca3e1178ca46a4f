"""parent-pid-assumption (MP020): `os.getppid()` compared, or the children of the parent
process listed (psutil), in code that runs in a child is reported; each case has a twin
left alone. The page's program gives up under forkserver only, and its twin with
`multiprocessing.parent_process()` works under every method; so do the programs that look
for a sibling among the parent's children."""

from __future__ import annotations

from pathlib import Path

import pytest
from programs import START_METHODS, run_program
from rule_cases import RuleCases

MP020 = RuleCases("MP020")
SNIPPETS = Path(__file__).resolve().parent.parent / "docs" / "snippets" / "parent-pid-assumption"
ADVICE = "`multiprocessing.parent_process()` is the process that started this one under every start method"

# (reported, its twin, why it is not fixed)
COMPARED = [
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
        ADVICE,
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
        ADVICE,
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
        ADVICE,
        id="not-run-in-a-child",
    ),
]


# A worker that looks for the helper its starter runs among its parent's children: under
# forkserver its parent is the fork server, which never started the helper.
SIBLINGS = """\
import multiprocessing as mp
import os
import subprocess

import psutil


def work(results):
    siblings = psutil.Process(os.getppid()).children()
    results.put(any(sibling.name() == "sleep" for sibling in siblings))


if __name__ == "__main__":
    helper = subprocess.Popen(["sleep", "30"])
    results = mp.Queue()
    worker = mp.Process(target=work, args=(results,))
    worker.start()
    print("sees the helper:", results.get())
    worker.join()
    helper.kill()
    helper.wait()
"""
SIBLINGS_OF_THE_STARTER = SIBLINGS.replace("import os\n", "").replace("os.getppid()", "mp.parent_process().pid")
CHILDREN_ADVICE = (
    "`psutil.Process(multiprocessing.parent_process().pid)` is the process that started this one under every "
    "start method"
)
TASK = """\
import os
from concurrent.futures import ProcessPoolExecutor

import psutil


def task(_):
{body}


def main():
    with ProcessPoolExecutor() as executor:
        return list(executor.map(task, range(2)))
"""
CHILDREN = [
    pytest.param(
        TASK.format(body="    return len(psutil.Process(pid=os.getppid()).children(recursive=True))"),
        TASK.format(body="    return len(psutil.Process().children(recursive=True))"),
        CHILDREN_ADVICE,
        id="the-parents-or-its-own",
    ),
    pytest.param(
        TASK.format(body="    return len(psutil.Process().parent().children())"),
        TASK.format(body="    return len(psutil.Process().parent().name())"),
        CHILDREN_ADVICE,
        id="through-parent",
    ),
    pytest.param(
        TASK.format(body="    parent = psutil.Process(os.getpid()).parent()\n    return len(parent.children())"),
        TASK.format(
            body="    parent = psutil.Process(os.getpid()).parent()\n    parent = psutil.Process(1)\n"
            "    return len(parent.children())"
        ),
        CHILDREN_ADVICE,
        id="through-a-name-bound-once",
    ),
    pytest.param(
        TASK.format(body="    return len(psutil.Process(os.getppid()).children())"),
        TASK.format(body="    return len(psutil.Process(os.getppid()).children())").replace(
            "executor.map(task, range(2))", "map(task, range(2))"
        ),
        CHILDREN_ADVICE,
        id="not-run-in-a-child-listing-children",
    ),
]
REPORTED = [*COMPARED, *CHILDREN]


def test_children_of_the_parent_listed_in_a_child_are_reported() -> None:
    [finding] = MP020.check(SIBLINGS).findings
    assert finding.message == (
        "`psutil.Process(os.getppid()).children()` in `work`, which runs in a child process, lists the children "
        "of its parent process as if that were the process that started it: under forkserver (the default on Linux "
        "since Python 3.14) a child's parent is the fork server, and its children are the fork server's; "
        f"not fixed: {CHILDREN_ADVICE}"
    )
    assert (finding.line, finding.column) == (9, 16)
    MP020.assert_leaves_alone(SIBLINGS_OF_THE_STARTER)


@pytest.mark.parametrize(("reported", "twin", "advice"), REPORTED)
def test_reported_and_its_twin_left_alone(reported: str, twin: str, advice: str) -> None:
    MP020.assert_reports_without_fix(reported, advice)
    MP020.assert_leaves_alone(twin)


def test_active_children_in_a_child_is_left_alone() -> None:
    """A child starts with no children of its own under every start method: what
    ``active_children()`` says there does not depend on the start method."""
    counted = "    import multiprocessing\n    return len(multiprocessing.active_children())"
    MP020.assert_leaves_alone(TASK.format(body=counted))


@pytest.mark.parametrize("method", START_METHODS)
def test_the_starters_helper_is_no_sibling_under_forkserver(method: str, tmp_path: Path) -> None:
    pytest.importorskip("psutil")
    reported, twin = tmp_path / "reported.py", tmp_path / "twin.py"
    reported.write_text(SIBLINGS)
    twin.write_text(SIBLINGS_OF_THE_STARTER)
    run = run_program(reported, method, timeout=30)
    expected = f"sees the helper: {method != 'forkserver'}\n"
    assert (run.returncode, run.stdout) == (0, expected), run.stderr
    run = run_program(twin, method, timeout=30)
    assert (run.returncode, run.stdout) == (0, "sees the helper: True\n"), run.stderr


@pytest.mark.parametrize("method", START_METHODS)
def test_the_parent_seems_gone_under_forkserver_only(method: str) -> None:
    reported = run_program(SNIPPETS / "orphan-check.reported.py", method, timeout=30)
    expected = "parent gone, stopping\n" if method == "forkserver" else "working for my parent\n"
    assert (reported.returncode, reported.stdout) == (0, expected), reported.stderr
    twin = run_program(SNIPPETS / "parent-process.unchanged.py", method, timeout=30)
    assert (twin.returncode, twin.stdout) == (0, "working for my parent\n"), twin.stderr
