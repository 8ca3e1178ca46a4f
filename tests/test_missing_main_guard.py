"""missing-main-guard (MP001): the shapes found in real scripts, fixed and left alone."""

from __future__ import annotations

from pathlib import Path

import pytest
from mpfix import registry
from mpfix.engine import analyze
from mpfix.model import Safety
from programs import START_METHODS, run_program
from rule_cases import RuleCases

MP001 = [registry.BY_CODE["MP001"]]


def check(source: str):
    return analyze(source, rules=MP001)


FIXES = [
    pytest.param(
        """\
import multiprocessing as mp

def hello():
    print("hello")

p = mp.Process(target=hello)
p.start()
p.join()
""",
        """\
import multiprocessing as mp

def hello():
    print("hello")

if __name__ == "__main__":
    p = mp.Process(target=hello)
    p.start()
    p.join()
""",
        id="process_start",
    ),
    pytest.param(
        """\
from multiprocessing import Pool as P

def inc(x):
    return x + 1

with P(2) as pool:
    print(pool.map(inc, [1, 2]))
""",
        """\
from multiprocessing import Pool as P

def inc(x):
    return x + 1

if __name__ == "__main__":
    with P(2) as pool:
        print(pool.map(inc, [1, 2]))
""",
        id="alias_from_import",
    ),
    pytest.param(
        """\
from multiprocessing.pool import Pool
pool = Pool(2)
print(pool.map(abs, [-1]))
pool.close()
""",
        """\
from multiprocessing.pool import Pool
if __name__ == "__main__":
    pool = Pool(2)
    print(pool.map(abs, [-1]))
    pool.close()
""",
        id="pool_module",
    ),
    pytest.param(
        """\
from concurrent.futures import ProcessPoolExecutor as PPE
import concurrent.futures as cf

for n in (1, 2):
    with PPE(n) as ex:
        print(sum(ex.map(abs, [-1, -2])))
""",
        """\
from concurrent.futures import ProcessPoolExecutor as PPE
import concurrent.futures as cf

if __name__ == "__main__":
    for n in (1, 2):
        with PPE(n) as ex:
            print(sum(ex.map(abs, [-1, -2])))
""",
        id="executor_alias",
    ),
    pytest.param(
        """\
import sys
import multiprocessing as mp


def main():
    with mp.Pool() as pool:
        pool.map(abs, [1])
    return 0


sys.exit(main())
""",
        """\
import sys
import multiprocessing as mp


def main():
    with mp.Pool() as pool:
        pool.map(abs, [1])
    return 0


if __name__ == "__main__":
    sys.exit(main())
""",
        id="sys_exit_main",
    ),
    pytest.param(
        """\
import asyncio
from concurrent import futures


async def main():
    loop = asyncio.get_running_loop()
    with futures.ProcessPoolExecutor() as ex:
        print(await loop.run_in_executor(ex, abs, -3))


asyncio.run(main())
""",
        """\
import asyncio
from concurrent import futures


async def main():
    loop = asyncio.get_running_loop()
    with futures.ProcessPoolExecutor() as ex:
        print(await loop.run_in_executor(ex, abs, -3))


if __name__ == "__main__":
    asyncio.run(main())
""",
        id="asyncio_main",
    ),
    pytest.param(
        """\
import multiprocessing

with multiprocessing.get_context("spawn").Pool(2) as pool:
    print(pool.map(abs, [-1]))
""",
        """\
import multiprocessing

if __name__ == "__main__":
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        print(pool.map(abs, [-1]))
""",
        id="chained_context",
    ),
    pytest.param(
        """\
import multiprocessing as mp

ctx = mp.get_context("forkserver")
q = ctx.Queue()
p = ctx.Process(target=q.put, args=(1,))
p.start()
print(q.get())
p.join()
""",
        """\
import multiprocessing as mp

if __name__ == "__main__":
    ctx = mp.get_context("forkserver")
    q = ctx.Queue()
    p = ctx.Process(target=q.put, args=(1,))
    p.start()
    print(q.get())
    p.join()
""",
        id="context_variable",
    ),
    pytest.param(
        """\
import multiprocessing as mp
mp.set_start_method("spawn")


def work(x):
    return -x


class Result:
    '''A value.'''
    scale = 2

    @property
    def doubled(self):
        return self.scale * 2


with mp.Pool(2) as pool:
    print(pool.map(work, [1]))
""",
        """\
import multiprocessing as mp


def work(x):
    return -x


class Result:
    '''A value.'''
    scale = 2

    @property
    def doubled(self):
        return self.scale * 2


if __name__ == "__main__":
    mp.set_start_method("spawn")

    with mp.Pool(2) as pool:
        print(pool.map(work, [1]))
""",
        id="start_method_then_defs",
    ),
    pytest.param(
        """\
import multiprocessing as mp
def main():
    mp.Process(target=print).start()
if "__main__" == __name__: main()  # entry point
main()
""",
        """\
import multiprocessing as mp
def main():
    mp.Process(target=print).start()
if "__main__" == __name__:
    main()  # entry point
    main()
""",
        id="one_line_guard_merged",
    ),
    pytest.param(
        """\
from multiprocessing import Process, freeze_support


def run():
    pass


p = Process(target=run)
p.start()
freeze_support()
p.join()
""",
        """\
from multiprocessing import Process, freeze_support


def run():
    pass


if __name__ == "__main__":
    freeze_support()
    p = Process(target=run)
    p.start()
    p.join()
""",
        id="freeze_support_first",
    ),
    pytest.param(
        """\
import multiprocessing as mp

try:
    with mp.Manager() as manager:
        shared = manager.dict()
except KeyboardInterrupt:
    pass
""",
        """\
import multiprocessing as mp

if __name__ == "__main__":
    try:
        with mp.Manager() as manager:
            shared = manager.dict()
    except KeyboardInterrupt:
        pass
""",
        id="try_block",
    ),
    pytest.param(
        """\
import argparse
import multiprocessing as mp


def square(x):
    return x * x


parser = argparse.ArgumentParser()
parser.add_argument("--jobs", type=int, default=2)
args = parser.parse_args([])
print("starting")
with mp.Pool(args.jobs) as pool:
    print(pool.map(square, range(3)))
""",
        """\
import argparse
import multiprocessing as mp


def square(x):
    return x * x


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args([])
    print("starting")
    with mp.Pool(args.jobs) as pool:
        print(pool.map(square, range(3)))
""",
        id="argparse_preamble",
    ),
    pytest.param(
        """\
from multiprocessing import Process


class Worker(Process):
    def run(self):
        print("working")


w = Worker()
w.start()
w.join()
""",
        """\
from multiprocessing import Process


class Worker(Process):
    def run(self):
        print("working")


if __name__ == "__main__":
    w = Worker()
    w.start()
    w.join()
""",
        id="process_subclass",
    ),
    pytest.param(
        """\
import multiprocessing as mp

if __name__ in ("__main__", "__mp_main__"):
    mp.Process(target=print).start()
""",
        """\
import multiprocessing as mp

if __name__ == "__main__":
    if __name__ in ("__main__", "__mp_main__"):
        mp.Process(target=print).start()
""",
        id="mp_main_is_not_a_guard",
    ),
    pytest.param(
        """\
from multiprocessing import Pool


def work(x):
    return x + OFFSET


pool = Pool(2)
OFFSET = 3
print(pool.map(work, [1, 2]))
pool.close()
""",
        """\
from multiprocessing import Pool


def work(x):
    return x + OFFSET


OFFSET = 3


if __name__ == "__main__":
    pool = Pool(2)
    print(pool.map(work, [1, 2]))
    pool.close()
""",
        id="late_constant_stays",
    ),
    pytest.param(
        """\
# Header comment.
import multiprocessing as mp

TEMPLATE = '''
not indented
'''


def show(text):
    print(text)


# Start one child.
proc = mp.Process(target=show, args=(TEMPLATE,))  # trailing
proc.start()
proc.join()
# End of script.
""",
        """\
# Header comment.
import multiprocessing as mp

TEMPLATE = '''
not indented
'''


def show(text):
    print(text)


if __name__ == "__main__":
    # Start one child.
    proc = mp.Process(target=show, args=(TEMPLATE,))  # trailing
    proc.start()
    proc.join()
# End of script.
""",
        id="comments_and_strings",
    ),
    # Calling a function of an imported module changes nothing a child sees.
    pytest.param(
        """\
import time
from multiprocessing import Pool
def work(x):
    time.sleep(0.01); return x * x
start = time.time()
with Pool(2) as pool:
    print(pool.map(work, range(4)))
end = time.time()
""",
        """\
import time
from multiprocessing import Pool
def work(x):
    time.sleep(0.01); return x * x
start = time.time()
if __name__ == "__main__":
    with Pool(2) as pool:
        print(pool.map(work, range(4)))
    end = time.time()
""",
        id="call_on_imported_module_changes_nothing",
    ),
    pytest.param(
        """\
import collections
import math
import statistics
from multiprocessing import Pool


def job(x):
    return math.floor(x / 2)


cp = 4
with Pool(cp) as pool:
    results = pool.map(job, [math.sqrt(n * n) for n in range(cp)])
print(statistics.mean(results))
print(collections.Counter(results))
""",
        """\
import collections
import math
import statistics
from multiprocessing import Pool


def job(x):
    return math.floor(x / 2)


if __name__ == "__main__":
    cp = 4
    with Pool(cp) as pool:
        results = pool.map(job, [math.sqrt(n * n) for n in range(cp)])
    print(statistics.mean(results))
    print(collections.Counter(results))
""",
        id="module_functions_called_around_the_pool",
    ),
    # What follows the last start cannot change what a child sees.
    pytest.param(
        """\
import time
from multiprocessing import Pool


def work(x):
    return x * time.SCALE


time.SCALE = 2
with Pool(2) as pool:
    print(pool.map(work, range(4)))
time.SCALE = 3
print(time.SCALE)
""",
        """\
import time
from multiprocessing import Pool


def work(x):
    return x * time.SCALE


time.SCALE = 2
if __name__ == "__main__":
    with Pool(2) as pool:
        print(pool.map(work, range(4)))
    time.SCALE = 3
    print(time.SCALE)
""",
        id="change_after_the_last_start_moves",
    ),
    # Callbacks run in the parent, so what they read may move under the guard.
    pytest.param(
        """\
#!/usr/bin/env python3
from multiprocessing import Pool


def square(x):
    return x * x


def collect(value):
    results.append(value)


with Pool(2) as pool:
    results = []
    for i in range(4):
        pool.apply_async(square, (i,), callback=collect)
    pool.close()
    pool.join()
print(sorted(results))
""",
        """\
#!/usr/bin/env python3
from multiprocessing import Pool


def square(x):
    return x * x


def collect(value):
    results.append(value)


if __name__ == "__main__":
    with Pool(2) as pool:
        results = []
        for i in range(4):
            pool.apply_async(square, (i,), callback=collect)
        pool.close()
        pool.join()
    print(sorted(results))
""",
        id="callback_reads_a_script_name",
    ),
    pytest.param(
        """\
#!/usr/bin/env python3
from concurrent.futures import ProcessPoolExecutor


def square(x):
    return x * x


def report(future):
    print(label, future.result())


with ProcessPoolExecutor(2) as executor:
    label = " ".join(["square", "of 3:"])
    executor.submit(square, 3).add_done_callback(report)
""",
        """\
#!/usr/bin/env python3
from concurrent.futures import ProcessPoolExecutor


def square(x):
    return x * x


def report(future):
    print(label, future.result())


if __name__ == "__main__":
    with ProcessPoolExecutor(2) as executor:
        label = " ".join(["square", "of 3:"])
        executor.submit(square, 3).add_done_callback(report)
""",
        id="done_callback_reads_a_script_name",
    ),
    # An import that only the parent uses stays in its place, under the guard.
    pytest.param(
        """\
import time
from multiprocessing import Pool


def square(x):
    return x * x


start = time.time()
with Pool(2) as pool:
    results = pool.map(square, range(4))
print(time.time() >= start)
import statistics
print(statistics.mean(results))
""",
        """\
import time
from multiprocessing import Pool


def square(x):
    return x * x


start = time.time()
if __name__ == "__main__":
    with Pool(2) as pool:
        results = pool.map(square, range(4))
    print(time.time() >= start)
    import statistics
    print(statistics.mean(results))
""",
        id="import_for_the_parent_stays_under_the_guard",
    ),
    pytest.param(
        """\
import multiprocessing as mp
import sys

mp.freeze_support()
sys.path.insert(0, "lib")
import helper

with mp.Pool(2) as pool:
    print(pool.map(helper.double, [1, 2]))
""",
        """\
import multiprocessing as mp
import sys

if __name__ == "__main__":
    mp.freeze_support()
    sys.path.insert(0, "lib")
    import helper

    with mp.Pool(2) as pool:
        print(pool.map(helper.double, [1, 2]))
""",
        id="import_after_sys_path_change_for_the_parent",
    ),
    # A function that starts processes in a nested function it calls.
    pytest.param(
        """\
from multiprocessing import Process


def work():
    print("working")


def run_now(timeout):
    def start():
        process = Process(target=work)
        process.start()
        process.join(timeout)

    start()
    return start


run_now(5)
""",
        """\
from multiprocessing import Process


def work():
    print("working")


def run_now(timeout):
    def start():
        process = Process(target=work)
        process.start()
        process.join(timeout)

    start()
    return start


if __name__ == "__main__":
    run_now(5)
""",
        id="nested_function_called_by_its_factory",
    ),
    # A module that is evidently a script keeps a safe fix for the names it binds.
    pytest.param(
        """\
#!/usr/bin/env python3
from multiprocessing import Pool


def square(x):
    return x * x


pool = Pool(2)


def squares(numbers):
    return pool.map(square, numbers)


print(squares([1, 2, 3]))
""",
        """\
#!/usr/bin/env python3
from multiprocessing import Pool


def square(x):
    return x * x


def squares(numbers):
    return pool.map(square, numbers)


if __name__ == "__main__":
    pool = Pool(2)

    print(squares([1, 2, 3]))
""",
        id="script_with_shebang_binds_pool",
    ),
    # Names that code staying at module level binds too, loop variables, and names only the
    # script part reads are nothing an importer would lose: the fix stays safe.
    pytest.param(
        """\
import multiprocessing as mp

def work(x):
    return x * x

for i in range(3):
    print(work(i))

with mp.Pool(2) as pool:
    for i, r in enumerate(pool.map(work, range(3))):
        print(i, r)
""",
        """\
import multiprocessing as mp

def work(x):
    return x * x

for i in range(3):
    print(work(i))

if __name__ == "__main__":
    with mp.Pool(2) as pool:
        for i, r in enumerate(pool.map(work, range(3))):
            print(i, r)
""",
        id="loop_variable_also_bound_by_code_that_stays",
    ),
    pytest.param(
        """\
import time
from multiprocessing import Pool


def work(x):
    return x * x


start_time = time.time()
for i in range(3):
    work(i)
end_time = time.time()
print("serial", end_time - start_time)

start_time = time.time()
with Pool(2) as pool:
    print(pool.map(work, range(3)))
end_time = time.time()
print("parallel", end_time - start_time)
""",
        """\
import time
from multiprocessing import Pool


def work(x):
    return x * x


start_time = time.time()
for i in range(3):
    work(i)
end_time = time.time()
print("serial", end_time - start_time)

start_time = time.time()
if __name__ == "__main__":
    with Pool(2) as pool:
        print(pool.map(work, range(3)))
    end_time = time.time()
    print("parallel", end_time - start_time)
""",
        id="timers_bound_before_the_pool",
    ),
    pytest.param(
        """\
import multiprocessing as mp


def work(x):
    return x * x


with mp.Pool(2) as pool:
    results = pool.map(work, range(3))
print(sum(results))
""",
        """\
import multiprocessing as mp


def work(x):
    return x * x


if __name__ == "__main__":
    with mp.Pool(2) as pool:
        results = pool.map(work, range(3))
    print(sum(results))
""",
        id="results_read_only_by_the_script_part",
    ),
]


@pytest.mark.parametrize(("before", "after"), FIXES)
def test_fixes(before: str, after: str) -> None:
    result = check(before)
    assert [(f.code, f.fix) for f in result.findings] == [("MP001", Safety.SAFE)]
    assert result.fixed == after
    again = check(after)
    assert again.findings == [] and not again.changed


LEFT_ALONE = [
    pytest.param(
        """\
from multiprocessing import Pool


def squares(numbers):
    with Pool() as pool:
        return pool.map(abs, numbers)
""",
        id="library-defines-functions-only",
    ),
    pytest.param(
        """\
import multiprocessing as mp

if __name__ == '__main__':
    mp.Process(target=print).start()
""",
        id="guarded-single-quotes",
    ),
    pytest.param(
        """\
import multiprocessing as mp

if (__name__ in ("__main__",)):
    mp.Pool(2).close()
""",
        id="guard-with-in-tuple",
    ),
    pytest.param(
        """\
from multiprocessing.dummy import Pool
from multiprocessing.pool import ThreadPool
from concurrent.futures import ThreadPoolExecutor
import multiprocessing.dummy as dummy

Pool(2).close()
ThreadPool(2).close()
ThreadPoolExecutor().shutdown()
dummy.Process(target=print).start()
""",
        id="thread-pools",
    ),
    pytest.param(
        """\
import multiprocessing as mp

queue = mp.Queue()
lock = mp.Lock()
print(mp.cpu_count() > 0)
""",
        id="no-process-started",
    ),
    pytest.param(
        """\
import multiprocessing


def Pool(n):
    return list(range(n))


Pool(3)
""",
        id="local-function-named-pool",
    ),
    pytest.param(
        """\
import multiprocessing


class Registry:
    def Pool(self):
        return None


Registry().Pool()
""",
        id="method-named-pool",
    ),
    pytest.param(
        """\
import multiprocessing as mp


def main():
    with mp.Pool() as pool:
        pool.map(abs, [1])


if __name__ == "__main__":
    main()
""",
        id="main-called-from-guard",
    ),
    pytest.param(
        """\
'''Call multiprocessing.Pool() from the guard, never at module level.'''
import multiprocessing
# multiprocessing.Process(target=f).start()
EXAMPLE = "multiprocessing.Pool(4)"
""",
        id="text-mentions-only",
    ),
    pytest.param(
        """\
import multiprocessing as mp

if "__main__" == __name__: mp.Pool(2).close()
""",
        id="one-line-guard",
    ),
    # Decorator and closure factories start processes only when what they return is called.
    pytest.param(
        """\
import functools
from multiprocessing import Process


def in_subprocess(timeout):
    def wrapper(function):
        @functools.wraps(function)
        def inner(*args):
            process = Process(target=function, args=args)
            process.start()
            process.join(timeout)
            return process.exitcode

        return inner

    return wrapper


@in_subprocess(1)
def task(x):
    print(x)
""",
        id="decorator-factory",
    ),
    pytest.param(
        """\
from multiprocessing import Pool


def make_runner(processes):
    def run(function, items):
        with Pool(processes) as pool:
            return pool.map(function, items)

    return run


run = make_runner(2)
""",
        id="closure-factory",
    ),
]


@pytest.mark.parametrize("source", LEFT_ALONE)
def test_leaves_alone(source: str) -> None:
    result = check(source)
    assert result.findings == []
    assert not result.changed


FORCED_START_METHOD = """\
import multiprocessing as mp

mp.set_start_method("{method}", force=True)


def work(x):
    return x * 2


def main():
    with mp.Pool(2) as pool:
        print(pool.map(work, range(4)))


if __name__ == "__main__":
    main()
"""


@pytest.mark.parametrize("method", START_METHODS)
def test_start_method_forced_at_module_level_is_left_alone_and_runs(method: str, tmp_path: Path) -> None:
    # Each child re-runs the forced call, which replaces the method it was started with
    # instead of raising "context has already been set".
    source = FORCED_START_METHOD.format(method=method)
    assert check(source).findings == []
    program = tmp_path / "forced.py"
    program.write_text(source, encoding="utf-8")
    run = run_program(program, method, timeout=60)
    assert (run.returncode, run.stdout, run.stderr) == (0, "[0, 2, 4, 6]\n", "")


def test_start_method_set_at_module_level_without_force_is_reported() -> None:
    [finding] = check(FORCED_START_METHOD.format(method="spawn").replace(", force=True", "")).findings
    assert (finding.code, finding.line) == ("MP001", 3)
    assert "`mp.set_start_method()` sets the start method at module level" in finding.message


REPORTED = [
    pytest.param(
        """\
import os
from multiprocessing import Pool


def work(x):
    return x + OFFSET


pool = Pool(2)
OFFSET = int(os.environ.get("OFFSET", "1"))
print(pool.map(work, [1]))
""",
        "`OFFSET` is read by `work`",
        id="worker-reads-name-assigned-after-start",
    ),
    pytest.param(
        """\
import multiprocessing as mp
import sys

mp.set_start_method("spawn")
sys.path.insert(0, "lib")
import helper


def work(x):
    return helper.run(x)


with mp.Pool() as pool:
    pool.map(work, [1])
""",
        "code above the import on line 6 would move below it, into the guard, and may change what it imports",
        id="import-for-workers-after-sys-path-change",
    ),
    pytest.param(
        """\
import time
from multiprocessing import Pool


def square(x):
    return statistics.median([x, x * x])


start = time.time()
with Pool(2) as pool:
    results = pool.map(square, range(4))
print(time.time() >= start)
import statistics
print(statistics.mean(results))
""",
        "code above the import on line 13 would move below it, into the guard, and may change what it imports",
        id="import-for-workers-after-module-calls",
    ),
    pytest.param(
        """\
import time
from multiprocessing import Pool


def work(x):
    return x * time.SCALE


time.SCALE = 2
with Pool(2) as pool:
    print(pool.map(work, range(4)))
time.SCALE = 3
with Pool(2) as pool:
    print(pool.map(work, range(4)))
""",
        "`time` is read by `work`, which may run in a child process, but is changed by module-level code (line 12)",
        id="module-attribute-set-between-starts",
    ),
    pytest.param(
        """\
import time
from multiprocessing import Pool


def work(x):
    return x * time.SCALE


time.SCALE = 2
with Pool(2) as pool:
    print(pool.map(work, range(4)))
setattr(time, "SCALE", 3)
with Pool(2) as pool:
    print(pool.map(work, range(4)))
""",
        "`time` is read by `work`, which may run in a child process, but is changed by module-level code (line 12)",
        id="setattr-on-module-between-starts",
    ),
    pytest.param(
        """\
import mimetypes
from multiprocessing import Pool


def kind(name):
    return mimetypes.types_map.get(name[name.rfind("."):], "?")


with Pool(2) as pool:
    print(pool.map(kind, ["a.txt", "b.log"]))
mimetypes.types_map.update({".log": "text/x-log"})
with Pool(2) as pool:
    print(pool.map(kind, ["a.txt", "b.log"]))
""",
        "`mimetypes` is read by `kind`, which may run in a child process, but is changed by module-level code (line "
        "11)",
        id="container-of-a-module-updated-between-starts",
    ),
    pytest.param(
        """\
from multiprocessing import Pool


def work(x):
    return x + OFFSET


OFFSET = 1
pool = Pool(2)
OFFSET = 3
print(pool.map(work, [1, 2]))
pool.close()
""",
        "`OFFSET` is assigned again on line 10; moving that above code that runs before it would change",
        id="constant-assigned-again-after-start",
    ),
    pytest.param(
        """\
#!/usr/bin/env python3
from multiprocessing import Pool


def square(x):
    return x * x


def collect(value):
    results.append(value)


with Pool(2) as pool:
    results = []
    for i in range(4):
        pool.apply_async(square, (i,), callback=collect)
    pool.close()
    pool.join()
    pool.map(collect, [9])
print(sorted(results))
""",
        "`results` is read by `collect`, which may run in a child process",
        id="callback-also-a-task",
    ),
    pytest.param(
        """\
import functools
import multiprocessing as mp

mp.set_start_method("spawn")


@functools.lru_cache(maxsize=None)
def work(x):
    return x


with mp.Pool() as pool:
    pool.map(work, [1])
""",
        "code above the definition of `work` (line 8) would move below it",
        id="decorated-definition-after-start",
    ),
    pytest.param(
        """\
import multiprocessing as mp

SETTINGS = {"scale": 1}


def work(x):
    return x * SETTINGS["scale"]


with mp.Pool() as pool:
    pool.map(work, [1])
SETTINGS["scale"] = 2
with mp.Pool() as pool:
    pool.map(work, [2])
""",
        "`SETTINGS` is read by `work`",
        id="moved-code-changes-what-workers-read",
    ),
    pytest.param(
        """\
import multiprocessing as mp


class Service:
    pool = mp.Pool(2)
""",
        "processes start while line 4 is being defined",
        id="process-started-in-class-body",
    ),
]


@pytest.mark.parametrize(("source", "reason"), REPORTED)
def test_reports_without_fix(source: str, reason: str) -> None:
    result = analyze(source, rules=MP001, unsafe_fixes=True)
    [finding] = result.findings
    assert finding.fix is Safety.NONE
    assert "not fixed: " + reason in finding.message
    assert not result.changed


def test_finding_points_at_the_call_that_starts_processes() -> None:
    [finding] = check("import multiprocessing as mp\nx = 1\nmp.Process(target=print).start()\n").findings
    assert (finding.line, finding.column) == (3, 1)
    assert finding.message.startswith("`mp.Process()` starts processes at module level")


def test_transitive_call_names_the_function() -> None:
    source = "import multiprocessing as mp\ndef start():\n    mp.Pool()\ndef main():\n    start()\nmain()\n"
    [finding] = check(source).findings
    assert finding.message.startswith("`main()` (which calls `start()`) starts processes")


def test_crlf_line_endings_survive() -> None:
    source = "import multiprocessing as mp\r\n\r\ndef f():\r\n    pass\r\n\r\nmp.Process(target=f).start()\r\n"
    fixed = check(source).fixed
    assert fixed == (
        "import multiprocessing as mp\r\n\r\ndef f():\r\n    pass\r\n\r\n"
        'if __name__ == "__main__":\r\n    mp.Process(target=f).start()\r\n'
    )


def test_blank_lines_moved_into_the_guard_stay_blank() -> None:
    source = "import multiprocessing as mp\n\n# one\n\n# two\npool = mp.Pool(2)\n\nprint(pool.map(abs, [-1]))\n"
    fixed = check(source).fixed
    assert fixed == (
        'import multiprocessing as mp\n\nif __name__ == "__main__":\n    # one\n\n    # two\n'
        "    pool = mp.Pool(2)\n\n    print(pool.map(abs, [-1]))\n"
    )
    assert not [line for line in fixed.splitlines() if line != line.rstrip()]  # no trailing whitespace



@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_lines_a_backslash_continues_move_into_the_guard_with_their_statement(newline: str) -> None:
    source = (
        "import multiprocessing as mp\n\n"
        "pool = mp.Pool(2)\n"
        "total = sum(pool.map(abs, [-1, -2])) + \\\n"
        "    len('a \\\n  b')\n"
        "print(total)\n"
    ).replace("\n", newline)
    fixed = check(source).fixed
    assert fixed == (
        'import multiprocessing as mp\n\nif __name__ == "__main__":\n'
        "    pool = mp.Pool(2)\n"
        "    total = sum(pool.map(abs, [-1, -2])) + \\\n"
        "        len('a \\\n  b')\n"  # the string's own text does not change
        "    print(total)\n"
    ).replace("\n", newline)

# A module that another module may import: the names the guard would capture.
LIBRARY = """\
from multiprocessing import Pool


def square(x):
    return x * x


pool = Pool(2)


def squares(numbers):
    return pool.map(square, numbers)
"""

UNSAFE = [
    pytest.param(
        LIBRARY,
        """\
from multiprocessing import Pool


def square(x):
    return x * x


def squares(numbers):
    return pool.map(square, numbers)


if __name__ == "__main__":
    pool = Pool(2)
""",
        "a module that imports this one would no longer run the pool and get `pool`",
        id="library_pool_read_by_its_function",
    ),
    pytest.param(
        """\
from multiprocessing import Pool


def work(x):
    return x + OFFSET


OFFSET = 1
with Pool(2) as pool:
    print(pool.map(work, [1, 2]))
OFFSET = 3
print(OFFSET)
""",
        """\
from multiprocessing import Pool


def work(x):
    return x + OFFSET


OFFSET = 1
if __name__ == "__main__":
    with Pool(2) as pool:
        print(pool.map(work, [1, 2]))
    OFFSET = 3
    print(OFFSET)
""",
        "a module that imports this one would no longer run the pool and get `OFFSET` from line 11",
        id="constant_assigned_again_after_the_last_start",
    ),
    pytest.param(
        """\
import multiprocessing as mp


def work(x):
    return x * x


def total():
    return sum(results)


with mp.Pool(2) as pool:
    results = pool.map(work, range(3))
print(total())
""",
        """\
import multiprocessing as mp


def work(x):
    return x * x


def total():
    return sum(results)


if __name__ == "__main__":
    with mp.Pool(2) as pool:
        results = pool.map(work, range(3))
    print(total())
""",
        "a module that imports this one would no longer run the pool and get `results`",
        id="results_read_by_a_function",
    ),
    pytest.param(
        """\
import multiprocessing as mp

__all__ = ["work", "results"]


def work(x):
    return x * x


with mp.Pool(2) as pool:
    results = pool.map(work, range(3))
print(results)
""",
        """\
import multiprocessing as mp

__all__ = ["work", "results"]


def work(x):
    return x * x


if __name__ == "__main__":
    with mp.Pool(2) as pool:
        results = pool.map(work, range(3))
    print(results)
""",
        "a module that imports this one would no longer run the pool and get `results`",
        id="results_listed_in_all",
    ),
]


@pytest.mark.parametrize(("before", "after", "reason"), UNSAFE)
def test_unsafe_fix_only_on_request(before: str, after: str, reason: str) -> None:
    RuleCases("MP001").assert_unsafe_fix_only_on_request(before, after, reason)


def _before(cases: list, case_id: str) -> str:
    return next(case.values[0] for case in cases if case.id == case_id)


FINDING = (
    '`mp.Pool()` starts processes at module level, outside `if __name__ == "__main__":`; '
    "under spawn and forkserver every child process re-runs it"
)


def test_message_says_what_an_importer_would_lose() -> None:
    [finding] = check(_before(UNSAFE, "results_read_by_a_function")).findings
    assert finding.message == (
        f"{FINDING}; the fix is unsafe: a module that imports this one would no longer run the pool and get `results`"
    )


def test_loop_variable_bound_by_code_that_stays_makes_nothing_unsafe() -> None:
    [finding] = check(_before(FIXES, "loop_variable_also_bound_by_code_that_stays")).findings
    assert finding.message == FINDING


@pytest.mark.parametrize(
    "script",
    [
        pytest.param("#!/usr/bin/env python3\n" + LIBRARY, id="shebang"),
        pytest.param("import argparse\n" + LIBRARY, id="argparse"),
        pytest.param("from sys import argv\n" + LIBRARY + "print(squares([len(argv)]))\n", id="sys-argv"),
        pytest.param(LIBRARY + 'if __name__ == "__main__":\n    print(squares([1]))\n', id="main-guard"),
    ],
)
def test_evident_script_keeps_the_fix_safe(script: str) -> None:
    [finding] = check(script).findings
    assert finding.fix is Safety.SAFE and "unsafe" not in finding.message


# Fixed programs that must print, under every start method, what the original printed
# under fork (lib/helper.py is there for the programs that import it).
RUNS = {
    "call_on_imported_module_changes_nothing",
    "module_functions_called_around_the_pool",
    "change_after_the_last_start_moves",
    "callback_reads_a_script_name",
    "done_callback_reads_a_script_name",
    "import_for_the_parent_stays_under_the_guard",
    "import_after_sys_path_change_for_the_parent",
    "nested_function_called_by_its_factory",
    "script_with_shebang_binds_pool",
    "constant_assigned_again_after_the_last_start",
    "results_read_by_a_function",
}
HELPER = "def double(x):\n    return 2 * x\n"
_FORK_OUTPUT: dict[str, str] = {}


def _program(folder: Path, name: str, source: str) -> Path:
    (folder / "lib").mkdir(exist_ok=True)
    (folder / "lib" / "helper.py").write_text(HELPER)
    path = folder / name
    path.write_text(source)
    return path


def _fork_output(before: str, folder: Path) -> str:
    if before not in _FORK_OUTPUT:
        run = run_program(_program(folder, "original.py", before), "fork")
        assert run.returncode == 0 and run.stdout, run.stderr
        _FORK_OUTPUT[before] = run.stdout
    return _FORK_OUTPUT[before]


@pytest.mark.parametrize("method", START_METHODS)
@pytest.mark.parametrize(
    ("before", "after"), [pytest.param(*case.values[:2], id=case.id) for case in [*FIXES, *UNSAFE] if case.id in RUNS]
)
def test_fixed_program_prints_what_the_original_printed_under_fork(
    before: str, after: str, method: str, tmp_path: Path
) -> None:
    expected = _fork_output(before, tmp_path)
    run = run_program(_program(tmp_path, "fixed.py", after), method)
    assert (run.returncode, run.stdout) == (0, expected), run.stderr


TEST_MODULE_AND_SCRIPT = """\
import multiprocessing
import sys

import pytest

if sys.platform == "darwin":
    multiprocessing.set_start_method("spawn")


def square(x):
    return x * x


@pytest.mark.parametrize("n", [1, 2])
@pytest.fixture(scope="module")
def test_pool(n):
    with multiprocessing.Pool(n) as pool:
        assert pool.map(square, [1, 2, 3]) == [1, 4, 9]


if __name__ == "__main__":
    with multiprocessing.Pool(2) as pool:
        print(pool.map(square, range(4)))
"""


def test_pytest_marks_and_fixtures_may_be_defined_before_the_code_that_moves_into_the_guard() -> None:
    # A mark or fixture decorator records what it is given: defining the test first
    # changes nothing. Its twin, a decorator of the module's own, may depend on the order.
    fixed = check(TEST_MODULE_AND_SCRIPT).fixed
    assert fixed == TEST_MODULE_AND_SCRIPT.replace(
        'if sys.platform == "darwin":\n    multiprocessing.set_start_method("spawn")\n\n', ""
    ).replace(
        'if __name__ == "__main__":\n',
        'if __name__ == "__main__":\n    if sys.platform == "darwin":\n'
        '        multiprocessing.set_start_method("spawn")\n\n',
    )
    own = TEST_MODULE_AND_SCRIPT.replace('@pytest.fixture(scope="module")', "@register")
    [finding] = check(own).findings
    assert finding.fix is Safety.NONE
    assert "code above the definition of `test_pool` (line 16) would move below it" in finding.message


def test_a_default_that_reads_a_modules_attribute_may_be_defined_before_the_moved_code() -> None:
    source = (
        "import os\nfrom multiprocessing import Pool\n\npool = Pool(2)\n\n\n"
        'def work(i, sep=os.sep):\n    return f"{i}{sep}"\n\n\nprint(pool.map(work, [1]))\n'
    )
    assert check(source).fixed == (
        "import os\nfrom multiprocessing import Pool\n\n\n"
        'def work(i, sep=os.sep):\n    return f"{i}{sep}"\n\n\n'
        'if __name__ == "__main__":\n    pool = Pool(2)\n\n    print(pool.map(work, [1]))\n'
    )
    # Its twin changes `os.sep` in the code that would move: the default would read the old one.
    [finding] = check(source.replace("pool = Pool(2)", 'os.sep = "|"\npool = Pool(2)')).findings
    assert "code above the definition of `work` (line 8) would move below it" in finding.message


def test_a_default_that_reads_an_attribute_the_moved_code_may_change_keeps_the_code_where_it_is() -> None:
    # `configure()` sets `settings.level` before `scale` is defined: its default is 5.
    # Defined first, it would be 1. Neither the name nor the function is an import's.
    source = (
        "import multiprocessing as mp\n\n\nclass Settings:\n    level = 1\n\n\nsettings = Settings()\n\n\n"
        "def configure():\n    settings.level = 5\n\n\ndef child():\n    pass\n\n\n"
        "proc = mp.Process(target=child)\nproc.start()\nconfigure()\n\n\n"
        "def scale(x, level=settings.level):\n    return x * level\n\n\nproc.join()\nprint(scale(1))\n"
    )
    [finding] = check(source).findings
    assert finding.fix is Safety.NONE
    assert "code above the definition of `scale` (line 24) would move below it" in finding.message
    # With a module's attribute, read by nothing that moves, the fix applies.
    read = source.replace("level=settings.level", "level=os.sep").replace("configure()\n", "")
    read = read.replace("import multiprocessing as mp\n", "import multiprocessing as mp\nimport os\n")
    assert check(read).findings[0].fix is Safety.SAFE
