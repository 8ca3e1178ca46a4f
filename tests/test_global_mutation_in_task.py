"""global-mutation-in-task (MP008): a worker changes a module-level name the parent reads.

Reported only. Each reported case has a "leaves this alone" neighbour in LEFT_ALONE. The
runtime tests run the snippets: the reported programs print the parent's unchanged value
under spawn, forkserver and fork alike, and their corrected twins print the right one.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from mpfix import registry
from mpfix.engine import analyze
from mpfix.model import Safety
from programs import START_METHODS, run_program
from rule_cases import RuleCases

MP008 = [registry.BY_CODE["MP008"]]
CASES = RuleCases("MP008")
SNIPPETS = Path(__file__).resolve().parent.parent / "docs" / "snippets" / "global-mutation-in-task"


def check(source: str):
    return analyze(source, rules=MP008, unsafe_fixes=True)


REPORTED = [
    pytest.param(
        """\
import multiprocessing as mp

RESULTS = []


def square(n):
    RESULTS.append(n * n)


if __name__ == "__main__":
    with mp.Pool(2) as pool:
        pool.map(square, range(4))
    print("squares:", RESULTS)
""",
        [(7, "`square`, a pool task, changes the module-level `RESULTS`", "return the value from `square`")],
        id="pool-task-appends",
    ),
    pytest.param(
        """\
from multiprocessing import Process

total = 0
seen = {}


def add(n):
    global total
    total += n
    seen[n] = True
    del seen[n], seen[0]


def main():
    workers = [Process(target=add, args=(n,)) for n in range(3)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    print(total, seen)


if __name__ == "__main__":
    main()
""",
        [
            (9, "`add`, a process target, assigns the global `total` (`total += n`)", "`multiprocessing.Queue`"),
            (10, "`add`, a process target, stores into the module-level `seen`", "`Manager()` list or dict"),
            (11, "`add`, a process target, deletes from the module-level `seen`", "`multiprocessing.Queue`"),
        ],
        id="process-target-global-and-dict",
    ),
    pytest.param(
        """\
from collections import Counter
from concurrent.futures import ProcessPoolExecutor

COUNTS = Counter()


def record(word):
    COUNTS.update([word])


def count(text):
    for word in text.split():
        record(word)


if __name__ == "__main__":
    with ProcessPoolExecutor() as executor:
        executor.submit(count, "a b a").result()
    print(COUNTS.most_common(1))
""",
        [(8, "`record`, called by the pool task `count`, changes the module-level `COUNTS`", "from `count`")],
        id="helper-of-an-executor-task",
    ),
    pytest.param(
        """\
import collections
import multiprocessing as mp

ctx = mp.get_context("spawn")
by_length = collections.defaultdict(list)
lengths = dict()


def measure(word):
    def keep():
        global longest
        longest = word
    by_length[len(word)] += [word]
    lengths[word]: int = len(word)
    keep()


longest = ""

if __name__ == "__main__":
    workers = [ctx.Process(target=measure, args=(w,)) for w in ["a", "bb"]]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    print(longest, dict(by_length), lengths)
""",
        [
            (12, "`measure`, a process target, assigns the global `longest`", "`multiprocessing.Queue`"),
            (13, "`measure`, a process target, stores into the module-level `by_length`", "`multiprocessing.Queue`"),
            (14, "`measure`, a process target, stores into the module-level `lengths`", "`multiprocessing.Queue`"),
        ],
        id="context-nested-function-augmented-and-annotated",
    ),
]


@pytest.mark.parametrize(("source", "expected"), REPORTED)
def test_reports(source: str, expected: list[tuple[int, str, str]]) -> None:
    result = check(source)
    assert [f.line for f in result.findings] == [line for line, _, _ in expected]
    for finding, (_, what, advice) in zip(result.findings, expected, strict=False):
        problem, _, fix = finding.message.partition("; not fixed: ")
        assert (finding.code, finding.fix) == ("MP008", Safety.NONE)
        assert problem.startswith(what) and advice in fix
    assert not result.changed


LEFT_ALONE = [
    pytest.param(
        """\
import multiprocessing as mp

_cache = {}
conn = None


def init():
    global conn
    conn = object()


def fib(n):
    if n in _cache:
        return _cache[n]
    _cache[n] = result = n if n < 2 else fib(n - 1) + fib(n - 2)
    return result


if __name__ == "__main__":
    with mp.Pool(2, initializer=init) as pool:
        print(pool.map(fib, range(10)))
""",
        id="initializer-and-per-worker-cache",
    ),
    pytest.param(
        """\
import multiprocessing as mp

shared = None
RESULTS = []


def work(out, n):
    local = []
    local.append(n)
    out.append(n)
    shared.append(n)
    RESULTS = [n]
    RESULTS.append(n)


if __name__ == "__main__":
    with mp.Manager() as manager:
        shared = manager.list()
        out = manager.list()
        p = mp.Process(target=work, args=(out, 1))
        p.start()
        p.join()
        print(list(out), list(shared), RESULTS)
""",
        id="local-passed-in-managed-and-shadowed",
    ),
    pytest.param(
        """\
import multiprocessing as mp

RESULTS = []


def remember(n):
    RESULTS.append(n)


def square(n):
    return n * n


if __name__ == "__main__":
    with mp.Pool(2) as pool:
        for value in pool.map(square, range(4)):
            remember(value)
    print(RESULTS)
""",
        id="parent-side-function",
    ),
    pytest.param(
        """\
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.pool import ThreadPool
import threading

RESULTS = []


def square(n):
    RESULTS.append(n * n)


if __name__ == "__main__":
    with ThreadPool(2) as pool:
        pool.map(square, range(4))
    with ThreadPoolExecutor() as executor:
        executor.submit(square, 5)
    thread = threading.Thread(target=square, args=(6,))
    thread.start()
    thread.join()
    print(RESULTS)
""",
        id="threads-share-the-module",
    ),
    pytest.param(
        """\
import multiprocessing as mp

RESULTS = []


def square(n):
    RESULTS.append(n * n)


if __name__ == "__main__":
    square(0)
    with mp.Pool(2) as pool:
        pool.map(square, range(4))
    print(RESULTS)
""",
        id="also-called-in-the-parent",
    ),
    pytest.param(
        """\
import multiprocessing as mp

log = []


def square(n):
    log.append(n)
    return n * n


if __name__ == "__main__":
    with mp.Pool(2) as pool:
        print(pool.map(square, range(4)))
""",
        id="parent-never-reads-it",
    ),
    pytest.param(
        """\
import multiprocessing as mp

RESULTS = []


def square(n):
    RESULTS.append(n * n)


if __name__ == "__main__":
    with mp.Manager() as manager:
        RESULTS = manager.list()
        workers = [mp.Process(target=square, args=(n,)) for n in range(3)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        print(list(RESULTS))
""",
        id="rebound-to-a-manager-list",
    ),
]


@pytest.mark.parametrize("source", LEFT_ALONE)
def test_leaves_alone(source: str) -> None:
    CASES.assert_leaves_alone(source)


def test_finding_points_at_the_mutation_and_names_the_read() -> None:
    [finding] = check(REPORTED[0].values[0]).findings
    assert (finding.line, finding.column, finding.end_line, finding.end_column) == (7, 5, 7, 26)
    assert finding.message == (
        "`square`, a pool task, changes the module-level `RESULTS` (`RESULTS.append(n * n)`): under every start "
        "method a child process changes its own copy of the module, so the parent, which reads `RESULTS` on line "
        "13, never sees the change; not fixed: return the value from `square` and use what the pool returns"
    )


# -- the snippets' programs ------------------------------------------------------------

# What each snippet prints under every start method: the reported programs show the
# parent's value as it was before the workers ran; their twins show the workers' results.
OUTPUT = {
    "results-list.reported.py": "squares: []\n",
    "returned.unchanged.py": "squares: [0, 1, 4, 9, 16]\n",
    "global-total.reported.py": "total: 0\n",
    "queue.unchanged.py": "total: 10\n",
    "per-worker-setup.unchanged.py": "[2, 5, 2, 10]\n",
}


def test_every_snippet_has_its_output_here() -> None:
    assert sorted(path.name for path in SNIPPETS.glob("*.py")) == sorted(OUTPUT)


@pytest.mark.parametrize("method", START_METHODS)
@pytest.mark.parametrize("snippet", sorted(OUTPUT))
def test_snippet_prints_the_same_under_every_start_method(snippet: str, method: str) -> None:
    run = run_program(SNIPPETS / snippet, method, timeout=60)
    assert (run.returncode, run.stdout) == (0, OUTPUT[snippet]), run.stderr
