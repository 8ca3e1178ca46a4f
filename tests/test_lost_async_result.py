"""lost-async-result (MP012): a submitted task whose result, and exception, nobody reads.

Reported only. Each reported case has a "leaves this alone" neighbour in LEFT_ALONE. The
runtime tests run the snippets: the reported programs finish as if nothing failed, under
spawn, forkserver and fork; their corrected twins report the failed task.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from mpfix import registry
from mpfix.engine import analyze
from mpfix.model import Safety
from programs import START_METHODS, run_program
from rule_cases import RuleCases

MP012 = [registry.BY_CODE["MP012"]]
CASES = RuleCases("MP012")
SNIPPETS = Path(__file__).resolve().parent.parent / "docs" / "snippets" / "lost-async-result"


def check(source: str):
    return analyze(source, rules=MP012, unsafe_fixes=True)


REPORTED = [
    pytest.param(
        """\
import multiprocessing as mp


def invert(n):
    return 1 / n


def run(pool):
    for n in [4, 2, 0, 1]:
        pool.apply_async(invert, (n,), callback=print)
    pool.map_async(invert, [1, 2])
    pool.starmap_async(divmod, [(1, 2)])


if __name__ == "__main__":
    with mp.Pool(2) as pool:
        run(pool)
        pool.close()
        pool.join()
""",
        [
            (10, "The handle that `pool.apply_async(...)` returns is thrown away", "call `.get()`"),
            (11, "The handle that `pool.map_async(...)` returns is thrown away", "`error_callback=`"),
            (12, "The handle that `pool.starmap_async(...)` returns is thrown away", "call `.get()`"),
        ],
        id="statements-on-any-receiver",
    ),
    pytest.param(
        """\
from multiprocessing.pool import ThreadPool


def invert(n):
    return 1 / n


if __name__ == "__main__":
    with ThreadPool(2) as pool:
        result = pool.map_async(invert, [1, 2])
        handles: list = [pool.apply_async(invert, (n,)) for n in [1, 2]]
        _ = pool.apply_async(invert, (0,))
        kept = []
        for n in [3, 4]:
            kept.append(pool.apply_async(invert, (n,)))
        pool.close()
        pool.join()
""",
        [
            (10, "`result` holds the handle that `pool.map_async(...)` returns, but is never used", ".get()"),
            (11, "`handles` holds the handles that `pool.apply_async(...)` returns, but is never used", ".get()"),
            (12, "`_` holds the handle that `pool.apply_async(...)` returns, but is never used", ".get()"),
            (15, "The handle that `pool.apply_async(...)` returns goes into `kept`, which is never read", ".get()"),
        ],
        id="handles-kept-but-never-read",
    ),
    pytest.param(
        """\
import concurrent.futures as cf


def invert(n):
    return 1 / n


def run(executor: cf.ThreadPoolExecutor):
    executor.submit(invert, 0)


if __name__ == "__main__":
    with cf.ProcessPoolExecutor() as executor:
        future = executor.submit(invert, 0)
        futures = {executor.submit(invert, n) for n in [1, 2]}
    threads = cf.ThreadPoolExecutor()
    run(threads)
    threads.shutdown()
""",
        [
            (9, "The handle that `executor.submit(...)` returns is thrown away", "call `.result()`"),
            (14, "`future` holds the handle that `executor.submit(...)` returns, but is never used", "futures.wait()"),
            (15, "`futures` holds the handles that `executor.submit(...)` returns, but is never used", ".exception()"),
        ],
        id="executor-futures",
    ),
    pytest.param(
        """\
import concurrent.futures as cf


def invert(n):
    return 1 / n


if __name__ == "__main__":
    with cf.ThreadPoolExecutor() as threads:
        threads.map(invert, [0, 1])
    with cf.ProcessPoolExecutor() as executor:
        results = executor.map(invert, [0, 1], timeout=20)
        kept = []
        kept.append(executor.map(invert, [0]))  # stores the iterator, where extend() would read it
""",
        [
            (10, "The iterator that `threads.map(...)` returns is thrown away: if a task raises", "the first task"),
            (12, "`results` holds the iterator that `executor.map(...)` returns, but is never used", "`list()`"),
            (14, "The iterator that `executor.map(...)` returns goes into `kept`, which is never read", "`list()`"),
        ],
        id="executor-map-results",
    ),
    pytest.param(
        """\
import time
import multiprocessing as mp
from concurrent.futures import ProcessPoolExecutor


def invert(n):
    return 1 / n


def main():
    pool = mp.Pool(2)
    pool.apply_async(invert, (0,))
    pool.close()
    pool.join()
    pool.terminate()


def other_pool(other):
    with mp.Pool(2) as p:
        p.apply_async(invert, (0,))
        time.sleep(1)
        other.terminate()


def implicit():
    with mp.Pool(2) as p:
        p.apply_async(invert, (0,))
        time.sleep(1)


def waits_first():
    with ProcessPoolExecutor() as executor:
        executor.submit(invert, 0)
        executor.submit(invert, 1).result()
        executor.shutdown(cancel_futures=True)


def conditional(stop):
    with mp.Pool(2) as p:
        p.apply_async(invert, (0,))
        if stop:
            p.terminate()
""",
        [
            (12, "The handle that `pool.apply_async(...)` returns is thrown away", "call `.get()`"),
            (20, "The handle that `p.apply_async(...)` returns is thrown away", "call `.get()`"),
            (27, "The handle that `p.apply_async(...)` returns is thrown away", "call `.get()`"),
            (33, "The handle that `executor.submit(...)` returns is thrown away", "call `.result()`"),
            (40, "The handle that `p.apply_async(...)` returns is thrown away", "call `.get()`"),
        ],
        id="waited-for-before-the-pool-is-stopped",
    ),
    pytest.param(
        """\
import multiprocessing as mp
import time


class TerminateTest:
    def __init__(self):
        self.pool = mp.Pool(1)

    def test_close(self):
        self.pool.map_async(time.sleep, [0.1] * 100, chunksize=1)
        self.pool.close()
        self.pool.join()

    def test_another_pool(self):
        self.pool.map_async(time.sleep, [0.1] * 100, chunksize=1)
        self.other.terminate()

    def test_rebound_first(self):
        self.pool.map_async(time.sleep, [0.1] * 100, chunksize=1)
        self.pool = mp.Pool(1)
        self.pool.terminate()
""",
        [
            (10, "The handle that `self.pool.map_async(...)` returns is thrown away", "call `.get()`"),
            (15, "The handle that `self.pool.map_async(...)` returns is thrown away", "call `.get()`"),
            (19, "The handle that `self.pool.map_async(...)` returns is thrown away", "call `.get()`"),
        ],
        id="attribute-pool-waited-for-or-not-the-one-stopped",
    ),
    pytest.param(
        """\
import multiprocessing as mp

from celery import shared_task


@shared_task
def refresh(n):
    with mp.Pool(2) as pool:
        pool.apply_async(abs, (n,))
        pool.close()
        pool.join()
""",
        [(9, "The handle that `pool.apply_async(...)` returns is thrown away", "call `.get()`")],
        id="a-process-pool-beside-celery",
    ),
    pytest.param(
        """\
import os
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import Pool

if __name__ == "__main__":
    with ProcessPoolExecutor() as executor, Pool(2) as pool:
        executor.submit(time.sleep, -1)
        executor.submit(time.sleep, "1")
        executor.submit(time.sleep, 1e400)
        executor.submit(id, os)
        executor.submit(os.getpid, 1)
        pool.apply_async(time.sleep, 0.5)
        pool.apply_async(time.sleep, (0.5, 1))
        pool.close()
        pool.join()
""",
        [
            (8, "The handle that `executor.submit(...)` returns is thrown away", "`.result()`"),
            (9, "The handle that `executor.submit(...)` returns is thrown away", "`.result()`"),
            (10, "The handle that `executor.submit(...)` returns is thrown away", "`.result()`"),
            (11, "The handle that `executor.submit(...)` returns is thrown away", "`.result()`"),
            (12, "The handle that `executor.submit(...)` returns is thrown away", "`.result()`"),
            (13, "The handle that `pool.apply_async(...)` returns is thrown away", "call `.get()`"),
            (14, "The handle that `pool.apply_async(...)` returns is thrown away", "call `.get()`"),
        ],
        id="sleep-or-id-that-raise",
    ),
]


@pytest.mark.parametrize(("source", "expected"), REPORTED)
def test_reports(source: str, expected: list[tuple[int, str, str]]) -> None:
    result = check(source)
    assert [f.line for f in result.findings] == [line for line, _, _ in expected]
    for finding, (_, what, advice) in zip(result.findings, expected, strict=False):
        problem, _, fix = finding.message.partition("; not fixed: ")
        assert (finding.code, finding.fix) == ("MP012", Safety.NONE)
        assert problem.startswith(what) and advice in fix
    assert not result.changed


LEFT_ALONE = [
    pytest.param(
        """\
import multiprocessing as mp


def invert(n):
    return 1 / n


def report(error):
    print("failed:", error)


def run(pool, options):
    pool.apply_async(invert, (0,), error_callback=report)
    pool.apply_async(invert, (0,), {}, None, report)
    pool.map_async(invert, [0], **options)
    pool.starmap_async(divmod, [(1, 0)], error_callback=report)


if __name__ == "__main__":
    with mp.Pool(2) as pool:
        run(pool, {"error_callback": report})
        pool.close()
        pool.join()
""",
        id="error-callbacks",
    ),
    pytest.param(
        """\
from multiprocessing.pool import ThreadPool


def invert(n):
    return 1 / n


def run(pool):
    result = pool.map_async(invert, [1, 2])
    result.wait()
    handles: list = [pool.apply_async(invert, (n,)) for n in [1, 2]]
    kept = []
    for n in [3, 4]:
        kept.append(pool.apply_async(invert, (n,)))
    pending = set()
    pending.add(pool.apply_async(invert, (5,)))
    print(len(pending))
    return [h.get() for h in handles + kept], pool.apply_async(invert, (6,))


if __name__ == "__main__":
    with ThreadPool(2) as pool:
        print(run(pool))
""",
        id="handles-read",
    ),
    pytest.param(
        """\
import concurrent.futures as cf


def invert(n):
    return 1 / n


def run(scheduler, executor):
    scheduler.submit(invert, 0)
    executor.submit(invert, 0)


if __name__ == "__main__":
    with cf.ProcessPoolExecutor() as executor:
        future = executor.submit(invert, 0)
        futures = {executor.submit(invert, n) for n in [1, 2]}
        for done in cf.as_completed(futures):
            print(done.exception())
        print(future.result())
        cf.wait([executor.submit(invert, 3)])
        executor.submit(invert, 4).add_done_callback(print)
        print(list(executor.map(invert, [1, 2])))
""",
        id="futures-read-and-unknown-receivers",
    ),
    pytest.param(
        """\
import concurrent.futures as cf
import time
from multiprocessing import Pool

import pytest


def invert(n):
    return 1 / n


def run(mapper):
    mapper.map(invert, [0])


def test_bad_input(executor: cf.ProcessPoolExecutor):
    with pytest.raises(TypeError):
        executor.map(invert, 1)


if __name__ == "__main__":
    with Pool() as pool:
        pool.map(invert, [1, 2])
    with cf.ProcessPoolExecutor() as executor:
        executor.map(id, range(4), chunksize=2)  # the workers start
        executor.map(time.sleep, 6 * [0.01])
        done = []
        done.extend(executor.map(invert, [1, 0]))  # extend reads the results
        for value in executor.map(invert, [1, 2]):
            print(value)
        results = executor.map(invert, [3])
        print(*results)
""",
        id="map-results-read-or-raised-at-once",
    ),
    pytest.param(
        """\
import time
import multiprocessing as mp
from concurrent.futures import ProcessPoolExecutor


def forever():
    while True:
        time.sleep(1)


def main():
    pool = mp.Pool(2)
    pool.apply_async(forever)
    time.sleep(1)
    pool.terminate()


def cut_short():
    with mp.Pool(2) as p:
        for _ in range(2):
            p.apply_async(forever)
        time.sleep(1)
        p.terminate()


def cancelled():
    with ProcessPoolExecutor() as executor:
        executor.submit(forever)
        executor.shutdown(cancel_futures=True)
""",
        id="stopped-on-purpose",
    ),
    pytest.param(
        """\
import multiprocessing as mp
import time


class TerminateTest:
    def __init__(self):
        self.pool = mp.Pool(1)

    def test_terminate(self):
        self.pool.map_async(time.sleep, [0.1] * 100, chunksize=1)
        self.pool.terminate()
        self.pool.join()
""",
        id="attribute-pool-stopped-on-purpose",
    ),
    pytest.param(
        """\
from celery import shared_task


@shared_task
def add(x, y):
    return x + y


def schedule(signature):
    add.apply_async((2, 2), countdown=10)
    signature.apply_async()
""",
        id="celery-tasks-sent-and-forgotten",
    ),
    pytest.param(
        """\
import os
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import Pool
from time import sleep

if __name__ == "__main__":
    with ProcessPoolExecutor() as executor, Pool(2) as pool:
        executor.submit(sleep, 0.1)  # the workers start before the clock does
        executor.submit(time.sleep, 1_000)
        executor.submit(id, 42)
        executor.submit(os.getpid)
        pool.apply_async(time.sleep, (0.5,))
        pool.apply_async(os.getpid)
        pool.close()
        pool.join()
""",
        id="sleep-or-id-that-cannot-raise",
    ),
]


@pytest.mark.parametrize("source", LEFT_ALONE)
def test_leaves_alone(source: str) -> None:
    CASES.assert_leaves_alone(source)


def test_finding_points_at_the_call_and_says_what_to_do() -> None:
    [finding] = check((SNIPPETS / "apply-async.reported.py").read_text(encoding="utf-8")).findings
    assert (finding.line, finding.column, finding.end_line, finding.end_column) == (11, 13, 11, 43)
    assert finding.message == (
        "The handle that `pool.apply_async(...)` returns is thrown away: if the task raises, its exception is "
        "lost with the result and nothing reports the failure; not fixed: keep the handle and call `.get()` on "
        "it, or pass `error_callback=` to hear of failures"
    )


# -- the snippets' programs ------------------------------------------------------------

# What each snippet prints under every start method: one task divides by zero (but in the
# task stopped on purpose). The reported programs end as if all went well; their twins say
# which task failed.
OUTPUT = {
    "apply-async.reported.py": "all done\n",
    "submit.reported.py": "all done\n",
    "kept-handles.unchanged.py": "4 0.25\n2 0.5\n0 failed: division by zero\n1 1.0\n",
    "futures-waited.unchanged.py": "4 0.25\n2 0.5\n0 failed: division by zero\n1 1.0\n",
    "error-callback.unchanged.py": "failed: division by zero\nall done\n",
    "terminated.unchanged.py": "stopped\n",
}


def test_every_snippet_has_its_output_here() -> None:
    assert sorted(path.name for path in SNIPPETS.glob("*.py")) == sorted(OUTPUT)


@pytest.mark.parametrize("method", START_METHODS)
@pytest.mark.parametrize("snippet", sorted(OUTPUT))
def test_snippet_prints_the_same_under_every_start_method(snippet: str, method: str) -> None:
    run = run_program(SNIPPETS / snippet, method, timeout=60)
    assert (run.returncode, run.stdout, run.stderr) == (0, OUTPUT[snippet], ""), run.stderr
