"""missing-main-guard (MP001): the shapes found in real scripts, fixed and left alone."""

from __future__ import annotations

import pytest

from codemods import rules
from codemods.engine import analyze
from codemods.rule import Safety

MP001 = [rules.BY_CODE["MP001"]]


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
import pathos.multiprocessing as pm
import billiard
import torch.multiprocessing as tmp
from mpire import WorkerPool

pm.ProcessingPool().map(abs, [1])
billiard.Pool(2)
tmp.Process(target=print).start()
WorkerPool(2)
""",
        id="other-libraries",
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
]


@pytest.mark.parametrize("source", LEFT_ALONE)
def test_leaves_alone(source: str) -> None:
    result = check(source)
    assert result.findings == []
    assert not result.changed


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

with mp.Pool() as pool:
    pool.map(helper.run, [1])
""",
        "the import on line 6 would have to move above code",
        id="import-after-sys-path-change",
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
        "the definition of `work` (line 8)",
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
