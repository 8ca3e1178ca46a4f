"""terminate-with-ipc (MP021): a worker stopped while a queue, pipe or lock handed to it
stays in use is reported; each case has a twin left alone (nothing uses the object after,
or the worker is asked to stop). The page's program hangs under every start method, and
its twin that asks the writer to stop does not."""

from __future__ import annotations

from pathlib import Path

import pytest
from programs import START_METHODS, run_program
from rule_cases import RuleCases

MP021 = RuleCases("MP021")
SNIPPETS = Path(__file__).resolve().parent.parent / "docs" / "snippets" / "terminate-with-ipc"
ADVICE = "ask the process to stop (an `Event` it checks, or a sentinel it reads from its queue) and `join()` it"

# (reported, its twin)
REPORTED = [
    pytest.param(
        """\
import multiprocessing as mp

if __name__ == "__main__":
    results = mp.Queue()
    worker = mp.Process(target=print, args=(results,))
    worker.start()
    worker.terminate()
    print(results.get())
""",
        """\
import multiprocessing as mp

if __name__ == "__main__":
    results = mp.Queue()
    worker = mp.Process(target=print, args=(results,))
    worker.start()
    print(results.get())
    worker.terminate()
    results.close()
    results.join_thread()
""",
        id="queue-read-after",
    ),
    pytest.param(
        """\
from multiprocessing import Lock, Process


def run(task):
    lock = Lock()
    worker = Process(target=task, kwargs={"lock": lock})
    worker.start()
    worker.kill()
    with lock:
        pass
""",
        """\
from multiprocessing import Lock, Process


def run(task):
    lock = Lock()
    worker = Process(target=task, kwargs={"size": 3})
    worker.start()
    worker.kill()
    with lock:
        pass
""",
        id="lock-in-kwargs",
    ),
    pytest.param(
        """\
import multiprocessing as mp

if __name__ == "__main__":
    done = mp.Queue()
    workers = [mp.Process(target=print, args=(n, done)) for n in range(4)]
    for w in workers:
        w.start()
    first = done.get()
    for w in workers:
        w.terminate()
    print(first, done.qsize())
""",
        """\
import multiprocessing as mp

if __name__ == "__main__":
    done = mp.Queue()
    workers = [mp.Process(target=print, args=(n,)) for n in range(4)]
    for w in workers:
        w.start()
    first = done.get()
    for w in workers:
        w.terminate()
    print(first, done.qsize())
""",
        id="processes-of-a-list",
    ),
    pytest.param(
        """\
import multiprocessing as mp


def main(init, task):
    lock = mp.Lock()
    pool = mp.Pool(2, init, (lock,))
    pool.map_async(task, range(9))
    pool.terminate()
    lock.acquire()
""",
        """\
import multiprocessing as mp


def main(init, task):
    lock = mp.Lock()
    pool = mp.Pool(2, init, (lock,))
    lock.acquire()
    pool.map_async(task, range(9))
    pool.terminate()
""",
        id="pool-initargs",
    ),
    pytest.param(
        """\
import multiprocessing as mp
from concurrent.futures import ProcessPoolExecutor


def main(init, task):
    progress = mp.Queue()
    executor = ProcessPoolExecutor(initializer=init, initargs=(progress,))
    executor.submit(task)
    executor.terminate_workers()
    return progress.get_nowait()
""",
        """\
import multiprocessing as mp
from concurrent.futures import ProcessPoolExecutor


def main(init, task):
    progress = mp.Queue()
    executor = ProcessPoolExecutor(initializer=init, initargs=(progress,))
    executor.submit(task)
    executor.shutdown()
    return progress.get_nowait()
""",
        id="executor-terminate-workers",
    ),
    pytest.param(
        """\
import multiprocessing as mp

if __name__ == "__main__":
    mine, theirs = mp.Pipe()
    child = mp.Process(target=print, args=(theirs,))
    child.start()
    child.terminate()
    print(mine.poll())
""",
        """\
import multiprocessing as mp

if __name__ == "__main__":
    mine, theirs = mp.RawValue("i"), mp.RawArray("i", 3)
    child = mp.Process(target=print, args=(theirs,))
    child.start()
    child.terminate()
    print(theirs[0])
""",
        id="pipe-end",
    ),
    pytest.param(
        """\
import multiprocessing as mp

if __name__ == "__main__":
    lock = mp.Lock()
    first = mp.Process(target=print, args=(lock,))
    second = mp.Process(target=print, args=(lock,))
    first.start()
    second.start()
    first.terminate()
    second.join()
""",
        """\
import multiprocessing as mp

if __name__ == "__main__":
    lock = mp.Lock()
    first = mp.Process(target=print, args=(lock,))
    second = mp.Process(target=print, args=(1,))
    first.start()
    second.start()
    first.terminate()
    second.join()
""",
        id="lock-shared-with-another-process",
    ),
]


@pytest.mark.parametrize(("reported", "twin"), REPORTED)
def test_a_stopped_worker_whose_shared_object_stays_in_use_is_reported(reported: str, twin: str) -> None:
    MP021.assert_reports_without_fix(reported, ADVICE)
    MP021.assert_leaves_alone(twin)


def test_the_message_names_the_object_and_where_it_is_used() -> None:
    [finding] = MP021.check((SNIPPETS / "held-lock.reported.py").read_text(encoding="utf-8")).findings
    assert finding.message.startswith(
        "`writer.terminate()` stops a process that was handed `lock` (a Lock), which is used again on line 20: "
        "one stopped while it holds the lock leaves it locked for good, and the next `acquire()` waits forever"
    )
    assert (finding.line, finding.column) == (18, 5)


@pytest.mark.parametrize("method", START_METHODS)
def test_the_terminated_writer_leaves_its_lock_locked_and_the_stopped_one_does_not(method: str) -> None:
    terminated = run_program(SNIPPETS / "held-lock.reported.py", method, timeout=8)
    assert terminated.returncode is None and terminated.stdout == "", "the lock was not left locked"
    asked = run_program(SNIPPETS / "stop-event.unchanged.py", method, timeout=30)
    assert (asked.returncode, asked.stdout) == (0, "the log is ours\n"), asked.stderr
