"""unlocked-shared-value (MP004): read-modify-write of a shared Value or Array without its lock.

Each "fixes this" case has a "leaves this alone" neighbour in LEFT_ALONE. The runtime
tests run the snippets: the fixed programs count exactly under spawn, forkserver and
fork; the original loses updates (a race: it is run a few times under fork, the method
that starts the workers fastest, and must lose some at least once).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from mpfix import registry
from mpfix.engine import analyze
from mpfix.model import Safety
from mpfix.rules.unlocked_shared_value import WHY_NOT
from mpfix.rules.unlocked_shared_value.shared_values import PLAIN_LOCK, RAW
from programs import START_METHODS, run_program
from rule_cases import RuleCases

MP004 = [registry.BY_CODE["MP004"]]
CASES = RuleCases("MP004")
SNIPPETS = Path(__file__).resolve().parent.parent / "docs" / "snippets" / "unlocked-shared-value"


def check(source: str, unsafe_fixes: bool = False):
    return analyze(source, rules=MP004, unsafe_fixes=unsafe_fixes)


FIXES = [
    pytest.param(
        """\
import multiprocessing as mp


def count(counter):
    for _ in range(1000):
        counter.value = counter.value + 1


if __name__ == "__main__":
    counter = mp.Value("i", 0)
    workers = [mp.Process(target=count, args=(counter,)) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    print(counter.value)
""",
        """\
import multiprocessing as mp


def count(counter):
    for _ in range(1000):
        with counter.get_lock():
            counter.value = counter.value + 1


if __name__ == "__main__":
    counter = mp.Value("i", 0)
    workers = [mp.Process(target=count, args=(counter,)) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    print(counter.value)
""",
        id="assignment-that-reads-its-target",
    ),
    pytest.param(
        """\
from multiprocessing import Process, Value


def count(counter):
    for _ in range(1000): counter.value += 1  # bump


if __name__ == "__main__":
    counter = Value("i", 0)
    workers = [Process(target=count, kwargs={"counter": counter}) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
""",
        """\
from multiprocessing import Process, Value


def count(counter):
    for _ in range(1000):
        with counter.get_lock():
            counter.value += 1  # bump


if __name__ == "__main__":
    counter = Value("i", 0)
    workers = [Process(target=count, kwargs={"counter": counter}) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
""",
        id="one-line-loop-body-passed-by-keyword",
    ),
    pytest.param(
        """\
import multiprocessing as mp
from multiprocessing.sharedctypes import Array as SharedArray

ctx = mp.get_context("spawn")


def work(total, hist, n):
    # add n
    total.value += n
    hist[n % 2] -= 1


def main():
    total = ctx.Value("d", 0.0, lock=True)
    hist = SharedArray("i", 2, lock=ctx.RLock())
    workers = [ctx.Process(target=work, args=(total, hist, n)) for n in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()


if __name__ == "__main__":
    main()
""",
        """\
import multiprocessing as mp
from multiprocessing.sharedctypes import Array as SharedArray

ctx = mp.get_context("spawn")


def work(total, hist, n):
    # add n
    with total.get_lock():
        total.value += n
    with hist.get_lock():
        hist[n % 2] -= 1


def main():
    total = ctx.Value("d", 0.0, lock=True)
    hist = SharedArray("i", 2, lock=ctx.RLock())
    workers = [ctx.Process(target=work, args=(total, hist, n)) for n in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()


if __name__ == "__main__":
    main()
""",
        id="context-sharedctypes-alias-and-rlock",
    ),
    pytest.param(
        """\
import multiprocessing as mp


def work(total):
    total.value *= 2


def main():
    ctx = mp.get_context("spawn")
    total = ctx.Value("i", 1)
    workers = [ctx.Process(target=work, args=(total,)) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()


if __name__ == "__main__":
    main()
""",
        """\
import multiprocessing as mp


def work(total):
    with total.get_lock():
        total.value *= 2


def main():
    ctx = mp.get_context("spawn")
    total = ctx.Value("i", 1)
    workers = [ctx.Process(target=work, args=(total,)) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()


if __name__ == "__main__":
    main()
""",
        id="context-of-the-function",
    ),
    pytest.param(
        """\
import multiprocessing as mp

fork = mp.get_context("fork")
hits = fork.Value("i", 0)


def hit():
    hits.value += 1


if __name__ == "__main__":
    workers = [fork.Process(target=hit) for _ in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    print(hits.value)
""",
        """\
import multiprocessing as mp

fork = mp.get_context("fork")
hits = fork.Value("i", 0)


def hit():
    with hits.get_lock():
        hits.value += 1


if __name__ == "__main__":
    workers = [fork.Process(target=hit) for _ in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    print(hits.value)
""",
        id="module-level-value-inherited-under-fork",
    ),
    pytest.param(
        """\
import multiprocessing as mp
from concurrent.futures import ThreadPoolExecutor


def bump(counter, times):
    for _ in range(times):
        counter.value += 1


if __name__ == "__main__":
    counter = mp.Value("i", 0)
    with ThreadPoolExecutor(4) as executor:
        futures = [executor.submit(bump, counter, 1000) for _ in range(4)]
    print(counter.value, [future.result() for future in futures])
""",
        """\
import multiprocessing as mp
from concurrent.futures import ThreadPoolExecutor


def bump(counter, times):
    for _ in range(times):
        with counter.get_lock():
            counter.value += 1


if __name__ == "__main__":
    counter = mp.Value("i", 0)
    with ThreadPoolExecutor(4) as executor:
        futures = [executor.submit(bump, counter, 1000) for _ in range(4)]
    print(counter.value, [future.result() for future in futures])
""",
        id="handed-to-threads-by-submit",
    ),
    pytest.param(
        """\
import multiprocessing as mp


def work(counter):
    def bump():
        counter.value += 1

    for _ in range(10):
        bump()


def add(counter, n):
    counter.value += n


def worker(counter):
    add(counter, 2)


if __name__ == "__main__":
    counter = mp.Value("i", 0)
    first = mp.Process(target=work, args=(counter,))
    second = mp.Process(target=worker, args=(counter,))
    first.start()
    second.start()
    first.join()
    second.join()
""",
        """\
import multiprocessing as mp


def work(counter):
    def bump():
        with counter.get_lock():
            counter.value += 1

    for _ in range(10):
        bump()


def add(counter, n):
    with counter.get_lock():
        counter.value += n


def worker(counter):
    add(counter, 2)


if __name__ == "__main__":
    counter = mp.Value("i", 0)
    first = mp.Process(target=work, args=(counter,))
    second = mp.Process(target=worker, args=(counter,))
    first.start()
    second.start()
    first.join()
    second.join()
""",
        id="closure-and-helper-called-by-the-target",
    ),
    pytest.param(
        """\
import multiprocessing as mp
from concurrent.futures import ProcessPoolExecutor

seen = None


def init(shared):
    global seen
    seen = shared


def task(n):
    seen.value += 1
    return n


if __name__ == "__main__":
    seen = mp.Value("i", 0)
    with ProcessPoolExecutor(2, initializer=init, initargs=(seen,)) as executor:
        print(list(executor.map(task, range(4))))
    print(seen.value)
""",
        """\
import multiprocessing as mp
from concurrent.futures import ProcessPoolExecutor

seen = None


def init(shared):
    global seen
    seen = shared


def task(n):
    with seen.get_lock():
        seen.value += 1
    return n


if __name__ == "__main__":
    seen = mp.Value("i", 0)
    with ProcessPoolExecutor(2, initializer=init, initargs=(seen,)) as executor:
        print(list(executor.map(task, range(4))))
    print(seen.value)
""",
        id="executor-initializer-global",
    ),
    pytest.param(
        """\
import multiprocessing as mp


def work(total, lock):
    lock.acquire()
    lock.release()
    total.value += 1


if __name__ == "__main__":
    total = mp.Value("i", 0)
    workers = [mp.Process(target=work, args=(total, mp.Lock())) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
""",
        """\
import multiprocessing as mp


def work(total, lock):
    lock.acquire()
    lock.release()
    with total.get_lock():
        total.value += 1


if __name__ == "__main__":
    total = mp.Value("i", 0)
    workers = [mp.Process(target=work, args=(total, mp.Lock())) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
""",
        id="lock-released-before",
    ),
    pytest.param(
        """\
import multiprocessing as mp


def add(total, n):
    total.value += n


def work(total, lock):
    with lock:
        add(total, 1)
    add(total, 2)


if __name__ == "__main__":
    total = mp.Value("i", 0)
    workers = [mp.Process(target=work, args=(total, mp.Lock())) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
""",
        """\
import multiprocessing as mp


def add(total, n):
    with total.get_lock():
        total.value += n


def work(total, lock):
    with lock:
        add(total, 1)
    add(total, 2)


if __name__ == "__main__":
    total = mp.Value("i", 0)
    workers = [mp.Process(target=work, args=(total, mp.Lock())) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
""",
        id="one-caller-holds-no-lock",
    ),
    pytest.param(
        """\
import multiprocessing as mp


def work(total):
    if total.value < 10:
        # count this one
        total.value += 1  # the count

        # and this
        total.value += 1


if __name__ == "__main__":
    total = mp.Value("i", 0)
    workers = [mp.Process(target=work, args=(total,)) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
""",
        """\
import multiprocessing as mp


def work(total):
    if total.value < 10:
        # count this one
        with total.get_lock():
            total.value += 1  # the count

        # and this
        with total.get_lock():
            total.value += 1


if __name__ == "__main__":
    total = mp.Value("i", 0)
    workers = [mp.Process(target=work, args=(total,)) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
""",
        id="comments-and-blank-lines-kept",
    ),
]


@pytest.mark.parametrize(("before", "after"), FIXES)
def test_fixes(before: str, after: str) -> None:
    result = check(before)
    assert result.findings and all((f.code, f.fix) == ("MP004", Safety.SAFE) for f in result.findings)
    assert result.fixed == after
    again = analyze(after)  # every rule: the result is clean, not only for MP004
    assert again.findings == [] and not again.changed


LEFT_ALONE = [
    pytest.param(
        """\
import multiprocessing as mp


def count(counter, other):
    counter.value = other.value + 1
    counter.value = 0


if __name__ == "__main__":
    counter = mp.Value("i", 0)
    other = mp.Value("i", 0)
    workers = [mp.Process(target=count, args=(counter, other)) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
""",
        id="assignment-that-does-not-read-its-target",
    ),
    pytest.param(
        """\
import multiprocessing as mp


def work(total, lock):
    lock.acquire()
    try:
        total.value += 1
    finally:
        lock.release()
    total.get_lock().acquire()
    total.value += 1
    total.get_lock().release()


if __name__ == "__main__":
    total = mp.Value("i", 0)
    workers = [mp.Process(target=work, args=(total, mp.Lock())) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
""",
        id="between-acquire-and-release",
    ),
    pytest.param(
        """\
import multiprocessing as mp


def add(total, n):
    total.value += n


def work(total, lock):
    with lock:
        add(total, 1)


if __name__ == "__main__":
    total = mp.Value("i", 0)
    workers = [mp.Process(target=work, args=(total, mp.Lock())) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
""",
        id="every-caller-holds-a-lock",
    ),
    pytest.param(
        """\
import multiprocessing as mp
import threading

guard = threading.Lock()


def work(total, hist, n):
    with total.get_lock():
        total.value += n
    with hist.get_lock(), open(__file__) as handle:
        hist[n % 2] -= 1
    with guard:
        total.value *= 2


if __name__ == "__main__":
    total = mp.Value("d", 0.0)
    hist = mp.Array("i", 2)
    workers = [mp.Process(target=work, args=(total, hist, n)) for n in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
""",
        id="inside-with-on-a-lock",
    ),
    pytest.param(
        """\
import multiprocessing as mp


class Box:
    value = 0


def work(total):
    total.value += 1


if __name__ == "__main__":
    total = mp.Value("i", 0)
    workers = [mp.Process(target=work, args=(total,)) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    work(Box())
""",
        id="parameter-also-given-something-else",
    ),
    pytest.param(
        """\
import multiprocessing as mp
import multiprocessing.dummy as dummy


def work(total, fake):
    total.value += 1
    fake.value += 1


if __name__ == "__main__":
    with mp.Manager() as manager:
        total = manager.Value("i", 0)
        fake = dummy.Value("i", 0)
        workers = [mp.Process(target=work, args=(total, fake)) for _ in range(2)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
""",
        id="manager-proxy-and-thread-lookalike",
    ),
    pytest.param(
        """\
import multiprocessing as mp


def report(total):
    total.value += 1
    print(total.value)


def work(total):
    with total.get_lock():
        total.value += 1


def main():
    total = mp.Value("i", 0)
    total.value += 10
    workers = [mp.Process(target=work, args=(total,)) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    report(total)


if __name__ == "__main__":
    main()
    counter = mp.Value("i", 0)
    counter.value += 1
""",
        id="parent-only-code",
    ),
    pytest.param(
        """\
import multiprocessing as mp


class Worker(mp.Process):
    def __init__(self, counter):
        super().__init__()
        self.counter = counter

    def run(self):
        self.counter.value += 1


def tally(words):
    counts = {}
    for word in words:
        counts[word] = counts.get(word, 0) + 1
    counts["x"] += 1
    return counts


if __name__ == "__main__":
    worker = Worker(mp.Value("i", 0))
    worker.start()
    worker.join()
""",
        id="attribute-and-dict",
    ),
    pytest.param(
        """\
import multiprocessing as mp


def work(total):
    total.value += 1


if __name__ == "__main__":
    spec = ("i", 0)
    total = mp.Value(*spec)
    args = (total,)
    workers = [mp.Process(target=work, args=args) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
""",
        id="arguments-not-spelled-out",
    ),
    pytest.param(
        """\
import multiprocessing as mp


def work(total, use_lock):
    total.value += 1


if __name__ == "__main__":
    use_lock = False
    total = mp.Value("i", 0, lock=use_lock)
    workers = [mp.Process(target=work, args=(total, use_lock)) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
""",
        id="lock-argument-unknown",
    ),
]


@pytest.mark.parametrize("source", LEFT_ALONE)
def test_leaves_alone(source: str) -> None:
    CASES.assert_leaves_alone(source)


REPORTED = [
    pytest.param(
        """\
import multiprocessing as mp


def work(total):
    total.value += 1


if __name__ == "__main__":
    total = mp.Value("i", 0, lock=mp.Lock())
    workers = [mp.Process(target=work, args=(total,)) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
""",
        "non-reentrant `Lock`",
        id="plain-lock",
    ),
    pytest.param(
        """\
import multiprocessing as mp


def work(total):
    total.value += 1


if __name__ == "__main__":
    total = mp.Value("i", 0, lock=False)
    workers = [mp.Process(target=work, args=(total,)) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
""",
        "`total` is a raw shared value",
        id="lock-false",
    ),
    pytest.param(
        """\
import multiprocessing as mp


def work(cells):
    cells[0] += 1


if __name__ == "__main__":
    cells = mp.RawArray("i", 4)
    workers = [mp.Process(target=work, args=(cells,)) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
""",
        "`cells` is a raw shared value",
        id="raw-array",
    ),
    pytest.param(
        """\
import multiprocessing as mp


def work(total):
    n = 1; total.value += n


if __name__ == "__main__":
    total = mp.Value("i", 0)
    workers = [mp.Process(target=work, args=(total,)) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
""",
        "other statements share its line",
        id="shared-line",
    ),
]


@pytest.mark.parametrize(("source", "reason"), REPORTED)
def test_reports_without_fix(source: str, reason: str) -> None:
    # The reason is one part of what follows "not fixed", which RuleCases cannot say.
    result = check(source, unsafe_fixes=True)
    [finding] = result.findings
    assert finding.fix is Safety.NONE
    assert reason in finding.message.partition("; not fixed: ")[2]
    assert not result.changed


UNSAFE = [
    pytest.param(
        """\
import multiprocessing as mp


def count_words(path):
    return len(path.split())


def work(total, path):
    total.value += count_words(path)


if __name__ == "__main__":
    total = mp.Value("i", 0)
    workers = [mp.Process(target=work, args=(total, p)) for p in ["a b", "c"]]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    print(total.value)
""",
        """\
import multiprocessing as mp


def count_words(path):
    return len(path.split())


def work(total, path):
    with total.get_lock():
        total.value += count_words(path)


if __name__ == "__main__":
    total = mp.Value("i", 0)
    workers = [mp.Process(target=work, args=(total, p)) for p in ["a b", "c"]]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    print(total.value)
""",
        "`count_words(path)` would run while the lock is held",
        id="call-on-the-right",
    ),
    pytest.param(
        """\
import multiprocessing as mp


def slot(n):
    return n % 2


def work(hist, n):
    hist[slot(n)] += 1


if __name__ == "__main__":
    hist = mp.Array("i", 2)
    workers = [mp.Process(target=work, args=(hist, 3)) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
""",
        """\
import multiprocessing as mp


def slot(n):
    return n % 2


def work(hist, n):
    with hist.get_lock():
        hist[slot(n)] += 1


if __name__ == "__main__":
    hist = mp.Array("i", 2)
    workers = [mp.Process(target=work, args=(hist, 3)) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
""",
        "`slot(n)` would run while the lock is held",
        id="call-in-the-index",
    ),
    pytest.param(
        """\
import multiprocessing as mp


def work(total, other, path):
    with open(path) as handle:
        total.value += len(handle.read())
    total.value += other.value


if __name__ == "__main__":
    total = mp.Value("i", 0)
    other = mp.Value("i", 0)
    workers = [mp.Process(target=work, args=(total, other, __file__)) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
""",
        """\
import multiprocessing as mp


def work(total, other, path):
    with open(path) as handle:
        with total.get_lock():
            total.value += len(handle.read())
    with total.get_lock():
        total.value += other.value


if __name__ == "__main__":
    total = mp.Value("i", 0)
    other = mp.Value("i", 0)
    workers = [mp.Process(target=work, args=(total, other, __file__)) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
""",
        "`len(handle.read())` would run while the lock is held",
        id="with-on-a-file-and-another-value",
    ),
]


@pytest.mark.parametrize(("before", "after", "reason"), UNSAFE)
def test_unsafe_fix_only_on_request(before: str, after: str, reason: str) -> None:
    assert not check(before).changed
    result = check(before, unsafe_fixes=True)
    assert all(f.fix is Safety.UNSAFE for f in result.findings)
    assert reason in result.findings[0].message.partition("; the fix is unsafe: ")[2]
    assert result.fixed == after
    again = analyze(after)
    assert again.findings == [] and not again.changed


def test_finding_points_at_the_statement_and_says_what_to_do() -> None:
    [finding] = check(FIXES[0].values[0]).findings
    assert (finding.line, finding.column, finding.end_line) == (6, 9, 6)
    assert finding.message == (
        "`counter.value = counter.value + 1` reads the shared `counter` and writes it back in two steps, "
        "each holding its lock but not in between: processes doing it at the same time lose updates"
    )
    assert finding.fix_title == "Hold `counter.get_lock()` around it"


def test_crlf_line_endings_survive() -> None:
    source = FIXES[0].values[0].replace("\n", "\r\n")
    assert check(source).fixed == FIXES[0].values[1].replace("\n", "\r\n")


# -- the snippets' programs ------------------------------------------------------------

# What each fixed snippet prints, under every start method. The originals race, so what
# they print varies from run to run: the snippet tests do not run them (no `.out` file).
EXACT = {
    "counter": "counted: 200000 of 200000\n",
    "histogram": "numbers by remainder: [40000, 40000, 40000]\n",
}


def test_every_fix_snippet_has_its_exact_output_here() -> None:
    assert sorted(path.name.removesuffix(".before.py") for path in SNIPPETS.glob("*.before.py")) == sorted(EXACT)


@pytest.mark.parametrize("method", START_METHODS)
@pytest.mark.parametrize("case", sorted(EXACT))
def test_fixed_snippet_counts_exactly(case: str, method: str) -> None:
    run = run_program(SNIPPETS / f"{case}.after.py", method, timeout=60)
    assert (run.returncode, run.stdout) == (0, EXACT[case]), run.stderr


def _counted(output: str) -> int:
    """How many updates a snippet's output says were made: the first number (counter) or
    the sum of the list (histogram)."""
    rest = output.partition(":")[2]
    numbers = [int(n) for n in re.findall(r"\d+", rest)]
    return sum(numbers) if "[" in rest else numbers[0]


@pytest.mark.parametrize("case", sorted(EXACT))
def test_original_snippet_loses_updates(case: str) -> None:
    """Four workers race on hundreds of thousands of updates: a run that loses none is
    rare, five in a row would mean there is no race."""
    expected = _counted(EXACT[case])
    counts = []
    for _ in range(5):
        run = run_program(SNIPPETS / f"{case}.before.py", "fork", timeout=60)
        assert run.returncode == 0, run.stderr
        counts.append(_counted(run.stdout))
        if counts[-1] < expected:
            return
    pytest.fail(f"no update was lost in five runs: {counts}")


# -- one writer at a time --------------------------------------------------------------

# The example of the Python docs (multiprocessing.sharedctypes): one child updates the
# values, the parent reads them after join(). No update can be lost.
DOCS_EXAMPLE = """\
from multiprocessing import Process, Lock
from multiprocessing.sharedctypes import Value, Array
from ctypes import Structure, c_double


class Point(Structure):
    _fields_ = [('x', c_double), ('y', c_double)]


def modify(n, x, s, A):
    n.value **= 2
    x.value **= 2
    s.value = s.value.upper()
    for a in A:
        a.x **= 2
        a.y **= 2


if __name__ == '__main__':
    lock = Lock()
    n = Value('i', 7)
    x = Value(c_double, 1.0/3.0, lock=False)
    s = Array('c', b'hello world', lock=lock)
    A = Array(Point, [(1.875,-6.25), (-5.75,2.0), (2.375,9.5)], lock=lock)
{start}
    print(n.value)
    print(x.value)
    print(s.value)
    print([(a.x, a.y) for a in A])
"""
ONE_CHILD = """\
    p = Process(target=modify, args=(n, x, s, A))
    p.start()
    p.join()"""

ALONE = [
    pytest.param(DOCS_EXAMPLE.format(start=ONE_CHILD), id="docs-example"),
    pytest.param(
        DOCS_EXAMPLE.format(
            start="""\
    for _ in range(2):
        p = Process(target=modify, args=(n, x, s, A))
        p.start()
        print("started", flush=True)
        p.join()"""
        ),
        id="one-at-a-time-in-a-loop-parent-prints-meanwhile",
    ),
    pytest.param(
        """\
import multiprocessing as mp


def add(total, n):
    total.value += n


def work(total):
    add(total, 1)


def main():
    total = mp.Value("i", 0)
    worker = mp.Process(target=work, args=(total,))
    worker.start()
    worker.join()
    print(total.value)


if __name__ == "__main__":
    main()
""",
        id="helper-of-the-one-child",
    ),
]


@pytest.mark.parametrize("source", ALONE)
def test_one_writer_at_a_time_loses_nothing(source: str) -> None:
    result = check(source, unsafe_fixes=True)
    assert result.findings == [] and not result.changed


# The docs example's three updates of a shared value's `.value`, when they may race.
RACING = [
    (11, "`n.value **= 2` reads the shared `n` and writes it back in two steps, each holding its lock but not in "
     "between: processes doing it at the same time lose updates"),
    (12, "`x.value **= 2` reads the shared `x` and writes it back in two steps: processes doing it at the same time "
     "lose updates; not fixed: " + WHY_NOT[RAW].format(name="x")),
    (13, "`s.value = s.value.upper()` reads the shared `s` and writes it back in two steps, each holding its lock but "
     "not in between: processes doing it at the same time lose updates; not fixed: "
     "" + WHY_NOT[PLAIN_LOCK].format(name="s")),
]  # fmt: skip

OVERLAPPING = [
    pytest.param(
        """\
    p = Process(target=modify, args=(n, x, s, A))
    q = Process(target=modify, args=(n, x, s, A))
    p.start()
    q.start()
    p.join()
    q.join()""",
        id="two-children-alive-together",
    ),
    pytest.param(
        """\
    children = [Process(target=modify, args=(n, x, s, A)) for _ in range(2)]
    for p in children:
        p.start()
    for p in children:
        p.join()""",
        id="list-of-children",
    ),
    pytest.param(
        """\
    p = Process(target=modify, args=(n, x, s, A))
    p.start()
    n.value += 1
    p.join()""",
        id="parent-writes-while-the-child-runs",
    ),
    pytest.param(
        """\
    p = Process(target=modify, args=(n, x, s, A))
    p.start()
    p.join(0.1)""",
        id="join-may-return-first",
    ),
    pytest.param(
        """\
    p = Process(target=modify, args=(n, x, s, A))
    p.start()
    modify(n, x, s, A)
    p.join()""",
        id="parent-runs-the-target-too",
    ),
]


@pytest.mark.parametrize("start", OVERLAPPING)
def test_writers_that_may_overlap_race(start: str) -> None:
    result = check(DOCS_EXAMPLE.format(start=start), unsafe_fixes=True)
    assert [(f.line, f.message) for f in result.findings] == RACING


@pytest.mark.parametrize(
    ("loop", "locked"),
    [
        pytest.param(
            "    for _ in range(1000):\n        counter.value = counter.value + \\\n            1\n",
            "    for _ in range(1000):\n        with counter.get_lock():\n"
            "            counter.value = counter.value + \\\n                1\n",
            id="own-line",
        ),
        pytest.param(
            "    for _ in range(1000): counter.value = counter.value + \\\n        1\n",
            "    for _ in range(1000):\n        with counter.get_lock():\n"
            "            counter.value = counter.value + \\\n                1\n",
            id="one-line-body",
        ),
    ],
)
def test_a_line_that_a_backslash_continues_moves_into_the_lock_with_its_statement(loop: str, locked: str) -> None:
    program = (
        "import multiprocessing as mp\n\n\ndef count(counter):\n{}\n\n"
        'if __name__ == "__main__":\n    counter = mp.Value("i", 0)\n'
        "    workers = [mp.Process(target=count, args=(counter,)) for _ in range(2)]\n"
        "    for worker in workers:\n        worker.start()\n    for worker in workers:\n        worker.join()\n"
        "    print(counter.value)\n"
    )
    assert check(program.format(loop)).fixed == program.format(locked)
