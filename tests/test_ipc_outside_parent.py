"""ipc-outside-parent (MP003): the shapes found in real code, fixed, left alone and reported.

Each "fixes this" case has a "leaves this alone" neighbour in LEFT_ALONE. The composition
cases run every rule over scripts without a guard, as `mpfix fix` does: the docs' snippets
with their guard taken away end exactly as the snippets' after. The runtime cases run
programs before and after under spawn, forkserver and fork.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from mpfix import registry
from mpfix.engine import analyze
from mpfix.model import Safety
from programs import START_METHODS, run_program
from rule_cases import RuleCases

MP003 = [registry.BY_CODE["MP003"]]
CASES = RuleCases("MP003")
SNIPPETS = Path(__file__).resolve().parent.parent / "docs" / "snippets" / "ipc-outside-parent"


def check(source: str):
    return analyze(source, rules=MP003)


FIXES = [
    pytest.param(
        """\
import multiprocessing as mp

queue = mp.Queue()


def produce(n):
    queue.put(n)


if __name__ == "__main__":
    p = mp.Process(target=produce, args=(1,))
    p.start()
    print(queue.get())
    p.join()
""",
        """\
import multiprocessing as mp


def produce(n, queue):
    queue.put(n)


if __name__ == "__main__":
    queue = mp.Queue()
    p = mp.Process(target=produce, args=(1, queue))
    p.start()
    print(queue.get())
    p.join()
""",
        id="module-queue-process",
    ),
    pytest.param(
        """\
import multiprocessing as mp

counter = mp.Value("i", 0)


def count(x):
    with counter.get_lock():
        counter.value += 1


if __name__ == "__main__":
    with mp.Pool(2) as pool:
        pool.map(count, range(4))
    print(counter.value)
""",
        '''\
import multiprocessing as mp

counter = None


def _init_worker(parent_counter):
    """Pool initializer: bind what the parent shares with this worker process."""
    global counter
    counter = parent_counter


def count(x):
    with counter.get_lock():
        counter.value += 1


if __name__ == "__main__":
    counter = mp.Value("i", 0)
    with mp.Pool(2, initializer=_init_worker, initargs=(counter,)) as pool:
        pool.map(count, range(4))
    print(counter.value)
''',
        id="module-value-pool",
    ),
    pytest.param(
        """\
import multiprocessing as mp


def square(n):
    results.put(n * n)


if __name__ == "__main__":
    results = mp.Queue()
    for n in range(3):
        mp.Process(target=square, args=(n,)).start()
    print(sorted(results.get() for _ in range(3)))
""",
        """\
import multiprocessing as mp


def square(n, results):
    results.put(n * n)


if __name__ == "__main__":
    results = mp.Queue()
    for n in range(3):
        mp.Process(target=square, args=(n, results)).start()
    print(sorted(results.get() for _ in range(3)))
""",
        id="guard-queue-read-through-global",
    ),
    pytest.param(
        """\
import multiprocessing as mp


def record(key):
    table[key] = len(key)


if __name__ == "__main__":
    with mp.Manager() as manager:
        table = manager.dict()
        with mp.Pool(2) as pool:
            pool.map(record, ["a", "bb"])
        print(sorted(table.items()))
""",
        '''\
import multiprocessing as mp


table = None


def _init_worker(parent_table):
    """Pool initializer: bind what the parent shares with this worker process."""
    global table
    table = parent_table


def record(key):
    table[key] = len(key)


if __name__ == "__main__":
    with mp.Manager() as manager:
        table = manager.dict()
        with mp.Pool(2, initializer=_init_worker, initargs=(table,)) as pool:
            pool.map(record, ["a", "bb"])
        print(sorted(table.items()))
''',
        id="manager-dict-in-guard-pool",
    ),
    pytest.param(
        """\
import multiprocessing as mp

events = mp.Queue()


def emit(name, times=1):
    for _ in range(times):
        events.put(name)


if __name__ == "__main__":
    mp.Process(target=emit, args=("a",)).start()
    mp.Process(target=emit, args=("b",), kwargs={"times": 2}).start()
    print(sorted(events.get() for _ in range(3)))
""",
        """\
import multiprocessing as mp


def emit(name, times=1, *, events):
    for _ in range(times):
        events.put(name)


if __name__ == "__main__":
    events = mp.Queue()
    mp.Process(target=emit, args=("a",), kwargs={"events": events}).start()
    mp.Process(target=emit, args=("b",), kwargs={"times": 2, "events": events}).start()
    print(sorted(events.get() for _ in range(3)))
""",
        id="target-with-defaults-gets-keyword-only",
    ),
    pytest.param(
        """\
from multiprocessing import Pipe, Process

receiver, sender = Pipe(duplex=False)


def greet():
    sender.send("hello")


if __name__ == "__main__":
    child = Process(target=greet)
    child.start()
    print(receiver.recv())
    child.join()
""",
        """\
from multiprocessing import Pipe, Process


def greet(sender):
    sender.send("hello")


if __name__ == "__main__":
    receiver, sender = Pipe(duplex=False)
    child = Process(target=greet, args=(sender,))
    child.start()
    print(receiver.recv())
    child.join()
""",
        id="pipe-end",
    ),
    pytest.param(
        """\
import multiprocessing as mp

done = mp.Event()


def finish():
    done.set()


def main():
    worker = mp.Process(target=finish)
    worker.start()
    worker.join()
    print(done.is_set())


if __name__ == "__main__":
    main()
""",
        """\
import multiprocessing as mp


def finish(done):
    done.set()


def main():
    worker = mp.Process(target=finish, args=(done,))
    worker.start()
    worker.join()
    print(done.is_set())


if __name__ == "__main__":
    done = mp.Event()
    main()
""",
        id="started-from-main-function",
    ),
    pytest.param(
        """\
import multiprocessing as mp
from concurrent.futures import ProcessPoolExecutor

hits = mp.Value("i", 0)


def hit(n):
    with hits.get_lock():
        hits.value += n


if __name__ == "__main__":
    with ProcessPoolExecutor(max_workers=2) as executor:
        executor.submit(hit, 2).result()
    print(hits.value)
""",
        '''\
import multiprocessing as mp
from concurrent.futures import ProcessPoolExecutor

hits = None


def _init_worker(parent_hits):
    """Pool initializer: bind what the parent shares with this worker process."""
    global hits
    hits = parent_hits


def hit(n):
    with hits.get_lock():
        hits.value += n


if __name__ == "__main__":
    hits = mp.Value("i", 0)
    with ProcessPoolExecutor(max_workers=2, initializer=_init_worker, initargs=(hits,)) as executor:
        executor.submit(hit, 2).result()
    print(hits.value)
''',
        id="process-pool-executor",
    ),
    pytest.param(
        """\
import multiprocessing as mp

total = mp.Value("i", 0)


def setup(scale):
    global SCALE
    SCALE = scale


def add(n):
    with total.get_lock():
        total.value += n * SCALE


if __name__ == "__main__":
    with mp.Pool(2, initializer=setup, initargs=(10,)) as pool:
        pool.map(add, [1, 2])
    print(total.value)
""",
        """\
import multiprocessing as mp

total = None


def setup(scale, parent_total):
    global SCALE, total
    SCALE = scale
    total = parent_total


def add(n):
    with total.get_lock():
        total.value += n * SCALE


if __name__ == "__main__":
    total = mp.Value("i", 0)
    with mp.Pool(2, initializer=setup, initargs=(10, total)) as pool:
        pool.map(add, [1, 2])
    print(total.value)
""",
        id="existing-initializer-extended",
    ),
    pytest.param(
        """\
import multiprocessing as mp


def log(line, out):
    lock = mp.RLock()
    with lock:
        out.put(line)


if __name__ == "__main__":
    out = mp.Queue()
    writers = [mp.Process(target=log, args=(f"line {n}", out)) for n in range(2)]
    for writer in writers:
        writer.start()
    print(sorted(out.get() for _ in writers))
""",
        """\
import multiprocessing as mp


def log(line, out, lock):
    with lock:
        out.put(line)


if __name__ == "__main__":
    out = mp.Queue()
    lock = mp.RLock()
    writers = [mp.Process(target=log, args=(f"line {n}", out, lock)) for n in range(2)]
    for writer in writers:
        writer.start()
    print(sorted(out.get() for _ in writers))
""",
        id="rlock-in-worker-process",
    ),
    pytest.param(
        """\
import multiprocessing as mp
import time


def slow_square(n):
    gate = mp.Semaphore(1)
    with gate:
        time.sleep(0.01)
    return n * n


if __name__ == "__main__":
    with mp.Pool(2) as pool:
        print(pool.map(slow_square, range(3)))
""",
        '''\
import multiprocessing as mp
import time


gate = None


def _init_worker(parent_gate):
    """Pool initializer: bind what the parent shares with this worker process."""
    global gate
    gate = parent_gate


def slow_square(n):
    with gate:
        time.sleep(0.01)
    return n * n


if __name__ == "__main__":
    gate = mp.Semaphore(1)
    with mp.Pool(2, initializer=_init_worker, initargs=(gate,)) as pool:
        print(pool.map(slow_square, range(3)))
''',
        id="semaphore-in-pool-task",
    ),
    pytest.param(
        """\
import multiprocessing as mp

spawn = mp.get_context("spawn")
inbox = spawn.JoinableQueue()


def take():
    inbox.get()
    inbox.task_done()


if __name__ == "__main__":
    spawn.Process(target=take).start()
    inbox.put("job")
    inbox.join()
""",
        """\
import multiprocessing as mp

spawn = mp.get_context("spawn")


def take(inbox):
    inbox.get()
    inbox.task_done()


if __name__ == "__main__":
    inbox = spawn.JoinableQueue()
    spawn.Process(target=take, args=(inbox,)).start()
    inbox.put("job")
    inbox.join()
""",
        id="context-joinable-queue",
    ),
    pytest.param(
        """\
import multiprocessing as mp

slots = mp.BoundedSemaphore(2)


def visit(*guests, **notes):
    with slots:
        print(guests, notes)


if __name__ == "__main__":
    visitor = mp.Process(target=visit, args=("ann", "bo"))
    visitor.start()
    visitor.join()
""",
        """\
import multiprocessing as mp


def visit(*guests, slots, **notes):
    with slots:
        print(guests, notes)


if __name__ == "__main__":
    slots = mp.BoundedSemaphore(2)
    visitor = mp.Process(target=visit, args=("ann", "bo"), kwargs={"slots": slots})
    visitor.start()
    visitor.join()
""",
        id="varargs-target",
    ),
    pytest.param(
        """\
import multiprocessing as mp

barrier = mp.Barrier(2)
lock = mp.Lock()


def meet(n):
    barrier.wait()
    with lock:
        print("met", n)


if __name__ == "__main__":
    ps = [mp.Process(target=meet, args=(n,)) for n in range(2)]
    for p in ps:
        p.start()
    for p in ps:
        p.join()
""",
        """\
import multiprocessing as mp


def meet(n, barrier, lock):
    barrier.wait()
    with lock:
        print("met", n)


if __name__ == "__main__":
    barrier = mp.Barrier(2)
    lock = mp.Lock()
    ps = [mp.Process(target=meet, args=(n, barrier, lock)) for n in range(2)]
    for p in ps:
        p.start()
    for p in ps:
        p.join()
""",
        id="two-objects-one-worker",
    ),
    pytest.param(
        """\
import multiprocessing as mp


def finish():
    done.set()


def main():
    worker = mp.Process(target=finish)
    worker.start()
    worker.join()
    print(done.is_set())


if __name__ == "__main__":
    done = mp.Event()
    main()
""",
        """\
import multiprocessing as mp


def finish(done):
    done.set()


def main():
    worker = mp.Process(target=finish, args=(done,))
    worker.start()
    worker.join()
    print(done.is_set())


if __name__ == "__main__":
    done = mp.Event()
    main()
""",
        id="guard-event-started-from-main",
    ),
]


@pytest.mark.parametrize(("before", "after"), FIXES)
def test_fixes(before: str, after: str) -> None:
    result = check(before)
    assert result.findings and all((f.code, f.fix) == ("MP003", Safety.SAFE) for f in result.findings)
    assert result.fixed == after
    again = analyze(after)  # every rule: the result is clean, not only for MP003
    assert again.findings == [] and not again.changed


LEFT_ALONE = [
    pytest.param(
        """\
import multiprocessing as mp
import queue
import threading

lock = threading.Lock()
jobs = queue.Queue()


def produce(n):
    with lock:
        jobs.put(n)


if __name__ == "__main__":
    mp.Process(target=produce, args=(1,)).start()
""",
        id="thread-lock-and-queue-queue",
    ),
    pytest.param(
        """\
import multiprocessing as mp


def produce(n, queue):
    queue.put(n)


if __name__ == "__main__":
    queue = mp.Queue()
    p = mp.Process(target=produce, args=(1, queue))
    p.start()
    print(queue.get())
    p.join()
""",
        id="queue-passed-by-args",
    ),
    pytest.param(
        """\
import multiprocessing as mp

counter = None


def share(value):
    global counter
    counter = value


def count(x):
    with counter.get_lock():
        counter.value += 1


if __name__ == "__main__":
    counter = mp.Value("i", 0)
    with mp.Pool(2, initializer=share, initargs=(counter,)) as pool:
        pool.map(count, range(4))
    print(counter.value)
""",
        id="initializer-already-hands-over",
    ),
    pytest.param(
        """\
import multiprocessing as mp


def relay(text):
    inner = mp.Queue()
    child = mp.Process(target=inner.put, args=(text,))
    child.start()
    print(inner.get())
    child.join()


if __name__ == "__main__":
    mp.Process(target=relay, args=("hi",)).start()
""",
        id="grandchild-queue",
    ),
    pytest.param(
        """\
import multiprocessing as mp
import threading


def write(lock, out, line):
    with lock:
        out.put(line)


def log(line, out):
    # Shared by this child's own threads: a lock for them, not for other processes.
    lock = mp.RLock()
    threads = [threading.Thread(target=write, args=(lock, out, line)) for _ in range(2)]
    for thread in threads:
        thread.start()


if __name__ == "__main__":
    mp.Process(target=log, args=("x", mp.Queue())).start()
""",
        id="lock-for-own-threads",
    ),
    pytest.param(
        """\
import multiprocessing as mp

fork = mp.get_context("fork")
queue = fork.Queue()


def produce(n):
    queue.put(n)


if __name__ == "__main__":
    fork.Process(target=produce, args=(1,)).start()
    print(queue.get())
""",
        id="explicit-fork-context",
    ),
    pytest.param(
        """\
import multiprocessing as mp

counter = mp.Value("i", 0)


def count(x):
    counter.value += 1


if __name__ == "__main__":
    mp.set_start_method("fork")
    with mp.Pool(2) as pool:
        pool.map(count, range(4))
""",
        id="set-start-method-fork",
    ),
    pytest.param(
        """\
import multiprocessing as mp

done = mp.Event()


def finish():
    return 1


def main():
    with mp.Pool(2) as pool:
        pool.apply(finish)
    done.set()
    print(done.is_set())


if __name__ == "__main__":
    main()
""",
        id="read-only-by-parent-code",
    ),
    pytest.param(
        """\
import multiprocessing as mp
from concurrent.futures import ThreadPoolExecutor

hits = mp.Value("i", 0)


def hit(n):
    with hits.get_lock():
        hits.value += n


if __name__ == "__main__":
    with ThreadPoolExecutor(max_workers=2) as executor:
        executor.submit(hit, 2).result()
    print(hits.value)
""",
        id="thread-pool-executor",
    ),
    pytest.param(
        """\
import multiprocessing as mp


def make_counter():
    counter = mp.Value("i", 0)
    return counter


def bump(counter):
    lock = counter.get_lock()
    with lock:
        counter.value += 1


if __name__ == "__main__":
    counter = make_counter()
    mp.Process(target=bump, args=(counter,)).start()
""",
        id="value-returned-by-factory",
    ),
    pytest.param(
        """\
from multiprocessing.dummy import Pool, Queue

results = Queue()


def square(n):
    results.put(n * n)


if __name__ == "__main__":
    with Pool(2) as pool:
        pool.map(square, range(3))
""",
        id="multiprocessing-dummy",
    ),
    pytest.param(
        """\
import multiprocessing as mp


def square(n, results):
    lock = mp.Lock()
    results.put(n * n)
    return lock


if __name__ == "__main__":
    with mp.Pool(2) as pool:
        pool.apply(square, (2, None))
""",
        id="lock-returned",
    ),
]


@pytest.mark.parametrize("source", LEFT_ALONE)
def test_leaves_alone(source: str) -> None:
    CASES.assert_leaves_alone(source)


REPORTED = [
    pytest.param(
        """\
import multiprocessing as mp

queue = mp.Queue()


def produce(n):
    queue.put(n)


if __name__ == "__main__":
    produce(0)
    mp.Process(target=produce, args=(1,)).start()
""",
        "`produce` is also called directly (line 11)",
        id="called-directly",
    ),
    pytest.param(
        """\
import multiprocessing as mp

log = mp.Queue()


def note(text):
    log.put(text)


def work(n):
    note(str(n))


if __name__ == "__main__":
    mp.Process(target=work, args=(1,)).start()
""",
        "`note` reads `log` and runs in a child process through `work`",
        id="reached-through-helper",
    ),
    pytest.param(
        """\
import multiprocessing as mp

counter = mp.Value("i", 0)


def count(x):
    counter.value += 1


if __name__ == "__main__":
    with mp.Pool(2, initializer=print, initargs=("ready",)) as pool:
        pool.map(count, range(4))
""",
        "already has an initializer, `print`, that cannot be extended cleanly",
        id="initializer-not-extensible",
    ),
    pytest.param(
        """\
import functools
import multiprocessing as mp

queue = mp.Queue()


@functools.wraps(print)
def produce(n):
    queue.put(n)


if __name__ == "__main__":
    mp.Process(target=produce, args=(1,)).start()
""",
        "`produce` is decorated",
        id="decorated-target",
    ),
    pytest.param(
        """\
import multiprocessing as mp

queue = mp.Queue()


def produce(n):
    queue.put(n)


def main():
    queue = []
    mp.Process(target=produce, args=(1,)).start()


if __name__ == "__main__":
    main()
""",
        "`queue` is a local name where the start of `produce` on line 12 is",
        id="local-name-at-start",
    ),
    pytest.param(
        """\
import multiprocessing as mp


def produce(n):
    queue.put(n)


if __name__ == "__main__":
    mp.Process(target=produce, args=(1,)).start()
    queue = mp.Queue()
""",
        "the start of `produce` on line 9 does not come after `queue` is created",
        id="started-before-created",
    ),
    pytest.param(
        """\
import multiprocessing as mp

queue = mp.Queue()


class Producer(mp.Process):
    def run(self):
        queue.put(1)


if __name__ == "__main__":
    Producer().start()
""",
        "`Producer` reads `queue` and may run in a child process",
        id="process-subclass",
    ),
    pytest.param(
        """\
import multiprocessing as mp

queue = mp.Queue()


def produce(n):
    queue.put(n)


if __name__ == "__main__":
    mp.Process(target=produce, args=(1,)).start()
    with mp.Pool(2) as pool:
        pool.map(produce, [2])
""",
        "`produce` runs both as a process target and as a pool task",
        id="target-and-task",
    ),
    pytest.param(
        """\
import multiprocessing as mp

lock = mp.Lock()


def produce(n):
    with lock:
        print(n)


if __name__ == "__main__":
    arguments = (1,)
    mp.Process(target=produce, args=arguments).start()
""",
        "`args=` on line 13 is not a tuple",
        id="args-not-literal",
    ),
    pytest.param(
        """\
import multiprocessing as mp

manager = mp.Manager()


def fill():
    manager.list().append(1)


if __name__ == "__main__":
    mp.Process(target=fill).start()
""",
        "a manager cannot be sent to another process",
        id="manager-object",
    ),
    pytest.param(
        """\
import multiprocessing as mp


def squares(n):
    results = mp.Queue()
    for k in range(n):
        results.put(k * k)
    results.get()


if __name__ == "__main__":
    mp.Process(target=squares, args=(3,)).start()
""",
        "sharing one `results` between the processes would change what `squares` computes",
        id="queue-in-worker",
    ),
    pytest.param(
        """\
import multiprocessing as mp


def limited(n):
    gate = mp.Semaphore(n)
    with gate:
        print(n)


if __name__ == "__main__":
    mp.Process(target=limited, args=(2,)).start()
""",
        "it is made from `n`, which only `limited` knows",
        id="semaphore-from-parameter",
    ),
    pytest.param(
        """\
import multiprocessing as mp


def guarded(n):
    lock = mp.Lock()
    with lock:
        return n


def run_all(numbers):
    with mp.Pool(2) as pool:
        return pool.map(guarded, numbers)
""",
        "nothing in this module starts `guarded`",
        id="no-parent-code",
    ),
    pytest.param(
        """\
import multiprocessing as mp

queue = mp.Queue()


def produce(n):
    queue.put(n)


if __name__ == "__main__":
    queue = mp.Queue()
    mp.Process(target=produce, args=(1,)).start()
""",
        "`queue` is also assigned on line 11",
        id="assigned-twice",
    ),
    pytest.param(
        """\
import multiprocessing as mp

counter = mp.Value("i", 0)


def count(x):
    counter.value += 1


if __name__ == "__main__":
    options = {"processes": 2}
    with mp.Pool(**options) as pool:
        pool.map(count, range(4))
""",
        "the pool on line 12 takes unpacked arguments",
        id="pool-unpacked-arguments",
    ),
    pytest.param(
        """\
import multiprocessing as mp


def finish():
    done.set()


def main():
    mp.Process(target=finish).start()


if __name__ == "__main__":
    main()
    done = mp.Event()
""",
        "the start of `finish` on line 9 does not come after `done` is created",
        id="main-called-before-created",
    ),
]


@pytest.mark.parametrize(("source", "reason"), REPORTED)
def test_reports_without_fix(source: str, reason: str) -> None:
    result = analyze(source, rules=MP003, unsafe_fixes=True)
    first = result.findings[0]
    assert all(f.fix is Safety.NONE for f in result.findings)
    assert "; not fixed: " in first.message and reason in first.message.partition("; not fixed: ")[2]
    assert not result.changed


# -- composition with MP001: a script without a guard, every rule, as `mpfix fix` runs ----

COMPOSED = [
    pytest.param(
        """\
import multiprocessing as mp

lock = mp.Lock()


def double(n):
    with lock:
        return n * 2


def main():
    with mp.Pool(2) as pool:
        print(pool.map(double, range(4)))


main()
""",
        '''\
import multiprocessing as mp

lock = None


def _init_worker(parent_lock):
    """Pool initializer: bind what the parent shares with this worker process."""
    global lock
    lock = parent_lock


def double(n):
    with lock:
        return n * 2


def main():
    with mp.Pool(2, initializer=_init_worker, initargs=(lock,)) as pool:
        print(pool.map(double, range(4)))


if __name__ == "__main__":
    lock = mp.Lock()
    main()
''',
        id="unguarded-main-with-pool",
    ),
    pytest.param(
        """\
import multiprocessing as mp

manager = mp.Manager()
table = manager.dict()


def record(key):
    table[key] = len(key)


workers = [mp.Process(target=record, args=(key,)) for key in ["a", "bb"]]
for worker in workers:
    worker.start()
for worker in workers:
    worker.join()
print(sorted(table.items()))
""",
        """\
import multiprocessing as mp


def record(key, table):
    table[key] = len(key)


if __name__ == "__main__":
    manager = mp.Manager()

    table = manager.dict()
    workers = [mp.Process(target=record, args=(key, table)) for key in ["a", "bb"]]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    print(sorted(table.items()))
""",
        id="unguarded-manager-proxy-process",
    ),
]


@pytest.mark.parametrize(("before", "after"), COMPOSED)
def test_every_rule_together_guards_the_script_and_hands_the_object_over(before: str, after: str) -> None:
    result = analyze(before)
    assert {f.code for f in result.applied} == {"MP001", "MP003"}
    assert result.fixed == after
    assert result.remaining == []


def _without_guard(source: str) -> str:
    head, _, script = source.partition('if __name__ == "__main__":\n')
    return head + "".join(line.removeprefix("    ") for line in script.splitlines(keepends=True))


@pytest.mark.parametrize("before", sorted(SNIPPETS.glob("*.before.py")), ids=lambda path: path.name)
def test_a_snippet_without_its_guard_ends_as_the_same_after(before: Path) -> None:
    result = analyze(_without_guard(before.read_text(encoding="utf-8")))
    assert {f.code for f in result.applied} == {"MP001", "MP003"}
    assert result.fixed == before.with_name(before.name.replace(".before.py", ".after.py")).read_text(encoding="utf-8")
    assert result.remaining == []


def test_without_a_guard_the_pool_fix_leaves_a_placeholder_and_a_creation_by_the_pool() -> None:
    # Round one alone: MP001 keeps `done = None` at module level for the workers; the
    # creation, now next to the pool, goes under the guard once MP001 has made it.
    script = _without_guard((SNIPPETS / "module-value-pool.before.py").read_text(encoding="utf-8"))
    step = check(script).fixed
    assert "\ndone = None\n" in step
    assert 'done = mp.Value("i", 0)\nwith mp.Pool(2, initializer=_init_worker, initargs=(done,)) as pool:\n' in step


@pytest.mark.parametrize("before", sorted(SNIPPETS.glob("module-*.before.py")), ids=lambda path: path.name)
def test_a_snippet_without_its_guard_prints_the_same_under_fork(tmp_path: Path, before: Path) -> None:
    (tmp_path / "script.py").write_text(_without_guard(before.read_text(encoding="utf-8")), encoding="utf-8")
    run = run_program(tmp_path / "script.py", "fork", timeout=30)
    expected = before.with_name(before.name.replace(".before.py", ".out")).read_text(encoding="utf-8")
    assert (run.returncode, run.stdout) == (0, expected), run.stderr


def test_a_manager_at_module_level_with_pool_workers_stays_for_mp001_to_report() -> None:
    # MP001 cannot move `manager.dict()` under the guard while the workers read `table`
    # through the module-level name: MP003 hands it over, MP001 reports what is left.
    source = """\
import multiprocessing as mp

manager = mp.Manager()
table = manager.dict()


def record(key):
    table[key] = len(key)


with mp.Pool(2) as pool:
    pool.map(record, ["a", "bb"])
"""
    result = analyze(source)
    assert [f.code for f in result.applied] == ["MP003"]
    assert [(f.code, f.fix) for f in result.remaining] == [("MP001", Safety.NONE)]


# -- the programs keep their meaning under every start method --------------------------

# Each program's output under every start method after the fix, and under fork before it.
RUNTIME = {
    "module-value-pool": "4\n",
    "guard-queue-read-through-global": "[0, 1, 4]\n",
    "manager-dict-in-guard-pool": "[('a', 1), ('bb', 2)]\n",
    "pipe-end": "hello\n",
    "started-from-main-function": "True\n",
    "guard-event-started-from-main": "True\n",
    "existing-initializer-extended": "30\n",
    "unguarded-main-with-pool": "[0, 2, 4, 6]\n",
    "unguarded-manager-proxy-process": "[('a', 1), ('bb', 2)]\n",
}


def _programs() -> list:
    by_id = {param.id: param.values for param in [*FIXES, *COMPOSED]}
    return [pytest.param(*by_id[case], output, id=case) for case, output in RUNTIME.items()]


@pytest.mark.parametrize(("before", "after", "output"), _programs())
def test_after_prints_what_before_printed_under_fork(tmp_path: Path, before: str, after: str, output: str) -> None:
    (tmp_path / "before.py").write_text(before, encoding="utf-8")
    (tmp_path / "after.py").write_text(after, encoding="utf-8")
    run = run_program(tmp_path / "before.py", "fork", timeout=30)
    assert (run.returncode, run.stdout) == (0, output), run.stderr
    for method in START_METHODS:
        run = run_program(tmp_path / "after.py", method, timeout=30)
        assert (run.returncode, run.stdout) == (0, output), (method, run.stderr)


@pytest.mark.parametrize("method", ["spawn", "forkserver"])
def test_before_loses_the_count_under_spawn_and_forkserver(tmp_path: Path, method: str) -> None:
    before = next(param.values[0] for param in FIXES if param.id == "module-value-pool")
    (tmp_path / "before.py").write_text(before, encoding="utf-8")
    run = run_program(tmp_path / "before.py", method, timeout=30)
    assert (run.returncode, run.stdout) == (0, "0\n"), run.stderr


def test_finding_points_at_the_creation_and_names_the_worker() -> None:
    [finding] = check(FIXES[0].values[0]).findings
    assert (finding.line, finding.column) == (3, 9)
    assert finding.message.startswith("`queue` (`mp.Queue()`) is created at module level but reaches `produce`")
    assert finding.fix_title == "Pass `queue` to `produce` as an argument; create it under the `__main__` guard"


def test_crlf_line_endings_survive() -> None:
    source = FIXES[0].values[0].replace("\n", "\r\n")
    assert check(source).fixed == FIXES[0].values[1].replace("\n", "\r\n")
