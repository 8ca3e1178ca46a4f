"""unjoined-process-with-ipc (MP015): processes handed a lock, queue or shared value, never joined.

Each fixed case has a "leaves this alone" twin of the same name; the reported cases say
why no join is added.
"""

from __future__ import annotations

import pytest
from rule_cases import RuleCases

CASES = RuleCases("MP015")
UNSAFE = "the code after this block now waits for the processes to finish"

FIXED = {
    "list-filled-in-a-loop": (
        """\
import multiprocessing as mp


def work(event, n):
    event.wait()


if __name__ == "__main__":
    event = mp.Event()
    workers = []
    for n in range(3):
        process = mp.Process(target=work, args=(event, n))
        workers.append(process)
        process.start()
    event.set()


def helper():
    pass
""",
        """\
import multiprocessing as mp


def work(event, n):
    event.wait()


if __name__ == "__main__":
    event = mp.Event()
    workers = []
    for n in range(3):
        process = mp.Process(target=work, args=(event, n))
        workers.append(process)
        process.start()
    event.set()
    for process in workers:
        process.join()


def helper():
    pass
""",
    ),
    "comprehension-started-in-a-loop": (
        """\
from multiprocessing import Array, Process


def fill(cells, n):
    cells[n] = n


if __name__ == "__main__":
    cells = Array("i", 3)
    workers = [Process(target=fill, kwargs={"cells": cells, "n": n}) for n in range(3)]
    for w in workers:
        w.start()
""",
        """\
from multiprocessing import Array, Process


def fill(cells, n):
    cells[n] = n


if __name__ == "__main__":
    cells = Array("i", 3)
    workers = [Process(target=fill, kwargs={"cells": cells, "n": n}) for n in range(3)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
""",
    ),
}

LEFT_ALONE = {
    "list-filled-in-a-loop": """\
import multiprocessing as mp


def work(event, n):
    event.wait()


if __name__ == "__main__":
    event = mp.Event()
    workers = []
    for n in range(3):
        process = mp.Process(target=work, args=(event, n))
        workers.append(process)
        process.start()
    event.set()
    while any(p.is_alive() for p in workers):
        pass
""",
    # A pipe is no semaphore, and a queue the parent reads was opened by the child.
    "comprehension-started-in-a-loop": """\
from multiprocessing import Pipe, Process, Queue


def fill(end, queue, n):
    queue.put(n)


if __name__ == "__main__":
    queue = Queue()
    here, there = Pipe()
    workers = [Process(target=fill, args=(there, queue, n)) for n in range(3)]
    for w in workers:
        w.start()
    print(sorted(queue.get() for _ in range(3)))
    solo = Process(target=fill, args=(there, None, 0))
    solo.start()
""",
}

UNSAFE_FIXES: dict[str, tuple[str, str]] = {
    "in-a-function": (
        """\
import multiprocessing as mp


def work(lock):
    with lock:
        pass


def run():
    lock = mp.Lock()
    worker = mp.Process(target=work, args=(lock,))
    worker.start()
    return None
""",
        """\
import multiprocessing as mp


def work(lock):
    with lock:
        pass


def run():
    lock = mp.Lock()
    worker = mp.Process(target=work, args=(lock,))
    worker.start()
    worker.join()
    return None
""",
    ),
}

# The same function ending in a bare `return`: the join goes before it too.
_BEFORE, _AFTER = (text.replace("    return None\n", "    return\n") for text in UNSAFE_FIXES["in-a-function"])
UNSAFE_FIXES["in-a-function-that-returns-nothing"] = (_BEFORE, _AFTER)

REPORTED = {
    "started-in-a-loop": (
        """\
import multiprocessing as mp

if __name__ == "__main__":
    lock = mp.RLock()
    for n in range(3):
        worker = mp.Process(target=print, args=(lock, n))
        worker.start()
""",
        "each process is started in a loop: keep them in a list to join them",
    ),
    "daemon": (
        """\
import multiprocessing as mp

if __name__ == "__main__":
    lock = mp.Lock()
    worker = mp.Process(target=print, args=(lock,), daemon=True)
    worker.start()
""",
        "a daemon process is not waited for",
    ),
    "handed-on": (
        """\
import multiprocessing as mp


def start(results):
    done = mp.Event()
    worker = mp.Process(target=print, args=(done,))
    worker.start()
    results.append(done)
""",
        "`done` is handed on elsewhere",
    ),
    "ends-the-program": (
        """\
import multiprocessing as mp
import sys

if __name__ == "__main__":
    lock = mp.Lock()
    worker = mp.Process(target=print, args=(lock,))
    worker.start()
    sys.exit(0)
""",
        "the block ends the program or raises before a join there would run",
    ),
}

JOINED_OR_HANDED_ON = [
    # Shared memory without a lock holds no semaphore.
    """\
import multiprocessing as mp

if __name__ == "__main__":
    total = mp.Value("i", 0, lock=False)
    worker = mp.Process(target=print, args=(total,))
    worker.start()
""",
    """\
import multiprocessing as mp

if __name__ == "__main__":
    barrier = mp.Barrier(3)
    workers = [mp.Process(target=print, args=(barrier,)) for _ in range(2)]
    for worker in workers:
        worker.start()
    barrier.wait()
""",
    """\
import multiprocessing as mp


def start():
    lock = mp.Lock()
    worker = mp.Process(target=print, args=(lock,))
    worker.start()
    return worker
""",
    """\
import multiprocessing as mp

if __name__ == "__main__":
    lock = mp.Lock()
    workers = [mp.Process(target=print, args=(lock,)) for _ in range(2)]
    for worker in workers:
        worker.start()
    [worker.join() for worker in workers]
""",
    """\
import multiprocessing as mp

if __name__ == "__main__":
    lock = mp.Lock()
    worker = mp.Process(target=print, args=(lock,))
    worker.start()
    worker.terminate()
""",
]


@pytest.mark.parametrize("case", FIXED)
def test_fixes(case: str) -> None:
    CASES.assert_fixes(*FIXED[case])


@pytest.mark.parametrize("case", LEFT_ALONE)
def test_leaves_alone(case: str) -> None:
    CASES.assert_leaves_alone(LEFT_ALONE[case])


@pytest.mark.parametrize("case", UNSAFE_FIXES)
def test_a_join_inside_a_function_is_an_unsafe_fix(case: str) -> None:
    CASES.assert_unsafe_fix_only_on_request(*UNSAFE_FIXES[case], UNSAFE)


@pytest.mark.parametrize("case", REPORTED)
def test_reports_without_fix(case: str) -> None:
    CASES.assert_reports_without_fix(*REPORTED[case])


@pytest.mark.parametrize("source", JOINED_OR_HANDED_ON)
def test_processes_joined_or_handed_on_are_left_alone(source: str) -> None:
    CASES.assert_leaves_alone(source)


def test_every_fixed_case_has_a_twin() -> None:
    assert FIXED.keys() == LEFT_ALONE.keys()


@pytest.mark.parametrize(
    ("handed", "wording"),
    [
        ("event, lock", "The processes in `workers` are started with an event and a lock and never joined"),
        ("lock", "The processes in `workers` are started with a lock and never joined"),
    ],
)
def test_the_message_names_what_the_processes_are_handed(handed: str, wording: str) -> None:
    before, _ = FIXED["list-filled-in-a-loop"]
    source = before.replace("event = mp.Event()", "event = mp.Event()\n    lock = mp.Lock()")
    source = source.replace("args=(event, n)", f"args=({handed}, n)")
    [finding] = CASES.check(source, unsafe_fixes=True).findings
    assert finding.heading.startswith(wording + ": ")
