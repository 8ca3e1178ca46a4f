"""unpicklable-task (MP009): the shapes found in real code, fixed, left alone and reported."""

from __future__ import annotations

from pathlib import Path

import pytest
from mpfix import registry
from mpfix.engine import analyze
from programs import START_METHODS, run_program
from rule_cases import RuleCases

MP009 = [registry.BY_CODE["MP009"]]
CASES = RuleCases("MP009")


def check(source: str):
    return analyze(source, rules=MP009)


FIXES = [
    pytest.param(
        """\
import multiprocessing as mp

# The square of a number.
square = lambda x, power=2: x**power  # one line


def main():
    with mp.Pool(2) as pool:
        print(pool.map(square, [1, 2, 3]))


if __name__ == "__main__":
    main()
""",
        """\
import multiprocessing as mp

# The square of a number.
def square(x, power=2):  # one line
    return x**power


def main():
    with mp.Pool(2) as pool:
        print(pool.map(square, [1, 2, 3]))


if __name__ == "__main__":
    main()
""",
        id="name-bound-to-a-lambda-at-module-level-becomes-a-def",
    ),
    pytest.param(
        """\
import multiprocessing as mp

if __name__ == "__main__":
    with mp.Pool(2) as pool:
        print(pool.map(lambda s: s.upper(), ["a", "b"]))
""",
        """\
import multiprocessing as mp

def _main_task(s):
    return s.upper()

if __name__ == "__main__":
    with mp.Pool(2) as pool:
        print(pool.map(_main_task, ["a", "b"]))
""",
        id="lambda-under-the-guard-moves-before-it",
    ),
    pytest.param(
        """\
from concurrent import futures

SCALE = 3


def main():
    with futures.ProcessPoolExecutor() as executor:
        future = executor.submit(lambda: SCALE * len("abc"))
    return future.result()
""",
        """\
from concurrent import futures

SCALE = 3


def _main_task():
    return SCALE * len("abc")


def main():
    with futures.ProcessPoolExecutor() as executor:
        future = executor.submit(_main_task)
    return future.result()
""",
        id="executor-submit-reads-a-constant-and-a-builtin",
    ),
    pytest.param(
        """\
import multiprocessing as mp


def main():
    ctx = mp.get_context("spawn")
    with ctx.Pool() as pool:
        return pool.starmap(lambda a, b=2, *rest, **options: (
            a * b  # the product
            + len(rest)
        ), [(1, 2)])
""",
        """\
import multiprocessing as mp


def _main_task(a, b=2, *rest, **options):
    return (
        a * b  # the product
        + len(rest)
    )


def main():
    ctx = mp.get_context("spawn")
    with ctx.Pool() as pool:
        return pool.starmap(_main_task, [(1, 2)])
""",
        id="local-context-multiline-body-and-literal-default",
    ),
    pytest.param(
        """\
import multiprocessing as mp


def main():
    with mp.Pool() as pool:
        return pool.map(lambda x: x +
                        1, [1])
""",
        """\
import multiprocessing as mp


def _main_task(x):
    return (x +
                    1)


def main():
    with mp.Pool() as pool:
        return pool.map(_main_task, [1])
""",
        id="body-continued-inside-the-call-gets-parentheses",
    ),
    pytest.param(
        """\
import multiprocessing as mp


def process_rows(rows):
    with mp.Pool(2) as pool:
        return pool.map(lambda row: row * 2, rows), pool.map(lambda row: row + 1, rows)


class Loader:
    def _load(self, paths):
        with mp.Pool(2) as pool:
            return pool.map(lambda path: path.upper(), paths)
""",
        """\
import multiprocessing as mp


def _process_rows_task(row):
    return row * 2


def _process_rows_task_2(row):
    return row + 1


def process_rows(rows):
    with mp.Pool(2) as pool:
        return pool.map(_process_rows_task, rows), pool.map(_process_rows_task_2, rows)


def _load_task(path):
    return path.upper()


class Loader:
    def _load(self, paths):
        with mp.Pool(2) as pool:
            return pool.map(_load_task, paths)
""",
        id="lambdas-named-after-the-function-that-sends-them",
    ),
    pytest.param(
        """\
import functools
from multiprocessing import Pool


def _main_task(x):
    return x


def main():
    pool = Pool(2)
    result = pool.apply_async(functools.partial(lambda x, y: x + y, 1), (2,), callback=lambda r: print(r))
    pool.close()
    return result.get(), pool.map(_main_task, [1])
""",
        """\
import functools
from multiprocessing import Pool


def _main_task(x):
    return x


def _main_task_2(x, y):
    return x + y


def main():
    pool = Pool(2)
    result = pool.apply_async(functools.partial(_main_task_2, 1), (2,), callback=lambda r: print(r))
    pool.close()
    return result.get(), pool.map(_main_task, [1])
""",
        id="partial-of-a-lambda-fresh-name-callback-untouched",
    ),
    pytest.param(
        """\
from multiprocessing import Process


def start():
    child = Process(None, lambda: print("hi"))
    child.start()
    return child
""",
        """\
from multiprocessing import Process


def _start_target():
    return print("hi")


def start():
    child = Process(None, _start_target)
    child.start()
    return child
""",
        id="process-positional-target",
    ),
    pytest.param(
        """\
import multiprocessing as mp


def fib(n):
    return n


def table(numbers):
    # Recursive, and used twice.
    def fib(n):
        return n if n < 2 else fib(n - 1) + fib(n - 2)

    with mp.Pool(2) as pool:
        return pool.map(fib, numbers), pool.imap_unordered(fib, numbers)
""",
        """\
import multiprocessing as mp


def fib(n):
    return n


# Recursive, and used twice.
def fib_2(n):
    return n if n < 2 else fib_2(n - 1) + fib_2(n - 2)


def table(numbers):
    with mp.Pool(2) as pool:
        return pool.map(fib_2, numbers), pool.imap_unordered(fib_2, numbers)
""",
        id="nested-def-renamed-where-the-module-name-is-taken",
    ),
    pytest.param(
        """\
import multiprocessing as mp


if __name__ == "__main__":
    mp.set_start_method("spawn")

    def greet(name):
        print("hello", name)

    worker = mp.Process(target=greet, args=("child",))
    worker.start()
    worker.join()
    greet("parent")
""",
        """\
import multiprocessing as mp


def greet(name):
    print("hello", name)


if __name__ == "__main__":
    mp.set_start_method("spawn")

    worker = mp.Process(target=greet, args=("child",))
    worker.start()
    worker.join()
    greet("parent")
""",
        id="guard-def-target-also-called-by-the-parent",
    ),
    pytest.param(
        """\
import multiprocessing as mp


def square(x):
    return x * x


def main():
    def work(x):
        return square(x) + 1

    def work_to_queue(x, q):
        q.put(work(x))

    q = mp.Queue()
    p = mp.Process(target=work_to_queue, args=(3, q))
    p.start()
    print(q.get())
    p.join()


if __name__ == "__main__":
    main()
""",
        """\
import multiprocessing as mp


def square(x):
    return x * x


def work(x):
    return square(x) + 1


def work_to_queue(x, q):
    q.put(work(x))


def main():
    q = mp.Queue()
    p = mp.Process(target=work_to_queue, args=(3, q))
    p.start()
    print(q.get())
    p.join()


if __name__ == "__main__":
    main()
""",
        id="nested-target-moves-with-the-nested-function-it-calls",
    ),
    pytest.param(
        """\
import multiprocessing as mp

calls = 0


def main():
    def count(x):
        global calls
        calls += 1
        return x * 10

    with mp.Pool(2) as pool:
        print(pool.map(count, [1, 2]))


if __name__ == "__main__":
    main()
""",
        """\
import multiprocessing as mp

calls = 0


def count(x):
    global calls
    calls += 1
    return x * 10


def main():
    with mp.Pool(2) as pool:
        print(pool.map(count, [1, 2]))


if __name__ == "__main__":
    main()
""",
        id="nested-task-assigns-a-global-only-it-assigns",
    ),
    pytest.param(
        """\
import multiprocessing as mp
import sys


def main(verbose):
    if sys.version_info >= (3, 8):
        def step(x):
            return x

        with mp.Pool(2) as pool:
            return pool.map(step, [1])
    else:
        return None
""",
        """\
import multiprocessing as mp
import sys


def step(x):
    return x


def main(verbose):
    if sys.version_info >= (3, 8):
        with mp.Pool(2) as pool:
            return pool.map(step, [1])
    else:
        return None
""",
        id="def-under-an-if-used-only-in-its-branch",
    ),
    pytest.param(
        """\
import multiprocessing as mp


def task(x):
    return x + 1


def main():
    def init():
        print("worker ready", flush=True)

    with mp.Pool(1, initializer=init) as pool:
        print(pool.map(task, range(3)))


if __name__ == "__main__":
    main()
""",
        """\
import multiprocessing as mp


def task(x):
    return x + 1


def init():
    print("worker ready", flush=True)


def main():
    with mp.Pool(1, initializer=init) as pool:
        print(pool.map(task, range(3)))


if __name__ == "__main__":
    main()
""",
        id="nested-pool-initializer",
    ),
    pytest.param(
        """\
import multiprocessing as mp


class Server:
    def __init__(self, port):
        self.port = port

    def start(self):
        print("serving on", self.port)


def run(server_class, port):
    p = mp.Process(target=lambda: server_class(port).start())
    p.start()
    p.join()


if __name__ == "__main__":
    run(Server, 8080)
""",
        """\
import multiprocessing as mp


class Server:
    def __init__(self, port):
        self.port = port

    def start(self):
        print("serving on", self.port)


def _run_target(server_class, port):
    return server_class(port).start()


def run(server_class, port):
    p = mp.Process(target=_run_target, args=(server_class, port))
    p.start()
    p.join()


if __name__ == "__main__":
    run(Server, 8080)
""",
        id="target-lambda-reads-parameters-passed-as-args",
    ),
    pytest.param(
        """\
import multiprocessing as mp


def work(x, y, z):
    print(x, y, z)


def run(a, b):
    p = mp.Process(target=lambda: work(b, a, b))
    p.start()
    p.join()


if __name__ == "__main__":
    run(1, 2)
""",
        """\
import multiprocessing as mp


def work(x, y, z):
    print(x, y, z)


def _run_target(b, a):
    return work(b, a, b)


def run(a, b):
    p = mp.Process(target=_run_target, args=(b, a))
    p.start()
    p.join()


if __name__ == "__main__":
    run(1, 2)
""",
        id="target-lambda-reads-a-parameter-twice-args-in-order-of-first-read",
    ),
    pytest.param(
        """\
import multiprocessing as mp

report = "taken"


def run(rows, label):
    def report():
        def line(row):
            return f"{label}: {row}"

        for row in rows:
            print(line(row))

    p = mp.Process(None, report, name="reporter")
    p.start()
    p.join()


if __name__ == "__main__":
    run([1, 2], "row")
""",
        """\
import multiprocessing as mp

report = "taken"


def report_2(label, rows):
    def line(row):
        return f"{label}: {row}"

    for row in rows:
        print(line(row))


def run(rows, label):
    p = mp.Process(None, report_2, name="reporter", args=(label, rows))
    p.start()
    p.join()


if __name__ == "__main__":
    run([1, 2], "row")
""",
        id="nested-target-reads-parameters-passed-as-args",
    ),
    pytest.param(
        """\
from concurrent.futures import ProcessPoolExecutor
import multiprocessing as mp


def main():
    def init():
        print("ready")

    with mp.Pool(2, init) as pool, ProcessPoolExecutor(2, None, init) as executor:
        pool.map(abs, [-1])
        executor.submit(abs, -1)
""",
        """\
from concurrent.futures import ProcessPoolExecutor
import multiprocessing as mp


def init():
    print("ready")


def main():
    with mp.Pool(2, init) as pool, ProcessPoolExecutor(2, None, init) as executor:
        pool.map(abs, [-1])
        executor.submit(abs, -1)
""",
        id="nested-initializers-given-by-position",
    ),
    pytest.param(
        """\
import multiprocessing as mp


def distances(points):
    import math  # loaded only where it is needed
    from os import path as osp

    def measure(point):
        'The length of a vector, plus one for each path separator.'
        return math.hypot(*point) + len(osp.sep)

    with mp.Pool(2) as pool:
        return pool.map(measure, points)


if __name__ == "__main__":
    print(distances([(3, 4), (6, 8)]))
""",
        """\
import multiprocessing as mp


def measure(point):
    'The length of a vector, plus one for each path separator.'
    import math
    from os import path as osp
    return math.hypot(*point) + len(osp.sep)


def distances(points):
    import math  # loaded only where it is needed
    from os import path as osp

    with mp.Pool(2) as pool:
        return pool.map(measure, points)


if __name__ == "__main__":
    print(distances([(3, 4), (6, 8)]))
""",
        id="nested-function-takes-the-imports-of-its-function-along",
    ),
    pytest.param(
        """\
import multiprocessing as mp
from functools import partial


def run(items):
    def inner(x, y):
        return x + y

    with mp.Pool(2) as pool:
        return pool.map(partial(inner, y=1), items)


if __name__ == "__main__":
    print(run([1, 2]))
""",
        """\
import multiprocessing as mp
from functools import partial


def inner(x, y):
    return x + y


def run(items):
    with mp.Pool(2) as pool:
        return pool.map(partial(inner, y=1), items)


if __name__ == "__main__":
    print(run([1, 2]))
""",
        id="nested-function-wrapped-in-partial",
    ),
    pytest.param(
        """\
\"\"\"Scaling.\"\"\"

from concurrent.futures import ProcessPoolExecutor


def scale_all(numbers, factor, offset=0):
    with ProcessPoolExecutor(2) as executor:
        return list(executor.map(lambda n: n * factor + offset, numbers))


if __name__ == "__main__":
    print(scale_all([1, 2, 3], 10, offset=1))
""",
        """\
\"\"\"Scaling.\"\"\"

import functools
from concurrent.futures import ProcessPoolExecutor


def _scale_all_task(n, *, factor, offset):
    return n * factor + offset


def scale_all(numbers, factor, offset=0):
    with ProcessPoolExecutor(2) as executor:
        return list(executor.map(functools.partial(_scale_all_task, factor=factor, offset=offset), numbers))


if __name__ == "__main__":
    print(scale_all([1, 2, 3], 10, offset=1))
""",
        id="task-lambda-reads-parameters-sent-with-partial",
    ),
    pytest.param(
        """\
from functools import partial
from multiprocessing import Pool


def add_all(pairs, extra):
    with Pool(2) as pool:
        return pool.starmap(lambda a, b: a + b + extra, pairs)
""",
        """\
from functools import partial
from multiprocessing import Pool


def _add_all_task(a, b, *, extra):
    return a + b + extra


def add_all(pairs, extra):
    with Pool(2) as pool:
        return pool.starmap(partial(_add_all_task, extra=extra), pairs)
""",
        id="task-lambda-sent-with-the-partial-the-module-imports",
    ),
]


# What the fixed programs print, under every start method.
RUNS = {
    "name-bound-to-a-lambda-at-module-level-becomes-a-def": "[1, 4, 9]\n",
    "nested-target-moves-with-the-nested-function-it-calls": "10\n",
    "nested-pool-initializer": "worker ready\n[1, 2, 3]\n",
    "target-lambda-reads-parameters-passed-as-args": "serving on 8080\n",
    "nested-target-reads-parameters-passed-as-args": "row: 1\nrow: 2\n",
    "nested-function-takes-the-imports-of-its-function-along": "[6.0, 11.0]\n",
    "nested-function-wrapped-in-partial": "[2, 3]\n",
    "task-lambda-reads-parameters-sent-with-partial": "[11, 21, 31]\n",
}


@pytest.mark.parametrize(("before", "after"), FIXES)
def test_fixes(before: str, after: str) -> None:
    CASES.assert_fixes(before, after)


LEFT_ALONE = [
    pytest.param(
        """\
import functools
import multiprocessing as mp


def double(x):
    return 2 * x


def main():
    with mp.Pool(2) as pool:
        pool.map(double, [1])
        pool.map(functools.partial(double), [1])
        pool.map(abs, [-1])
        pool.map(str.upper, ["a"])
""",
        id="module-level-functions-partials-and-builtins",
    ),
    pytest.param(
        """\
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.dummy import Pool
from multiprocessing.pool import ThreadPool


def main():
    def local(x):
        return x

    with Pool(2) as a, ThreadPool(2) as b, ThreadPoolExecutor() as c:
        a.map(lambda x: x, [1])
        b.map(local, [1])
        c.submit(lambda: 1)
""",
        id="thread-pools",
    ),
    pytest.param(
        """\
import multiprocessing as mp


def main():
    fork = mp.get_context("fork")
    fork.Process(target=lambda: print("inherited")).start()

    def local():
        pass

    mp.get_context("fork").Process(target=local).start()
""",
        id="process-with-an-explicit-fork-context",
    ),
    pytest.param(
        """\
import multiprocessing as mp

if __name__ == "__main__":
    mp.set_start_method("fork")

    def work(x):
        return x

    mp.Process(target=lambda: None).start()
    with mp.Pool(2) as pool:
        pool.map(work, [1])
""",
        id="fork-start-method-for-targets-and-guard-functions",
    ),
    pytest.param(
        """\
import multiprocessing as mp
from concurrent.futures import ProcessPoolExecutor

if __name__ == "__main__":
    def work(x):
        return x

    with ProcessPoolExecutor(mp_context=mp.get_context("fork")) as executor:
        print(list(executor.map(work, [1])))
""",
        id="guard-function-in-an-executor-with-a-fork-context",
    ),
    pytest.param(
        """\
import multiprocessing as mp


def run(pool, items):
    return pool.map(lambda x: x, items)


def other(session, items):
    return session.map(lambda x: x, items)
""",
        id="receivers-that-are-not-proven-pools",
    ),
    pytest.param(
        """\
import multiprocessing as mp
from pathos.multiprocessing import ProcessingPool


def main():
    ProcessingPool().map(lambda x: x, [1])
    with mp.Pool(2) as pool:
        pool.apply_async(abs, (-1,), callback=lambda r: print(r), error_callback=lambda e: print(e))
""",
        id="dill-pools-and-callbacks",
    ),
    pytest.param(
        """\
import multiprocessing as mp


class Counter:
    def add(self, x):
        return x + 1


def main():
    counter = Counter()
    with mp.Pool(2) as pool:
        pool.map(counter.add, [1])
        pool.map(Counter().add, [1])
    mp.Process(target=counter.add, args=(1,)).start()
""",
        id="methods-of-module-level-classes",
    ),
    pytest.param(
        """\
import multiprocessing as mp


def main():
    def local(x):
        return x

    print(list(map(lambda x: x, [1])), local(2))
    mp.Process(target=print, args=("plain",)).start()
""",
        id="lambdas-and-locals-never-sent-to-a-process",
    ),
    pytest.param(
        """\
import multiprocessing as mp


def task(x):
    return x + 1


def main():
    def init():
        print("ready")

    ctx = mp.get_context("fork")
    with ctx.Pool(2, initializer=init) as pool:
        print(pool.map(task, range(3)))
""",
        id="nested-initializer-of-a-fork-pool",
    ),
    pytest.param(
        """\
import multiprocessing as mp


def init():
    print("ready")


def main():
    with mp.Pool(2, initializer=init) as pool:
        pool.map(abs, [-1])
""",
        id="module-level-initializer",
    ),
]


@pytest.mark.parametrize("source", LEFT_ALONE)
def test_leaves_alone(source: str) -> None:
    CASES.assert_leaves_alone(source)


REPORTED = [
    pytest.param(
        """\
import multiprocessing as mp
from functools import partial


def run(items):
    def inner(x, y):
        return x + y

    with mp.Pool(2) as pool:
        return pool.map(partial(inner, y=1), items) + [inner(0, 1)]


if __name__ == "__main__":
    print(run([1, 2]))
""",
        "`inner` is also used in `run` other than as a task",
        id="nested-function-wrapped-in-partial",
    ),
    pytest.param(
        """\
import multiprocessing as mp


def distances(points):
    try:
        import math
    except ImportError:
        math = None

    def measure(point):
        return math.hypot(*point)

    with mp.Pool(2) as pool:
        return pool.map(measure, points)
""",
        "it reads `math`, a local variable of `distances`: make it a module-level function",
        id="nested-function-takes-the-imports-of-its-function-along",
    ),
    pytest.param(
        """\
import multiprocessing as mp


class Scaler:
    factor = 2

    def scale(self, numbers):
        with mp.Pool(2) as pool:
            return pool.map(lambda n: n * self.factor, numbers)
""",
        "it reads `self`, a parameter of `scale`: make it a module-level function",
        id="task-lambda-reads-self",
    ),
    pytest.param(
        """\
import multiprocessing as mp

functools = None


def scale_all(numbers, factor):
    with mp.Pool(2) as pool:
        return pool.map(lambda n: n * factor, numbers)
""",
        "the module binds `functools` to something else: make it a module-level function",
        id="task-lambda-where-functools-is-something-else",
    ),
    pytest.param(
        """\
import multiprocessing as mp


def main():
    with mp.Pool(2) as pool:
        return [pool.apply_async(lambda: i * 2) for i in range(3)]
""",
        "it reads `i`, a variable of the comprehension around it",
        id="comprehension-variable",
    ),
    pytest.param(
        """\
import multiprocessing as mp


def main(k):
    with mp.Pool(2) as pool:
        return pool.map(lambda x, k=k: x * k, [1])
""",
        "its default value or annotation reads `k` where it is defined",
        id="default-reads-a-local",
    ),
    pytest.param(
        """\
import multiprocessing as mp

if __name__ == "__main__":
    LIMIT = 3
    with mp.Pool(2) as pool:
        print(pool.map(lambda x: min(x, LIMIT), [5]))
""",
        "it reads `LIMIT`, which is assigned under the `__main__` guard that child processes do not run",
        id="global-assigned-under-the-guard",
    ),
    pytest.param(
        """\
import multiprocessing as mp

CONFIG = None


def configure():
    global CONFIG
    CONFIG = {"scale": 2}


def main():
    with mp.Pool(2) as pool:
        return pool.map(lambda x: x * CONFIG["scale"], [1])
""",
        "it reads `CONFIG`, a global that a function assigns",
        id="global-assigned-by-a-function",
    ),
    pytest.param(
        """\
import multiprocessing as mp


def main(words):
    def length(word):
        return len(word)

    with mp.Pool(2) as pool:
        lengths = pool.map(length, words)
    return lengths, length("parent")
""",
        "`length` is also used in `main` other than as a task",
        id="nested-def-also-called-directly",
    ),
    pytest.param(
        """\
import functools
import multiprocessing as mp


def main():
    @functools.lru_cache
    def cached(x):
        return x

    with mp.Pool(2) as pool:
        return pool.map(cached, [1])
""",
        "it is decorated",
        id="decorated-nested-def",
    ),
    pytest.param(
        """\
import multiprocessing as mp


def main(fast):
    if fast:
        def step(x):
            return x
    else:
        def step(x):
            return -x
    with mp.Pool(2) as pool:
        return pool.map(step, [1])
""",
        "`step` is defined more than once",
        id="conditional-defs",
    ),
    pytest.param(
        """\
import multiprocessing as mp


def main(verbose):
    if verbose:
        def step(x):
            return x

    with mp.Pool(2) as pool:
        return pool.map(step, [1])
""",
        "`step` is defined under a condition and used outside it",
        id="def-under-an-if-used-outside-its-branch",
    ),
    pytest.param(
        """\
import multiprocessing as mp


def main():
    for _ in range(2):
        def step(x):
            return x

        with mp.Pool(2) as pool:
            pool.map(step, [1])
""",
        "`step` is defined inside a compound statement",
        id="def-inside-a-loop",
    ),
    pytest.param(
        """\
import multiprocessing as mp


def main(scale):
    def work(x):
        return x * scale

    def work_to_queue(x, q):
        q.put(work(x))

    q = mp.Queue()
    mp.Process(target=work_to_queue, args=(3, q)).start()
""",
        "it calls `work`, which cannot move to module level: it reads `scale`, a parameter of `main`",
        id="nested-helper-reads-a-parameter",
    ),
    pytest.param(
        """\
import multiprocessing as mp


def main():
    def work(x):
        return x * x

    def work_to_queue(x, q):
        q.put(work(x))

    q = mp.Queue()
    mp.Process(target=work_to_queue, args=(3, q)).start()
    return work(4)
""",
        "it calls `work`, which `main` also uses",
        id="nested-helper-also-called-directly",
    ),
    pytest.param(
        """\
import multiprocessing as mp


def main():
    total = 0

    def add(x):
        nonlocal total
        total += x

    def work(x):
        add(x)

    mp.Process(target=work, args=(1,)).start()
""",
        "it calls `add`, which cannot move to module level: it declares a `nonlocal` name",
        id="nested-helper-declares-nonlocal",
    ),
    pytest.param(
        """\
import multiprocessing as mp

state = None


def init(value):
    global state
    state = value


def main():
    def task(x):
        global state
        return state + x

    with mp.Pool(2, initializer=init, initargs=(10,)) as pool:
        print(pool.map(task, range(3)))
""",
        "it reads `state`, a global that a function assigns",
        id="global-declared-and-assigned-by-another-function",
    ),
    pytest.param(
        """\
import multiprocessing as mp


def task(x):
    return x + 1


def main(name):
    def init():
        print(name, "ready")

    with mp.Pool(2, initializer=init) as pool:
        print(pool.map(task, range(3)))
""",
        "it reads `name`, a parameter of `main`",
        id="nested-initializer-reads-a-parameter",
    ),
    pytest.param(
        """\
import multiprocessing as mp


def main():
    square = lambda x: x * x
    with mp.Pool(2) as pool:
        return pool.map(square, [1])
""",
        "define it with `def square(...)` at module level",
        id="name-bound-to-a-lambda-in-a-function",
    ),
    pytest.param(
        """\
import multiprocessing as mp

square = cube = lambda x: x * x


def main():
    with mp.Pool(2) as pool:
        return pool.map(square, [1])
""",
        "define it with `def square(...)` at module level",
        id="lambda-bound-to-two-names",
    ),
    pytest.param(
        """\
import multiprocessing as mp

if __name__ == "__main__":
    square = lambda x: x * x
    with mp.Pool(2) as pool:
        print(pool.map(square, [1]))
""",
        "define it with `def square(...)` at module level",
        id="name-bound-to-a-lambda-under-the-guard",
    ),
    pytest.param(
        """\
import multiprocessing as mp


def main():
    class Counter:
        def add(self, x):
            return x + 1

    counter = Counter()
    with mp.Pool(2) as pool:
        return pool.map(counter.add, [1])
""",
        "define the class `Counter` at module level",
        id="method-of-a-local-class-instance",
    ),
    pytest.param(
        """\
import multiprocessing as mp

if __name__ == "__main__":
    def helper(x):
        return x

    def work(x):
        return helper(x) + 1

    with mp.Pool(2) as pool:
        print(pool.map(work, [1]))
""",
        "it reads `helper`, which is assigned under the `__main__` guard",
        id="guard-def-calls-another-guard-def",
    ),
    pytest.param(
        """\
import multiprocessing as mp


def main():
    with mp.Pool(2) as pool:
        return pool.map(lambda x: x + UNDEFINED, [1])
""",
        "it reads `UNDEFINED`, which this module never defines",
        id="undefined-name",
    ),
    pytest.param(
        """\
import multiprocessing as mp


def main():
    total = 0

    def add(x):
        nonlocal total
        total = x

    mp.Process(target=add, args=(1,)).start()
""",
        "it declares a `nonlocal` name",
        id="nonlocal",
    ),
    pytest.param(
        """\
import multiprocessing as mp


def run(port, verbose):
    p = mp.Process(target=lambda: print(port))
    port = 2
    p.start()
""",
        "it reads `port`, a parameter of `run`",
        id="target-lambda-reads-a-rebound-parameter",
    ),
    pytest.param(
        """\
import multiprocessing as mp


def run(port, verbose):
    p = mp.Process(target=lambda: print(port))
    del verbose, port
    p.start()
    p.join()
""",
        "it reads `port`, a parameter of `run`",
        id="target-lambda-reads-a-deleted-parameter",
    ),
    pytest.param(
        """\
import multiprocessing as mp


def work(x, y, z):
    print(x, y, z)


def run(a, b):
    p = mp.Process(target=lambda: work(b, a, b))
    b = 3
    p.start()
    p.join()


if __name__ == "__main__":
    run(1, 2)
""",
        "it reads `b`, a parameter of `run`",
        id="target-lambda-reads-a-rebound-parameter-twice",
    ),
    pytest.param(
        """\
import multiprocessing as mp


def run(port):
    def bump():
        nonlocal port
        port += 1

    p = mp.Process(target=lambda: print(port))
    bump()
    p.start()
""",
        "it reads `port`, a parameter of `run`",
        id="target-lambda-reads-a-parameter-assigned-through-nonlocal",
    ),
    pytest.param(
        """\
import multiprocessing as mp


def run(port, name):
    p = mp.Process(target=lambda: print(name, port), args=())
    p.start()
""",
        "it reads `name`, a parameter of `run`",
        id="target-lambda-of-a-process-given-args",
    ),
    pytest.param(
        """\
import multiprocessing as mp
import threading


def run(n):
    def work():
        print(n)

    threading.Thread(target=work).start()
    mp.Process(target=work).start()
""",
        "it reads `n`, a parameter of `run`",
        id="nested-target-also-of-a-thread-reads-a-parameter",
    ),
    pytest.param(
        """\
import multiprocessing as mp


def run(n):
    def work():
        print(n)

    p = mp.Process(target=work)
    n = n + 1
    p.start()
""",
        "it reads `n`, a parameter of `run`",
        id="nested-target-reads-a-rebound-parameter",
    ),
    pytest.param(
        """\
import multiprocessing as mp


def run(n):
    def work(k):
        print(n, k)

    mp.Process(target=work, args=(1,)).start()
""",
        "it reads `n`, a parameter of `run`",
        id="nested-target-with-parameters-of-its-own-reads-one-of-the-function",
    ),
    pytest.param(
        """\
import multiprocessing as mp


def run(n):
    def twice():
        return n * 2

    def work():
        print(twice())

    mp.Process(target=work).start()
""",
        "it calls `twice`, which cannot move to module level: it reads `n`, a parameter of `run`",
        id="nested-target-calls-a-nested-function-that-reads-a-parameter",
    ),
    pytest.param(
        """\
import multiprocessing as mp


def run(n):
    def work():
        print(n)
        if n > 5:
            work()

    mp.Process(target=work).start()
""",
        "it reads `n`, a parameter of `run`",
        id="nested-target-that-calls-itself-reads-a-parameter",
    ),
    pytest.param(
        """\
import multiprocessing as mp


def run(n, **options):
    def work():
        print(n)

    mp.Process(target=work, **options).start()
""",
        "it reads `n`, a parameter of `run`",
        id="nested-target-of-a-call-that-unpacks-keywords-reads-a-parameter",
    ),
    pytest.param(
        """\
import multiprocessing as mp


def run(n, extra):
    mp.Process(None, lambda: print(n), *extra).start()
""",
        "it reads `n`, a parameter of `run`",
        id="target-lambda-of-a-call-that-unpacks-arguments-reads-a-parameter",
    ),
]


@pytest.mark.parametrize(("source", "reason"), REPORTED)
def test_reports_without_fix(source: str, reason: str) -> None:
    CASES.assert_reports_without_fix(source, reason)


def test_finding_points_at_the_task_and_names_the_call() -> None:
    source = """\
import multiprocessing as mp


def main():
    with mp.Pool(2) as pool:
        pool.imap(lambda x: x, [1])
"""
    [finding] = check(source).findings
    assert (finding.line, finding.column, finding.end_column) == (6, 19, 30)
    assert finding.message.startswith("`pool.imap()` pickles its task under every start method")
    assert finding.fix_title == "Move the lambda to a module-level function `_main_task`"


def test_process_target_names_the_start_methods_that_pickle_it() -> None:
    source = """\
import multiprocessing as mp


def main():
    mp.Process(target=lambda: None).start()
"""
    [finding] = check(source).findings
    assert finding.message.startswith("`mp.Process(target=...)` pickles its target under spawn and forkserver")


@pytest.mark.parametrize("method", START_METHODS)
@pytest.mark.parametrize("case", sorted(RUNS))
def test_fixed_program_runs(tmp_path: Path, case: str, method: str) -> None:
    [after] = [p.values[1] for p in FIXES if p.id == case]
    program = tmp_path / "program.py"
    program.write_text(after)
    run = run_program(program, method)
    assert (run.returncode, run.stdout) == (0, RUNS[case]), run.stderr


# More tasks to fix than the rounds a fix run had at most before: each fix replaces the
# whole module, so each takes a round of its own.
MANY_TASKS = 20
MANY = (
    "import multiprocessing as mp\n"
    + "".join(
        f"\n\ndef run{i}(data):\n    with mp.Pool(2) as pool:\n        return pool.map(lambda x: x * {i}, data)\n"
        for i in range(MANY_TASKS)
    )
    + '\n\nif __name__ == "__main__":\n'
    + f'    print(sum(sum(globals()[f"run{{i}}"]([1, 2])) for i in range({MANY_TASKS})))\n'
)


def test_a_fix_of_many_tasks_takes_a_round_for_each_and_settles() -> None:
    found = analyze(MANY, rules=[registry.BY_CODE["MP009"]], fix=True)
    assert [finding.code for finding in found.findings] == ["MP009"] * MANY_TASKS
    assert len(found.applied) == MANY_TASKS and found.remaining == []
    assert analyze(found.fixed, rules=[registry.BY_CODE["MP009"]]).findings == []


@pytest.mark.parametrize("method", START_METHODS)
def test_a_fix_of_many_tasks_runs(tmp_path: Path, method: str) -> None:
    program = tmp_path / "program.py"
    program.write_text(analyze(MANY, rules=[registry.BY_CODE["MP009"]], fix=True).fixed)
    run = run_program(program, method)
    assert (run.returncode, run.stdout) == (0, f"{3 * sum(range(MANY_TASKS))}\n"), run.stderr


def test_fixes_that_never_settle_still_stop_with_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """The rounds a fix run may take grow with its fixes, but stay bounded: a rule whose
    fix never settles (here, each fix only adds a comment, so the finding comes back)
    stops with an error and nothing is changed."""
    import dataclasses

    from mpfix import engine

    analyse = engine._analyse

    def never_settles(facts, *args):
        candidates, facts = analyse(facts, *args)
        module = facts.module
        footer = [*module.footer, engine.cst.EmptyLine(comment=engine.cst.Comment("# again"))]
        kept = [dataclasses.replace(c, node=module, replacement=module.with_changes(footer=footer)) for c in candidates]
        return kept, facts

    monkeypatch.setattr(engine, "_analyse", never_settles)
    source = (
        "import multiprocessing as mp\n\n\n"
        "def run(data):\n    with mp.Pool(2) as pool:\n        return pool.map(lambda x: x, data)\n"
    )
    with pytest.raises(engine.FixError, match="did not settle after 17 rounds"):
        analyze(source, rules=[registry.BY_CODE["MP009"]], fix=True)


LOOP_VARIABLE = """\
import multiprocessing as mp


def main():
    for offset in range(3):
        with mp.Pool(2) as pool:
            print(pool.map(lambda x: x + offset, [1]))
"""
LOOP_VARIABLE_FIXED = """\
import functools
import multiprocessing as mp


def _main_task(x, *, offset):
    return x + offset


def main():
    for offset in range(3):
        with mp.Pool(2) as pool:
            print(pool.map(functools.partial(_main_task, offset=offset), [1]))
"""


def test_a_task_lambda_that_reads_a_local_variable_is_sent_with_partial_only_on_request() -> None:
    CASES.assert_unsafe_fix_only_on_request(
        LOOP_VARIABLE,
        LOOP_VARIABLE_FIXED,
        "a lambda reads `offset` when it runs, and `functools.partial` takes the value when the task is sent",
    )


SHADOWED = """\
from functools import partial
from multiprocessing import Pool


def run(items, n):
    partial = items[:2]  # partial results
    _run_task = None
    with Pool(2) as pool:
        return pool.map(lambda x: x * n, partial)


if __name__ == "__main__":
    print(run([1, 2, 3], 2))
"""
SHADOWED_FIXED = """\
import functools
from functools import partial
from multiprocessing import Pool


def _run_task_2(x, *, n):
    return x * n


def run(items, n):
    partial = items[:2]  # partial results
    _run_task = None
    with Pool(2) as pool:
        return pool.map(functools.partial(_run_task_2, n=n), partial)


if __name__ == "__main__":
    print(run([1, 2, 3], 2))
"""


def test_names_that_the_function_binds_for_itself_are_not_taken_for_the_module_s() -> None:
    CASES.assert_fixes(SHADOWED, SHADOWED_FIXED)


@pytest.mark.parametrize("method", START_METHODS)
def test_the_fix_beside_names_the_function_binds_runs(tmp_path: Path, method: str) -> None:
    program = tmp_path / "program.py"
    program.write_text(SHADOWED_FIXED)
    run = run_program(program, method)
    assert (run.returncode, run.stdout) == (0, "[2, 4]\n"), run.stderr


def test_functools_imported_only_for_type_checkers_is_imported_for_the_program() -> None:
    source = (
        "from typing import TYPE_CHECKING\nfrom multiprocessing import Pool\n\n"
        "if TYPE_CHECKING:\n    import functools\n\n\n"
        "def run(items, n):\n    with Pool(2) as pool:\n        return pool.map(lambda x: x * n, items)\n"
    )
    fixed = check(source).fixed
    assert fixed.startswith("import functools\nfrom typing import TYPE_CHECKING\n")
    assert "pool.map(functools.partial(_run_task, n=n), items)" in fixed


def test_a_task_lambda_that_takes_keywords_of_its_own_keeps_the_function_s_names() -> None:
    """A call's keywords would go to ``**kwargs``, and could override a value handed over."""
    CASES.assert_reports_without_fix(
        "from multiprocessing import Pool\n\n\n"
        "def run(n):\n    pool = Pool(2)\n    return pool.apply_async(lambda x, **kw: x * n, (1,))\n",
        "it reads `n`, a parameter of `run`",
    )


@pytest.mark.parametrize(
    "pool",
    [
        "from multiprocessing.pool import ThreadPool as Pool",  # threads pickle nothing
        "from multiprocess import Pool",  # dill pickles the lambda with the values it reads
    ],
)
def test_a_task_lambda_that_reads_a_parameter_is_left_alone_where_nothing_pickles_by_name(pool: str) -> None:
    CASES.assert_leaves_alone(
        f"{pool}\n\n\ndef scale_all(numbers, factor):\n"
        "    with Pool(2) as pool:\n        return pool.map(lambda n: n * factor, numbers)\n"
    )
