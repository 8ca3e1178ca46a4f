"""The pre-filters' edge cases: programs that each rule finds something in and that a
looser reading of names would skip (aliases, contexts, attribute receivers, tasks given by
keyword or by position, local look-alike names), and clean code the pre-checks skip.

tests/test_prefilter.py runs every program quoted here with and without the pre-filters
as well; the tests below say which rule each program is about.
"""

from __future__ import annotations

import ast
import importlib

import pytest
from mpfix import registry
from mpfix.analysis.names import TRIGGERS, spellings
from mpfix.analysis.prechecks import AstFacts, is_main_guard_test
from mpfix.analysis.project.apis import IPC_FACTORIES, TASK_METHODS
from mpfix.engine import SourceError, analyze
from mpfix.libraries import LIBRARIES
from mpfix.prechecks.fork_pinned_with_threads import THREAD_CALLS, THREAD_POOLS
from mpfix.prechecks.lost_async_result import ASYNC_METHODS
from mpfix.prechecks.per_task_setup import SPELLINGS
from mpfix.prechecks.unlocked_shared_value import FACTORIES
from mpfix.run.pipeline import prefilter

# Programs with a finding of the rule they are filed under, and of no other rule.
FOUND = [
    pytest.param(
        "MP001",
        """\
import multiprocessing as mp


class Pool:
    pass


mp.Pool(2).close()
""",
        id="MP001-local-class-beside-attribute",
    ),
    pytest.param(
        "MP001",
        """\
import multiprocessing as mp


class Process:
    pass


def run():
    mp.Process(target=print).start()


run()
""",
        id="MP001-local-class-beside-starter",
    ),
    pytest.param(
        "MP001",
        """\
import multiprocessing as mp

if __name__ == "__ma" "in__":
    mp.Pool(2).close()
""",
        id="MP001-concatenated-main-test",
    ),
    pytest.param(
        "MP001",
        """\
from multiprocessing import get_context

ctx = get_context("spawn")
ctx.Pool(2).close()
""",
        id="MP001-context-pool",
    ),
    pytest.param(
        "MP002",
        """\
def run(executor, xs):
    return [executor.submit(str, x).result() for x in xs]
""",
        id="MP002-any-receiver",
    ),
    pytest.param(
        "MP002",
        """\
from multiprocessing import Pool as P


def run(xs):
    with P() as pool:
        out = []
        while xs:
            handle = pool.apply_async(str, (xs.pop(),))
            out.append(handle.get())
        return out
""",
        id="MP002-alias-two-statements-in-while",
    ),
    pytest.param(
        "MP002",
        """\
import multiprocessing as mp


def run(xs):
    with mp.get_context("spawn").Pool() as pool:
        return [pool.apply(str, (x,)) for x in xs]
""",
        id="MP002-context-apply-in-comprehension",
    ),
    pytest.param(
        "MP003",
        """\
from multiprocessing import Process as Proc, Queue as Q

queue = Q()


def produce():
    queue.put(1)


if __name__ == "__main__":
    p = Proc(target=produce)
    p.start()
    print(queue.get())
    p.join()
""",
        id="MP003-aliases",
    ),
    pytest.param(
        "MP003",
        """\
import multiprocessing as mp
from concurrent.futures import ProcessPoolExecutor


def work(x):
    lock = mp.Lock()
    with lock:
        return x


if __name__ == "__main__":
    with ProcessPoolExecutor() as executor:
        print(list(executor.map(work, range(3))))
""",
        id="MP003-lock-in-executor-task",
    ),
    pytest.param(
        "MP003",
        """\
import multiprocessing as mp

reader, writer = mp.Pipe()


def send():
    writer.send(1)


if __name__ == "__main__":
    p = mp.Process(target=send)
    p.start()
    print(reader.recv())
    p.join()
""",
        id="MP003-pipe",
    ),
    pytest.param(
        "MP003",
        """\
import multiprocessing as mp

queue = mp.Queue()


class Worker(mp.Process):
    def run(self):
        queue.put(1)


if __name__ == "__main__":
    w = Worker()
    w.start()
    print(queue.get())
    w.join()
""",
        id="MP003-process-subclass",
    ),
    pytest.param(
        "MP004",
        """\
from multiprocessing.sharedctypes import RawArray as RA
import multiprocessing as mp


def work(arr):
    arr[0] += 1


if __name__ == "__main__":
    shared = RA("i", 1)
    ps = [mp.Process(target=work, args=(shared,)) for _ in range(2)]
    for p in ps:
        p.start()
    for p in ps:
        p.join()
""",
        id="MP004-raw-array-alias",
    ),
    pytest.param(
        "MP004",
        """\
import multiprocessing as mp


def work(v):
    v.value += 1


if __name__ == "__main__":
    counter = mp.Value("i", 0)
    with mp.Pool(2) as pool:
        pool.apply(*(), work, (counter,))
""",
        id="MP004-a-task-after-a-starred-argument",
    ),
    pytest.param(
        "MP004",
        """\
import multiprocessing as mp


def work(counter):
    with open(__file__) as handle:
        counter.value = counter.value + len(handle.read(1))


if __name__ == "__main__":
    ctx = mp.get_context("spawn")
    total = ctx.Value("i", 0)
    ps = [ctx.Process(target=work, args=(total,)) for _ in range(2)]
    for p in ps:
        p.start()
    for p in ps:
        p.join()
""",
        id="MP004-context-value-under-open",
    ),
    pytest.param(
        "MP004",
        """\
import torch


def work(counter):
    counter.value += 1


if __name__ == "__main__":
    total = torch.multiprocessing.Value("i", 0)
    ps = [torch.multiprocessing.Process(target=work, args=(total,)) for _ in range(2)]
    for p in ps:
        p.start()
    for p in ps:
        p.join()
""",
        id="MP004-torch-value-through-the-package",
    ),
    pytest.param(
        "MP005",
        """\
from multiprocessing import Pool as P


def run(xs):
    with P() as pool:
        return sum(pool.map(abs, (x for x in xs)))
""",
        id="MP005-alias-generator",
    ),
    pytest.param(
        "MP005",
        """\
import multiprocessing as mp


def run(path):
    pool = mp.Pool()
    try:
        for line in pool.starmap(print, iterable=open(path)):
            pass
    finally:
        pool.close()
""",
        id="MP005-keyword-iterable-file",
    ),
    pytest.param(
        "MP006",
        """\
from multiprocessing import Pool as P


def work(xs):
    for x in xs:
        import json
        json.dumps(x)


if __name__ == "__main__":
    with P() as pool:
        pool.map(work, [[1]])
""",
        id="MP006-alias-task-import-in-for",
    ),
    pytest.param(
        "MP006",
        """\
import multiprocessing as mp


def work(x):
    import json
    return json.dumps(x)


if __name__ == "__main__":
    print(list(mp.get_context("spawn").Pool(2).imap(work, range(3))))
""",
        id="MP006-context-pool-inline-imap",
    ),
    pytest.param(
        "MP007",
        """\
import sqlite3 as db
from multiprocessing import Pool


def task(x):
    connection = db.connect("data.db")
    return connection.execute("select ?", (x,)).fetchone()


if __name__ == "__main__":
    with Pool() as pool:
        print(pool.apply_async(task, (1,)).get())
""",
        id="MP007-module-alias-connect",
    ),
    pytest.param(
        "MP008",
        """\
import multiprocessing as mp
from collections import defaultdict as dd

COUNTS = dd(int)


def count(x):
    COUNTS[x] += 1


def work(xs):
    for x in xs:
        count(x)


if __name__ == "__main__":
    p = mp.Process(target=work, args=([1, 2],))
    p.start()
    p.join()
    print(COUNTS)
""",
        id="MP008-helper-of-target-defaultdict-alias",
    ),
    pytest.param(
        "MP008",
        """\
from concurrent.futures import ProcessPoolExecutor

total = 0


def add(x):
    global total
    total += x


if __name__ == "__main__":
    with ProcessPoolExecutor() as executor:
        executor.submit(add, 1).result()
    print(total)
""",
        id="MP008-executor-task-global",
    ),
    pytest.param(
        "MP009",
        """\
import multiprocessing as mp


def main():
    def work():
        print("hi")

    p = mp.Process(None, work)
    p.start()
    p.join()


if __name__ == "__main__":
    main()
""",
        id="MP009-positional-target",
    ),
    pytest.param(
        "MP009",
        """\
from functools import partial as bind
from multiprocessing import Pool


def main():
    def scale(k, x):
        return k * x

    with Pool() as pool:
        print(pool.map(bind(scale, 2), [1, 2]))


if __name__ == "__main__":
    main()
""",
        id="MP009-partial-alias",
    ),
    pytest.param(
        "MP009",
        """\
from concurrent.futures import ProcessPoolExecutor


def main():
    class Local:
        def run(self):
            return 1

    obj = Local()
    with ProcessPoolExecutor() as executor:
        print(executor.submit(obj.run).result())


if __name__ == "__main__":
    main()
""",
        id="MP009-local-class-method",
    ),
    pytest.param(
        "MP009",
        """\
from multiprocessing import Pool

double = lambda x: 2 * x  # noqa: E731

if __name__ == "__main__":
    with Pool() as pool:
        print(pool.apply_async(func=double, args=(1,)).get())
""",
        id="MP009-keyword-func-lambda",
    ),
    pytest.param(
        "MP010",
        """\
from multiprocessing import Process as P, Queue as Q


def work(queue):
    queue.put(list(range(100_000)))


def drain(queue):
    return queue.get()


if __name__ == "__main__":
    q = Q()
    p = P(target=work, args=(q,))
    p.start()
    p.join(None)
    total = drain(queue=q)
""",
        id="MP010-keyword-handover-join-none",
    ),
    pytest.param(
        "MP011",
        """\
from multiprocessing.pool import ThreadPool

pool = ThreadPool(2)
print(pool.map(abs, [-1]))
[pool.close() for pool in []]
""",
        id="MP011-comprehension-rebinds-name",
    ),
    pytest.param(
        "MP011",
        """\
import multiprocessing as mp

POOL = None


def start():
    global POOL
    POOL = mp.Pool(2)
    print(POOL.map(abs, [-1]))
    POOL.close()
""",
        id="MP011-global-pool",
    ),
    pytest.param(
        "MP012",
        """\
def run(pool, xs):
    pool.apply_async(print, xs)
""",
        id="MP012-statement",
    ),
    pytest.param(
        "MP012",
        """\
from concurrent.futures import ProcessPoolExecutor as PPE


def run(xs):
    with PPE() as executor:
        [executor.submit(print, x) for x in xs]
""",
        id="MP012-comprehension-executor-alias",
    ),
    pytest.param(
        "MP012",
        """\
def run(pool, xs):
    handles = []
    for x in xs:
        handles.append(pool.map_async(print, [x]))
""",
        id="MP012-appended-never-read",
    ),
    pytest.param(
        "MP012",
        """\
def run(pool):
    handle: object = pool.apply_async(print)
""",
        id="MP012-annotated-never-used",
    ),
    pytest.param(
        "MP013",
        """\
import multiprocessing as mp
from time import sleep as nap

nap(0)

if __name__ == \"\"\"__main__\"\"\":
    with mp.Pool() as pool:
        pool.map(abs, [1])
""",
        id="MP013-alias-sleep-triple-quoted-guard",
    ),
    pytest.param(
        "MP013",
        """\
import argparse
import os
from concurrent.futures import ProcessPoolExecutor

parser = argparse.ArgumentParser()
args = parser.parse_args()
for name in ["a"]:
    os.system("true")

if __name__ == "__main__":
    with ProcessPoolExecutor() as executor:
        executor.submit(abs, 1).result()
""",
        id="MP013-argv-and-os-system",
    ),
    pytest.param(
        "MP014",
        """\
from concurrent.futures import ProcessPoolExecutor as Executor

LIMIT = 0


def clip(x):
    return min(x, LIMIT)


def run(values, limit):
    global LIMIT
    LIMIT = limit
    with Executor() as executor:
        return list(executor.map(clip, values))
""",
        id="MP014-entry-point-without-guard-alias",
    ),
    pytest.param(
        "MP014",
        """\
import multiprocessing as mp

SETTINGS = {}


def show(key):
    print(SETTINGS[key])


def configure():
    SETTINGS["mode"] = "fast"


def main():
    configure()
    mp.Process(target=show, args=("mode",)).start()
""",
        id="MP014-changed-in-place-in-a-function",
    ),
    pytest.param(
        "MP019",
        """\
import multiprocessing as mp
from threading import Timer as T

if __name__ == "__main__":
    T(1, print).start()
    mp.set_start_method(method="fork")
""",
        id="MP019-alias-timer-and-keyword-method",
    ),
    pytest.param(
        "MP021",
        """\
from multiprocessing import Process, Queue as Q

if __name__ == "__main__":
    q = Q()
    p = Process(target=print, args=(q,))
    p.start()
    p.kill()
    q.get()
""",
        id="MP021-alias-queue-and-kill",
    ),
    pytest.param(
        "MP020",
        """\
import multiprocessing as mp
from os import getppid as parent_id


def work(starter):
    assert starter == parent_id()


if __name__ == "__main__":
    mp.Process(target=work, args=(0,)).start()
""",
        id="MP020-alias-getppid",
    ),
    pytest.param(
        "MP020",
        """\
import multiprocessing as mp
from psutil import Process


def work():
    print(len(Process().parent().children()))


if __name__ == "__main__":
    mp.Process(target=work).start()
""",
        id="MP020-children-of-the-parent-without-getppid",
    ),
    pytest.param(
        "MP016",
        """\
from multiprocessing import Pool as P


class Job:
    def __init__(self):
        self.pool = P(2)

    def step(self, n):
        return n + 1

    def run(self, numbers):
        return self.pool.imap(self.step, numbers)
""",
        id="MP016-aliased-pool-on-self",
    ),
    pytest.param(
        "MP017",
        """\
import multiprocessing as mp
from multiprocessing import set_start_method as choose

choose("spawn")
""",
        id="MP017-aliased-by-name",
    ),
    pytest.param(
        "MP015",
        """\
from multiprocessing import Process, Semaphore as S

if __name__ == "__main__":
    gate = S(2)
    worker = Process(target=print, args=(gate,))
    worker.start()
""",
        id="MP015-aliased-semaphore",
    ),
    pytest.param(
        "MP015",
        """\
import multiprocessing as mp

def run(lock):
    mp.Process(target=print, args=(lock,)).start()

if __name__ == "__main__":
    run(mp.Lock())
""",
        id="MP015-started-without-a-name",
    ),
    pytest.param(
        "MP015",
        """\
import multiprocessing as mp

if __name__ == "__main__":
    event = mp.Event()
    workers = [mp.Process(target=print, args=(event,)) for _ in range(2)]
    for worker in workers:
        worker.start()
""",
        id="MP015-a-list-of-them",
    ),
    pytest.param(
        "MP015",
        """\
import multiprocessing as mp

def run():
    lock = mp.Lock()
    worker = mp.Process(target=print, args=(lock,))
    worker.start()

    def wait(worker):
        worker.join()

    return wait
""",
        id="MP015-joined-only-by-another-binding",
    ),
    pytest.param(
        "MP012",
        """\
from concurrent.futures import ProcessPoolExecutor

def run(xs):
    with ProcessPoolExecutor() as pool:
        for x in xs:
            if x:
                print(handle)
            handle = pool.submit(abs, x)
""",
        id="MP012-read-only-before-it-is-bound",
    ),
    pytest.param(
        "MP009",
        """\
import multiprocessing
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

def run():
    with ProcessPoolExecutor() as pool:
        pool.submit(lambda: 1).result()
    with ThreadPoolExecutor() as pool:
        pool.submit(lambda: 2).result()
""",
        id="MP009-a-thread-pool-bound-after",
    ),
    pytest.param(
        "MP008",
        """\
import multiprocessing

TOTAL = 0

def add(x):
    global TOTAL
    TOTAL += x

def work(x):
    add(x)
    return x

if __name__ == "__main__":
    with multiprocessing.Pool() as pool:
        pool.map(work, [1])
    print(TOTAL)
""",
        id="MP008-in-a-helper-of-the-task",
    ),
    pytest.param(
        "MP018",
        """\
import multiprocessing as mp
from concurrent.futures import ProcessPoolExecutor as Executor


def run(numbers):
    with Executor(mp_context=mp.get_context("fork"), max_tasks_per_child=1) as executor:
        return list(executor.map(abs, numbers))
""",
        id="MP018-aliased-executor",
    ),
    pytest.param(
        "MP004",
        """\
import multiprocessing as mp
from multiprocessing import Value as V


def work(n):
    total = None
    total = V("i", n)
    total.value += 1


if __name__ == "__main__":
    for _ in range(2):
        mp.Process(target=work, args=(1,)).start()
""",
        id="MP004-aliased-value-bound-after-none",
    ),
    pytest.param(
        "MP021",
        """\
import multiprocessing as mp


def work(q):
    q.put(1)


if __name__ == "__main__":
    a, b = mp.Pipe()
    p = mp.Process(target=work, args=(a,))
    p.start()
    p.terminate(); print(b.recv())
""",
        id="MP021-other-end-on-the-stop-line",
    ),
    pytest.param(
        "MP021",
        """\
import multiprocessing as mp


def work(q):
    q.put(1)


if __name__ == "__main__":
    q = mp.Queue()
    first = mp.Process(target=work, args=(q,))
    second = mp.Process(target=work, args=(q,))
    first.start()
    second.start()
    first.terminate()
    second.join()
""",
        id="MP021-handed-to-another-process-before-the-stop",
    ),
]

# Clean code that a rule's needles or pre-check lets no further, each with why.
SKIPPED = [
    pytest.param(
        "MP004",
        """\
import functools
import multiprocessing as mp


def test_tracking():
    counter = mp.Value("i", 0)

    def count(value, url):
        if url:
            value.value += 1

    callback = functools.partial(count, counter)
    callback("http://example.org")
    assert counter.value == 1
""",
        id="MP004-a-parameter-of-a-function-handed-on-by-partial",
    ),
    pytest.param(
        "MP004",
        """\
import multiprocessing as mp


def work(counter, results, failures):
    with counter.get_lock():
        counter.value += 1
    chosen = results if counter.value % 2 else failures
    chosen[-1] = chosen[-1] + 1


if __name__ == "__main__":
    c = mp.Value("i", 0)
    mp.Process(target=work, args=(c, [0], [0])).start()
""",
        id="MP004-a-local-bound-to-an-expression",
    ),
    pytest.param(
        "MP021",
        """\
import multiprocessing as mp


def work(counter):
    with counter.get_lock():
        counter.value += 1


def run():
    counter = mp.Value("i", 0)
    pool = mp.Pool(2, initializer=work, initargs=(counter,))
    pool.terminate()
    pool.join()
""",
        id="MP021-shared-object-unused-after-the-stop",
    ),
    pytest.param(
        "MP004",
        """\
import multiprocessing as mp
from datasets import Value


def work(counter):
    counter.value += 1


features = Value("int64")
mp.Process(target=work, args=(features,)).start()
""",
        id="MP004-a-value-of-another-library",
    ),
    pytest.param(
        "MP009",
        """\
from multiprocessing.pool import ThreadPool

with ThreadPool(2) as pool:
    print(pool.map(lambda x: x * 2, range(3)))
""",
        id="MP009-thread-pool",
    ),
    pytest.param(
        "MP009",
        """\
import torch
from datasets import load_dataset


def test_map():
    ds = load_dataset("x").map(lambda row: row, num_proc=2)
    loader = torch.utils.data.DataLoader(ds, batch_size=2)
    return list(loader)
""",
        id="MP009-a-loader-but-no-pool",
    ),
    pytest.param(
        "MP021",
        """\
import multiprocessing as mp
from queue import Queue

q = Queue()
p = mp.Process(target=print)
p.start()
p.terminate()
""",
        id="MP021-a-thread-queue",
    ),
    pytest.param(
        "MP004",
        """\
import multiprocessing as mp


def work(counter):
    with counter.get_lock():
        counter.value += 1
    errors = [0]
    errors[-1] = errors[-1] + 1


if __name__ == "__main__":
    total = mp.Value("i", 0)
""",
        id="MP004-held-lock-and-a-list",
    ),
    pytest.param(
        "MP011",
        """\
import multiprocessing as mp


def run(xs):
    pool = mp.Pool()
    try:
        return pool.map(abs, xs)
    finally:
        pool.close()
""",
        id="MP011-closed-in-its-scope",
    ),
    pytest.param(
        "MP013",
        """\
import multiprocessing as mp
import platform

SYSTEM = platform.system()

if __name__ == "__main__":
    mp.Process(target=print).start()
""",
        id="MP013-platform-system-is-no-os-system",
    ),
    pytest.param(
        "MP009",
        """\
import multiprocessing as mp
import re


class Job:
    def main(self):
        def helper():
            pass

        pattern = re.compile("a")
        mp.Process(target=pattern.sub, args=("", "a")).start()
        mp.Process(target=self.main).start()
""",
        id="MP009-methods-of-objects-that-are-no-local-class",
    ),
    pytest.param(
        "MP005",
        """\
from multiprocessing import Pool


class Mapper(Pool):
    def map(self, func, iterable):
        return super().map(func, (x for x in iterable))
""",
        id="MP005-receiver-is-no-pool",
    ),
    pytest.param(
        "MP006",
        """\
import multiprocessing as mp


def helper():
    import json
    return json


if __name__ == "__main__":
    with mp.Pool() as pool:
        pool.map(abs, [1])
""",
        id="MP006-import-in-a-function-that-no-child-runs",
    ),
    pytest.param(
        "MP003",
        """\
import multiprocessing as mp


def queues():
    return [mp.Queue()]


def work():
    pass


if __name__ == "__main__":
    mp.Process(target=work).start()
""",
        id="MP003-made-where-the-rule-never-looks",
    ),
    pytest.param(
        "MP014",
        """\
import multiprocessing as mp

FACTOR = 2


def work(x):
    return x * FACTOR


def run(xs):
    with mp.Pool() as pool:
        return pool.map(work, xs)
""",
        id="MP014-no-guard-and-nothing-set-in-a-function",
    ),
    pytest.param(
        "MP019",
        """\
import multiprocessing as mp
import threading

if __name__ == "__main__":
    threading.Thread(target=print).start()
    mp.set_start_method("forkserver")
""",
        id="MP019-forkserver-is-no-fork-pin",
    ),
    pytest.param(
        "MP021",
        """\
import multiprocessing as mp

if __name__ == "__main__":
    p = mp.Process(target=print, args=(1,))
    p.start()
    p.terminate()
""",
        id="MP021-nothing-shared",
    ),
    pytest.param(
        "MP020",
        """\
import multiprocessing as mp
import os

if __name__ == "__main__":
    print(os.getppid() == os.getpid())
    mp.Process(target=print).start()
""",
        id="MP020-compared-outside-functions",
    ),
    pytest.param(
        "MP020",
        """\
import multiprocessing as mp
import os
import psutil

if __name__ == "__main__":
    print(len(psutil.Process(os.getppid()).children()))
    mp.Process(target=print).start()
""",
        id="MP020-children-listed-outside-functions",
    ),
    pytest.param(
        "MP016",
        """\
from multiprocessing import Pool


def step(n):
    return n + 1


class Job:
    def __init__(self):
        self.pool = Pool(2)

    def run(self, numbers):
        return self.pool.imap(step, numbers)
""",
        id="MP016-module-function",
    ),
    pytest.param(
        "MP017",
        """\
import multiprocessing as mp


def work(x):
    return x


if __name__ == "__main__":
    mp.set_start_method("spawn")
    with mp.Pool(2) as pool:
        pool.map(work, [1])
""",
        id="MP017-in-the-guard",
    ),
    pytest.param(
        "MP015",
        """\
import multiprocessing as mp

if __name__ == "__main__":
    worker = mp.Process(target=print, args=("no lock",))
    worker.start()
""",
        id="MP015-nothing-handed",
    ),
    pytest.param(
        "MP015",
        """\
import multiprocessing as mp

def test_share():
    queue = mp.Queue()
    worker = mp.Process(target=print, args=(queue,))
    worker.start()
    queue.put(1)
    worker.join()
""",
        id="MP015-joined-in-its-function",
    ),
    pytest.param(
        "MP015",
        """\
import multiprocessing as mp

def start_all(lock, workers):
    workers.append(mp.Process(target=print, args=(lock,)))
    for worker in workers:
        worker.start()
""",
        id="MP015-handed-on-as-made",
    ),
    pytest.param(
        "MP012",
        """\
from concurrent.futures import ProcessPoolExecutor

def test_state():
    with ProcessPoolExecutor() as executor:
        future = executor.submit(abs, -1)
        assert future.result() == 1
""",
        id="MP012-assigned-and-read",
    ),
    pytest.param(
        "MP012",
        """\
from concurrent.futures import ProcessPoolExecutor, as_completed

def run(chunks):
    with ProcessPoolExecutor() as pool:
        futures = {pool.submit(abs, chunk) for chunk in chunks}
        return [future.result() for future in as_completed(futures)]
""",
        id="MP012-a-set-of-them-read",
    ),
    pytest.param(
        "MP012",
        """\
from concurrent.futures import ProcessPoolExecutor

def run():
    tasks = []
    with ProcessPoolExecutor() as pool:
        tasks.append(pool.submit(abs, -1))
        tasks.append(pool.submit(abs, -2))
    for task in tasks:
        task.result()
""",
        id="MP012-appended-and-read",
    ),
    pytest.param(
        "MP009",
        """\
import concurrent.futures
import multiprocessing

def test_threads():
    def minimize():
        return 1

    with concurrent.futures.ThreadPoolExecutor() as pool:
        tasks = [pool.submit(minimize), pool.submit(lambda: 2)]
        pool = None
    return tasks
""",
        id="MP009-a-thread-pool-by-name",
    ),
    pytest.param(
        "MP008",
        """\
import multiprocessing

TRACE = None

def configure():
    global TRACE
    TRACE = print

def work(x):
    return x

if __name__ == "__main__":
    configure()
    with multiprocessing.Pool() as pool:
        pool.map(work, [1])
""",
        id="MP008-global-only-where-no-child-runs",
    ),
    pytest.param(
        "MP002",
        """\
from concurrent.futures import ThreadPoolExecutor

def interleave(iterators):
    with ThreadPoolExecutor() as executor:
        futures = [executor.submit(next, it) for it in iterators]
        for i in range(len(iterators)):
            result = futures[i].result()
            futures[i] = executor.submit(next, iterators[i])
            yield result
""",
        id="MP002-prefetching-into-a-list",
    ),
    pytest.param(
        "MP012",
        """\
from celery import shared_task

@shared_task
def add(x, y):
    return x + y

def test_chain():
    signature = add.s(2, 2)
    signature.apply_async()
    chain = add.s(2, 2) | add.s(4)
    chain.apply_async()

def test_local_task(app):
    @app.task
    def task(x):
        return x

    task.apply_async((1,))
""",
        id="MP012-a-celery-signature",
    ),
    pytest.param(
        "MP018",
        """\
import multiprocessing as mp
from concurrent.futures import ProcessPoolExecutor


def run(numbers):
    with ProcessPoolExecutor(mp_context=mp.get_context("fork")) as executor:
        return list(executor.map(abs, numbers))
""",
        id="MP018-workers-kept",
    ),
]


def _codes(text: str, *, precheck: bool) -> set[str]:
    return {finding.code for finding in analyze(text, fix=False, precheck=precheck).findings}


@pytest.mark.parametrize(("code", "text"), FOUND)
def test_the_rule_finds_it_with_and_without_the_prefilters(code: str, text: str) -> None:
    assert _codes(text, precheck=False) == {code}
    assert _codes(text, precheck=True) == {code}
    assert registry.matching(text.encode(), [registry.BY_CODE[code]])


@pytest.mark.parametrize(("code", "text"), SKIPPED)
def test_clean_code_stops_at_the_prefilters(code: str, text: str) -> None:
    spec = registry.BY_CODE[code]
    assert code not in _codes(text, precheck=False)
    assert not (registry.matching(text.encode(), [spec]) and spec.may_find(AstFacts(ast.parse(text), text)))


# The lists of a rule's test module (tests/test_<rule>.py) whose cases each have a finding.
WITH_FINDINGS = ("FIXES", "REPORTED", "UNSAFE", "COMPOSED")


def _found_without_the_prefilters(spec: registry.RuleSpec, text: str) -> bool:
    try:
        return any(analyze(text, rules=[spec], fix=False, precheck=False).findings)
    except SourceError:  # a part of a program, not a whole one
        return False


def _cases_with_findings(spec: registry.RuleSpec) -> list[tuple[str, str]]:
    """(id, program) of every case that the rule's own tests expect a finding in, and
    that is a whole program (some rules' tests build theirs from parts)."""
    tests = importlib.import_module("test_" + spec.name.replace("-", "_"))
    cases = []
    for name in WITH_FINDINGS:
        listed = getattr(tests, name, ())
        # A list of pytest.param or plain tuples, or a dict of them by case name.
        named = listed.items() if isinstance(listed, dict) else enumerate(listed)
        for key, case in named:
            text = getattr(case, "values", case)[0]
            text = text if isinstance(text, str) else text[0]
            if _found_without_the_prefilters(spec, text):
                cases.append((f"{name}[{getattr(case, 'id', None) or key}]", text))
    return cases


@pytest.mark.parametrize("spec", registry.RULES, ids=lambda spec: spec.code)
def test_needles_and_precheck_let_every_case_with_a_finding_through(spec: registry.RuleSpec) -> None:
    cases = _cases_with_findings(spec)
    assert cases, f"tests/test_{spec.name.replace('-', '_')}.py has no case in {', '.join(WITH_FINDINGS)}"
    for case, text in cases:
        assert registry.matching(text.encode(), [spec]), case
        assert spec.may_find(AstFacts(ast.parse(text), text)), case


# Code that a rule's pre-check turns away (False) or must let through (True), whatever the needles say.
METHOD_TARGET = """\
import multiprocessing


class Test:
    {decorator}def _put({first}, q):
        q.put(1)

    def test(self):
        q = multiprocessing.Queue()
        p = multiprocessing.Process(target=self._put, args=(q,))
        p.start()
        p.join()
        return q.get()
"""

PRECHECKED = [
    # A queue of the standard library's queue module; a worker that starts children of its own;
    # workers made through self.Process, and a pipe's end, which nothing shows is a process's.
    (
        "MP003",
        "import multiprocessing as mp\n"
        "\n"
        "\n"
        "def child(q):\n"
        "    q.put(1)\n"
        "\n"
        "\n"
        "def work():\n"
        "    q = mp.Queue()\n"
        "    p = mp.Process(target=child, args=(q,))\n"
        "    p.start()\n"
        "    p.join()\n"
        "\n"
        "\n"
        'if __name__ == "__main__":\n'
        "    mp.Process(target=work).start()\n",
        False,
    ),
    (
        "MP003",
        "import multiprocessing as mp\n"
        "import queue\n"
        "\n"
        "jobs = queue.Queue()\n"
        "\n"
        "\n"
        "def work(lock):\n"
        "    with lock:\n"
        "        jobs.put(1)\n"
        "\n"
        "\n"
        'if __name__ == "__main__":\n'
        "    mp.Process(target=work, args=(mp.Lock(),)).start()\n",
        False,
    ),
    (
        "MP003",
        "import multiprocessing as mp\n"
        "\n"
        'ctx = mp.get_context("spawn")\n'
        "inbox = ctx.Queue()\n"
        "\n"
        "\n"
        "def take():\n"
        "    inbox.get()\n"
        "\n"
        "\n"
        'if __name__ == "__main__":\n'
        "    ctx.Process(target=take).start()\n"
        "    inbox.put(1)\n",
        True,
    ),
    (
        "MP015",
        "import multiprocessing as mp\n"
        "import unittest\n"
        "\n"
        "\n"
        "class TestShare(unittest.TestCase):\n"
        "    Process = mp.Process\n"
        "\n"
        "    def test_share(self):\n"
        "        q = mp.Queue()\n"
        "        p = self.Process(target=print, args=(q,))\n"
        "        p.start()\n",
        False,
    ),
    (
        "MP015",
        "import multiprocessing as mp\n"
        "\n"
        'if __name__ == "__main__":\n'
        "    lock = mp.Lock()\n"
        "    reader, writer = mp.Pipe()\n"
        "    p = mp.Process(target=print, args=(writer,))\n"
        "    p.start()\n",
        False,
    ),
    (
        "MP015",
        "import multiprocessing as mp\n"
        "\n"
        "\n"
        "def run():\n"
        '    ctx = mp.get_context("spawn")\n'
        "    lock = ctx.Lock()\n"
        "    worker = ctx.Process(target=print, args=(lock,))\n"
        "    worker.start()\n",
        True,
    ),
    # Workers made by no API the rules resolve, targets that put nothing, a pipe's two ends.
    (
        "MP010",
        "import multiprocessing as mp\n"
        "def work(q):\n"
        "    q.put(1)\n"
        "class T:\n"
        "    def test(self):\n"
        "        q = mp.Queue()\n"
        "        p = self.Process(target=work, args=(q,))\n"
        "        p.start()\n"
        "        p.join()\n"
        "        q.get()\n",
        False,
    ),
    (
        "MP010",
        "import multiprocessing as mp\n"
        "def work(q):\n"
        "    q.close()\n"
        "def main():\n"
        "    q = mp.Queue()\n"
        "    q.put(1)\n"
        "    p = mp.Process(target=work, args=(q,))\n"
        "    p.start()\n"
        "    p.join()\n"
        "    q.get()\n",
        False,
    ),
    (
        "MP010",
        "import multiprocessing as mp\n"
        "q = mp.Queue()\n"
        "def work():\n"
        "    q.put(1)\n"
        "def main():\n"
        "    ctx = mp.get_context('spawn')\n"
        "    p = ctx.Process(target=work)\n"
        "    p.start()\n"
        "    p.join()\n"
        "    q.get()\n",
        True,
    ),
    (
        "MP021",
        "import multiprocessing as mp\n"
        "def f(q): pass\n"
        "class T:\n"
        "    def test(self):\n"
        "        q = mp.Queue()\n"
        "        p = self.Process(target=f, args=(q,))\n"
        "        p.start()\n"
        "        p.terminate()\n"
        "        q.get()\n",
        False,
    ),
    (
        "MP021",
        "import multiprocessing as mp\n"
        "def f(s): pass\n"
        "def test():\n"
        "    s = mp.Semaphore(0)\n"
        "    p = mp.Process(target=f, args=(s,))\n"
        "    p.start()\n"
        "    p.terminate()\n"
        "def other():\n"
        "    s = 1\n"
        "    print(s)\n",
        False,
    ),
    (
        "MP021",
        "import multiprocessing as mp\n"
        "def f(c): pass\n"
        "def main():\n"
        "    a, b = mp.Pipe()\n"
        "    p1 = mp.Process(target=f, args=(a,))\n"
        "    p2 = mp.Process(target=f, args=(b,))\n"
        "    p1.start(); p2.start()\n"
        "    p1.terminate()\n",
        True,
    ),
    # A receiver or a stored object that resolves to no pool, as the rules resolve it.
    (
        "MP005",
        "from multiprocessing import Pool\n"
        "def g():\n"
        "    yield 1\n"
        "class T:\n"
        "    def test(self):\n"
        "        with self.Pool(1) as p:\n"
        "            p.map(f, g())\n",
        False,
    ),
    (
        "MP005",
        "import multiprocessing as mp\n"
        "def g():\n"
        "    yield 1\n"
        "def a():\n"
        "    p = mp.Pool()\n"
        "    p.close()\n"
        "def b(self):\n"
        "    with self.Pool() as p:\n"
        "        p.map(f, g())\n",
        False,
    ),
    (
        "MP005",
        "import multiprocessing as mp\n"
        "def g():\n"
        "    yield 1\n"
        "def run(p):\n"
        "    p.map(f, g())\n"
        "run(mp.Pool())\n",
        True,
    ),
    (
        "MP005",
        "import multiprocessing as mp\n"
        "def g():\n"
        "    yield 1\n"
        "def run():\n"
        "    ctx = mp.get_context('spawn')\n"
        "    with ctx.Pool() as p:\n"
        "        p.map(f, g())\n",
        True,
    ),
    (
        "MP011",
        "from multiprocessing import Pool\n"
        "class T:\n"
        "    def test(self):\n"
        "        o = self.manager.Pool(processes=4)\n"
        "        o.map(f, xs)\n",
        False,
    ),
    (
        "MP011",
        "import multiprocessing as mp\n"
        "def run():\n"
        "    ctx = mp.get_context('spawn')\n"
        "    p = ctx.Pool()\n"
        "    p.map(f, xs)\n",
        True,
    ),
    (
        "MP016",
        "import multiprocessing\n"
        "\n"
        "\n"
        "class T:\n"
        "    @classmethod\n"
        "    def setUpClass(cls):\n"
        "        cls.Pool = multiprocessing.Pool\n"
        "        cls.pool = cls.Pool(4)\n"
        "\n"
        "    def test(self):\n"
        "        self.pool.map(self.work, [1])\n"
        "\n"
        "    def work(self, x):\n"
        "        return x\n",
        False,
    ),
    (
        "MP016",
        "import multiprocessing\n"
        "\n"
        "\n"
        "class T:\n"
        "    def __init__(self):\n"
        '        ctx = multiprocessing.get_context("spawn")\n'
        "        self.pool = ctx.Pool(4)\n"
        "\n"
        "    def run(self, xs):\n"
        "        return self.pool.map(self.work, xs)\n"
        "\n"
        "    def work(self, x):\n"
        "        return x\n",
        True,
    ),
    # A shared value updated through a parameter that nothing proves shared.
    (
        "MP004",
        "from multiprocessing import Process, Value\n"
        "\n"
        "\n"
        "class T:\n"
        "    @classmethod\n"
        "    def bump(cls, v):\n"
        "        v.value += 1\n"
        "\n"
        "    def test(self):\n"
        '        v = Value("i", 0)\n'
        "        for _ in range(2):\n"
        "            Process(target=self.bump, args=(v,)).start()\n",
        False,
    ),
    (
        "MP004",
        "from multiprocessing import Process, Value\n"
        "\n"
        "\n"
        "def bump(v):\n"
        "    v.value += 1\n"
        "\n"
        "\n"
        'if __name__ == "__main__":\n'
        '    v = Value("i", 0)\n'
        "    for _ in range(2):\n"
        "        Process(target=bump, args=(v,)).start()\n",
        True,
    ),
    # A handle dropped just before its pool is terminated on purpose.
    ("MP012", "def f(pool):\n    r = pool.map_async(abs, [1])\n    pool.terminate()\n", False),
    ("MP012", "def f(pool):\n    r = pool.map_async(abs, [1])\n    x = 1; pool.terminate()\n", True),
    # A library that pickles with dill: unpicklable-task is moot for it.
    (
        "MP009",
        "import multiprocess as mp\n"
        "\n"
        "if __name__ == '__main__':\n"
        "    mp.Process(target=lambda: 1).start()\n",
        False,
    ),
    (
        "MP009",
        "import multiprocess\n"
        "import multiprocessing\n"
        "\n"
        "\n"
        "def f():\n"
        "    ctx = multiprocessing.get_context('spawn')\n"
        "    ctx.Process(target=lambda: 1).start()\n",
        True,
    ),
    # A receiver that a function never binds is the module's (or an enclosing function's):
    # an import, or a method's self that nothing passes a pool, is no pool; a pool made
    # there, or by a function that declares it global, or annotated as one, may be.
    (
        "MP009",
        "from concurrent.futures import ProcessPoolExecutor\n"
        "import dask.bag as db\n"
        "\n"
        "\n"
        "def f():\n"
        "    return db.map(lambda x: x, [1])\n",
        False,
    ),
    (
        "MP009",
        "from concurrent.futures import ProcessPoolExecutor\n"
        "\n"
        "\n"
        "class Bag:\n"
        "    def get(self, key):\n"
        "        return self.map(lambda d: d[key])\n",
        False,
    ),
    (
        "MP009",
        "from concurrent.futures import ProcessPoolExecutor\n"
        "\n"
        "pool = ProcessPoolExecutor()\n"
        "\n"
        "\n"
        "def f():\n"
        "    return pool.submit(lambda: 1)\n",
        True,
    ),
    (
        "MP009",
        "from concurrent.futures import ProcessPoolExecutor\n"
        "\n"
        "\n"
        "def start():\n"
        "    global pool\n"
        "    pool = ProcessPoolExecutor()\n"
        "\n"
        "\n"
        "def f():\n"
        "    return pool.submit(lambda: 1)\n",
        True,
    ),
    (
        "MP009",
        "from concurrent.futures import ProcessPoolExecutor\n"
        "\n"
        "\n"
        "def f():\n"
        "    pool = ProcessPoolExecutor()\n"
        "\n"
        "    def g():\n"
        "        return pool.submit(lambda: 1)\n"
        "\n"
        "    return g\n",
        True,
    ),
    (
        "MP009",
        "from concurrent.futures import ProcessPoolExecutor\n"
        "\n"
        "\n"
        "class Bag:\n"
        "    def get(self, pool: ProcessPoolExecutor):\n"
        "        return pool.submit(lambda: 1)\n",
        True,
    ),
    # A subclass of the module's own BaseProcess is no Process subclass; a pool of a library
    # that mpfix does not know (pebble) starts nothing it can tell, one of pathos does.
    (
        "MP001",
        "import multiprocessing\n"
        "\n"
        "\n"
        "class BaseProcess:\n"
        "    pass\n"
        "\n"
        "\n"
        "class _MainProcess(BaseProcess):\n"
        "    pass\n"
        "\n"
        "\n"
        "_current = _MainProcess()\n",
        False,
    ),
    (
        "MP001",
        "from multiprocessing import Process\n"
        "\n"
        "\n"
        "class Worker(Process):\n"
        "    pass\n"
        "\n"
        "\n"
        "Worker().start()\n",
        True,
    ),
    (
        "MP001",
        "import multiprocessing\n"
        "from pebble import ProcessPool\n"
        "\n"
        "pool = ProcessPool(1)\n",
        False,
    ),
    (
        "MP001",
        "import multiprocessing\n"
        "from pathos.pools import ProcessPool\n"
        "\n"
        "pool = ProcessPool(1)\n",
        True,
    ),
    # A process target runs its imports once per process: only a pool task's are reported.
    (
        "MP006",
        "from multiprocessing import Process\n"
        "\n"
        "\n"
        "def work():\n"
        "    import json\n"
        "    return json.dumps(1)\n"
        "\n"
        "\n"
        "if __name__ == '__main__':\n"
        "    Process(target=work).start()\n",
        False,
    ),
    (
        "MP006",
        "from multiprocessing import Pool\n"
        "\n"
        "\n"
        "def work(x):\n"
        "    import json\n"
        "    return json.dumps(x)\n"
        "\n"
        "\n"
        "if __name__ == '__main__':\n"
        "    with Pool() as pool:\n"
        "        pool.map(work, [1])\n",
        True,
    ),
    # A target that reads its own local, bound before the read, reads no module-level name.
    (
        "MP014",
        "from multiprocessing import Process\n"
        "\n"
        "path = None\n"
        "\n"
        "\n"
        "def work(d):\n"
        "    path = d + '/x'\n"
        "    print(path)\n"
        "\n"
        "\n"
        "if __name__ == '__main__':\n"
        "    path = 'a'\n"
        "    Process(target=work, args=('b',)).start()\n",
        False,
    ),
    (
        "MP014",
        "from multiprocessing import Process\n"
        "\n"
        "path = None\n"
        "\n"
        "\n"
        "def work(d):\n"
        "    print(path)\n"
        "\n"
        "\n"
        "if __name__ == '__main__':\n"
        "    path = 'a'\n"
        "    Process(target=work, args=('b',)).start()\n",
        True,
    ),
    # A handle that a function, lambda or comprehension inside reads is used, unless it binds
    # the name anew.
    (
        "MP012",
        "from concurrent.futures import ThreadPoolExecutor\n"
        "\n"
        "\n"
        "def run():\n"
        "    ex = ThreadPoolExecutor(1)\n"
        "    fut = ex.submit(print, 1)\n"
        "\n"
        "    async def later():\n"
        "        return fut.result()\n"
        "\n"
        "    return later\n",
        False,
    ),
    (
        "MP012",
        "from concurrent.futures import ThreadPoolExecutor\n"
        "\n"
        "\n"
        "def run():\n"
        "    ex = ThreadPoolExecutor(1)\n"
        "    fut = ex.submit(print, 1)\n"
        "\n"
        "    def later():\n"
        "        fut = None\n"
        "        return fut\n"
        "\n"
        "    return later\n",
        True,
    ),
    (
        "MP012",
        "from concurrent.futures import ThreadPoolExecutor\n"
        "\n"
        "\n"
        "def run():\n"
        "    ex = ThreadPoolExecutor(1)\n"
        "    fut = ex.submit(print, 1)\n"
        "    return [x for x in range(3) if x]\n",
        True,
    ),
    (
        "MP012",
        "from concurrent.futures import ThreadPoolExecutor\n"
        "\n"
        "\n"
        "def run():\n"
        "    ex = ThreadPoolExecutor(1)\n"
        "    fut = ex.submit(print, 1)\n"
        "    return [fut.result() for _ in range(3)]\n",
        False,
    ),
    ("MP002", "for x in xs:\n    d.get(x)\npool.apply_async(f).get()\n", False),
    ("MP005", "from multiprocessing import Pool\nwith Pool() as p:\n    p.imap(f, g())\n", False),
    # A list, a parameter or a call of no lazy maker is read whole anyway.
    ("MP005", "from multiprocessing import Pool\ndef run(xs):\n    with Pool() as p:\n        p.map(f, xs)\n", False),
    ("MP005", "from multiprocessing import Pool\nwith Pool() as p:\n    p.map(f, load(path))\n", False),
    ("MP005", "from multiprocessing import Pool\nxs = load()\nwith Pool() as p:\n    p.map(f, xs)\n", False),
    ("MP005", "from multiprocessing import Pool\nPool().map(f, range(10))\n", False),
    ("MP005", "from multiprocessing import Pool\nPool().map(f, range(2, 10**9 + 2))\n", True),
    ("MP005", "from multiprocessing import Pool\nPool().map(f, range(0, 2**40, 2**10))\n", True),
    ("MP005", "from multiprocessing import Pool\nwith Pool() as p, open(a) as fh:\n    p.map(f, fh)\n", True),
    ("MP005", "from multiprocessing import Pool\nfrom itertools import count as c\nPool().map(f, c())\n", True),
    ("MP005", "from multiprocessing import Pool\nimport sys\nwith Pool() as p:\n    p.map(f, sys.stdin)\n", True),
    ("MP005", "from multiprocessing import Pool\ndef g():\n    yield 1\nxs = g()\nys = xs\nPool().map(f, ys)\n", True),
    (
        "MP010",
        """\
from multiprocessing import Process, Queue


def work(out, n):
    out.put(n * n)


q = Queue()
p = Process(target=work, args=(q, 1))
p.start()
x = q.get()
p.join()
""",
        False,
    ),
    ("MP011", "from multiprocessing import Pool\nwith Pool() as p:\n    p.map(f, xs)\n", False),
    ("MP011", "from multiprocessing import Pool as P\np = P()\n", True),
    # The list a child changes and reads is its own: no module-level name is set at run time.
    (
        "MP014",
        """\
from multiprocessing import Process


def work():
    seen = []
    seen.append(1)
    print(seen)


if __name__ == "__main__":
    Process(target=work).start()
""",
        False,
    ),
    (
        "MP014",
        """\
from multiprocessing import Process


def work():
    print(seen)


def load():
    global seen
    seen = [1]


if __name__ == "__main__":
    load()
    Process(target=work).start()
""",
        True,
    ),
    # `del` of the handles reads them, as libcst counts it a reference.
    (
        "MP012",
        "from multiprocessing import Pool\n"
        "\n"
        "\n"
        "def run():\n"
        "    pool = Pool(2)\n"
        "    results = [pool.apply_async(abs, (i,)) for i in range(3)]\n"
        "    del results\n"
        "    pool.close()\n"
        "    pool.join()\n",
        False,
    ),
    (
        "MP012",
        "from multiprocessing import Pool\n"
        "\n"
        "\n"
        "def run():\n"
        "    pool = Pool(2)\n"
        "    results = [pool.apply_async(abs, (i,)) for i in range(3)]\n"
        "    pool.close()\n"
        "    pool.join()\n",
        True,
    ),
    # A method's change runs wherever its object is: only a function of the module's body is the parent's.
    (
        "MP014",
        "from multiprocessing import Process\n"
        "\n"
        "seen = []\n"
        "\n"
        "\n"
        "class Log:\n"
        "    def add(self):\n"
        "        seen.append(1)\n"
        "\n"
        "\n"
        "def work():\n"
        "    print(seen)\n"
        "\n"
        "\n"
        'if __name__ == "__main__":\n'
        "    Process(target=work).start()\n",
        False,
    ),
    (
        "MP014",
        "from multiprocessing import Process\n"
        "\n"
        "seen = []\n"
        "\n"
        "\n"
        "def add():\n"
        "    seen.append(1)\n"
        "\n"
        "\n"
        "def work():\n"
        "    print(seen)\n"
        "\n"
        "\n"
        'if __name__ == "__main__":\n'
        "    add()\n"
        "    Process(target=work).start()\n",
        True,
    ),
    # The parent reads the changed name only in a class, or in a function that a class calls:
    # no read is surely the parent's.
    (
        "MP008",
        "from multiprocessing import Pool\n"
        "\n"
        "depth = 0\n"
        "\n"
        "\n"
        "def work(n):\n"
        "    global depth\n"
        "    depth = n\n"
        "    return n\n"
        "\n"
        "\n"
        "class Runner:\n"
        "    def check(self):\n"
        "        return depth\n"
        "\n"
        "\n"
        'if __name__ == "__main__":\n'
        "    with Pool(2) as pool:\n"
        "        pool.map(work, [1, 2])\n",
        False,
    ),
    (
        "MP008",
        "from multiprocessing import Pool\n"
        "\n"
        "depth = 0\n"
        "\n"
        "\n"
        "def work(n):\n"
        "    global depth\n"
        "    depth = n\n"
        "    return n\n"
        "\n"
        "\n"
        'if __name__ == "__main__":\n'
        "    with Pool(2) as pool:\n"
        "        pool.map(work, [1, 2])\n"
        "    print(depth)\n",
        True,
    ),
    (
        "MP008",
        "from multiprocessing import Pool\n"
        "\n"
        "depth = 0\n"
        "\n"
        "\n"
        "def work(n):\n"
        "    global depth\n"
        "    depth = n\n"
        "    return n\n"
        "\n"
        "\n"
        "def check():\n"
        "    return depth\n"
        "\n"
        "\n"
        "class Runner:\n"
        "    def run(self):\n"
        "        return check()\n"
        "\n"
        "\n"
        'if __name__ == "__main__":\n'
        "    with Pool(2) as pool:\n"
        "        pool.map(work, [1, 2])\n",
        False,
    ),
    (
        "MP008",
        "from multiprocessing import Pool\n"
        "\n"
        "depth = 0\n"
        "\n"
        "\n"
        "def work(n):\n"
        "    global depth\n"
        "    depth = n\n"
        "    return n\n"
        "\n"
        "\n"
        "def check():\n"
        "    return depth\n"
        "\n"
        "\n"
        'if __name__ == "__main__":\n'
        "    with Pool(2) as pool:\n"
        "        pool.map(work, [1, 2])\n"
        "    check()\n",
        True,
    ),
    # A pool made for each iteration is the loop's purpose; a pool made once, one taken from a list,
    # the loop's own target and a handle bound in another function are not.
    (
        "MP002",
        "from concurrent.futures import ProcessPoolExecutor\n"
        "\n"
        "\n"
        "def run():\n"
        "    for n in range(3):\n"
        "        with ProcessPoolExecutor(2) as ex:\n"
        "            ex.submit(abs, -n).result()\n",
        False,
    ),
    (
        "MP002",
        "from concurrent.futures import ProcessPoolExecutor\n"
        "\n"
        "\n"
        "def run():\n"
        "    with ProcessPoolExecutor(2) as ex:\n"
        "        for n in range(3):\n"
        "            ex.submit(abs, -n).result()\n",
        True,
    ),
    (
        "MP002",
        "from concurrent.futures import ProcessPoolExecutor\n"
        "\n"
        "\n"
        "def run(executors):\n"
        "    for n in range(3):\n"
        "        ex = executors[n]\n"
        "        ex.submit(abs, -n).result()\n",
        True,
    ),
    (
        "MP002",
        "from concurrent.futures import ProcessPoolExecutor\n"
        "\n"
        "\n"
        "def run(executors):\n"
        "    for ex in executors:\n"
        "        ex.submit(abs, -1).result()\n",
        True,
    ),
    (
        "MP002",
        "from concurrent.futures import ProcessPoolExecutor\n"
        "\n"
        "\n"
        "def one(ex):\n"
        "    f = ex.submit(abs, -1)\n"
        "    return f.result()\n"
        "\n"
        "\n"
        "def check(futures):\n"
        "    for f in futures:\n"
        "        f.result()\n",
        False,
    ),
    (
        "MP002",
        "from concurrent.futures import ProcessPoolExecutor\n"
        "\n"
        "\n"
        "def run(ex, xs):\n"
        "    for x in xs:\n"
        "        f = ex.submit(abs, x)\n"
        "        f.result()\n",
        True,
    ),
    # A method target that the rule follows (a plain method), and one it cannot (the
    # classmethods that test suites start processes on).
    ("MP010", METHOD_TARGET.format(decorator="", first="self"), True),
    ("MP010", METHOD_TARGET.format(decorator="@classmethod\n    ", first="cls"), False),
    # The rule follows ``self`` into a function nested in the method, and async methods;
    # and ``q.get`` handed on uncalled reads the queue.
    (
        "MP010",
        METHOD_TARGET.format(decorator="", first="self")
        .replace("        p = multiprocessing.", "        def start():\n            return multiprocessing.")
        .replace("        p.start()", "        p = start()\n        p.start()"),
        True,
    ),
    ("MP010", METHOD_TARGET.format(decorator="async ", first="self"), True),
    (
        "MP010",
        METHOD_TARGET.format(decorator="", first="self").replace(
            "        return q.get()\n", "        threading.Thread(target=q.get).start()\n"
        ),
        True,
    ),
]


@pytest.mark.parametrize(("code", "text", "expected"), PRECHECKED)
def test_the_precheck_answers(code: str, text: str, expected: bool) -> None:
    assert registry.BY_CODE[code].may_find(AstFacts(ast.parse(text), text)) is expected


@pytest.mark.parametrize(
    ("code", "text"),
    [
        ("MP004", "raise ValueError(Array)\n"),
        ("MP010", "import multiprocessing\nclass ProcessError(Exception): pass\n"),
        ("MP012", "async def run_async(): await submit_async()\n"),
        ("MP002", "import multiprocessing\nfor x in xs: executor.submit(f, x)\n"),
    ],
)
def test_needles_need_every_word_of_a_group(code: str, text: str) -> None:
    assert not registry.matching(text.encode(), [registry.BY_CODE[code]])


def _needled(code: str, *words: str) -> bool:
    return bool(registry.matching(" ".join(words).encode(), [registry.BY_CODE[code]]))


def test_the_needles_spell_every_name_the_rules_resolve() -> None:
    # The registry cannot import the rules (libcst): this keeps its words in step with them.
    for name in spellings(TRIGGERS):
        prefix = [] if "Executor" in name else ["multiprocessing"]
        assert _needled("MP001", *prefix, name) and _needled("MP013", *prefix, name), name
    for name in spellings(IPC_FACTORIES):
        assert _needled("MP003", "multiprocessing", "Process", name), name
    for name in spellings(FACTORIES):
        assert _needled("MP004", "multiprocessing", name), name
    for method in TASK_METHODS:
        for pool in (["multiprocessing", "Pool"], ["ProcessPoolExecutor"]):
            assert all(_needled(code, *pool, method) for code in ("MP006", "MP008", "MP009")), method
            assert all(_needled("MP007", *pool, method, setup) for setup in SPELLINGS), method
    for method in ASYNC_METHODS:
        assert _needled("MP012", method), method
    # A thread pool spelled `Pool` is imported from multiprocessing.dummy.
    threads = spellings(THREAD_POOLS) - {"Pool"} | {"dummy"} | {name.rsplit(".", 1)[-1] for name in THREAD_CALLS}
    for name in threads:
        assert _needled("MP019", "multiprocessing", "fork", name), name


def test_the_needles_spell_every_library_of_the_table() -> None:
    # Each library's own spelling of a trigger, beside the library's needle, reaches the
    # rules that hear it; a file that names the library is parsed.
    for library in LIBRARIES:
        for qualified, api in library.qualified_apis():
            name = qualified.rsplit(".", 1)[-1]
            for code in sorted({"MP001", "MP013"} - library.moot) if api in TRIGGERS else ():
                assert _needled(code, library.needle.decode(), name), (library.name, name, code)
        assert prefilter(library.needle + b"\ndef broken(:\n", registry.RULES) is not None, library.name


def test_a_file_that_names_the_apis_is_parsed_whatever_the_needles() -> None:
    # So that a broken one is reported: the pre-checks turn a sound one away.
    assert prefilter(b"import multiprocessing\ndef broken(:\n", registry.RULES) is not None
    assert prefilter(b"def broken(:\nraise ValueError(Array)\n", registry.RULES) is None
    assert prefilter(b"import multiprocessing\n", ()) is None


def test_facts_take_a_bare_tree_or_facts() -> None:
    facts = AstFacts(ast.parse("from multiprocessing import Pool as P, Process\nimport os.path as osp\n"))
    assert AstFacts.of(facts) is facts
    assert facts.aliases({"Pool", "Process"}) == {"Pool", "P", "Process"}
    assert facts.aliases({"path"}) == {"path", "osp"}


@pytest.mark.parametrize(
    ("test", "surely", "maybe"),
    [
        ('__name__ == "__main__"', True, True),
        ("'__main__' == __name__", True, True),
        ('__name__ in ("__main__",)', True, True),
        ('__name__ == u"__main__"', True, True),
        ('__name__ == "__ma" "in__"', False, True),  # one constant to ast, none to libcst
        ('__name__ == """__main__"""', False, True),
        ('__name__ in ("__main__", "__mp_main__")', False, False),
        ('__name__ != "__main__"', False, False),
    ],
)
def test_main_guard_tests_surely_and_maybe(test: str, surely: bool, maybe: bool) -> None:
    expression = ast.parse(test, mode="eval").body
    assert is_main_guard_test(expression, strict=True) is surely
    assert is_main_guard_test(expression) is maybe


def test_qualified_names_follow_imports_only() -> None:
    source = (
        "import os.path\nimport platform\nimport subprocess as sp\nfrom time import sleep as nap\n"
        "os.system(1); platform.system(); sp.run(); nap(); print(); os.path.join()\n"
    )
    facts = AstFacts(ast.parse(source))
    wanted = {"os.system", "subprocess.run", "time.sleep", "builtins.print"}
    resolved = {ast.unparse(c.func): facts.may_resolve_to(c.func, wanted) for c in facts.nodes(ast.Call)}
    assert resolved == {
        "os.system": True, "platform.system": False, "sp.run": True, "nap": True, "print": True, "os.path.join": False,
    }  # fmt: skip
    star = AstFacts(ast.parse("from os import *\nsystem(1)\n"))
    assert star.may_resolve_to(star.nodes(ast.Call)[0].func, {"os.system"})


def test_entries_are_found_by_role() -> None:
    source = """\
import multiprocessing as mp
from concurrent.futures import ProcessPoolExecutor as PPE


def target():
    pass


def task(x):
    pass


def init():
    pass


def elsewhere(x):
    pass


mp.Process(target=target)
with PPE() as executor:
    executor.map(task, [1])
pool = mp.Pool(2, init)
self.pool.map(elsewhere, [1])
"""
    entries = AstFacts(ast.parse(source)).entries
    assert (entries.targets, entries.tasks, entries.initializers) == ({"target"}, {"task"}, {"init"})


@pytest.mark.parametrize(
    ("later", "binds"),
    [
        ("tasks = []", True),
        ("del tasks", True),
        ("for tasks in runs: pass", True),
        ("import tasks", True),
        ("from queue import Queue as tasks", True),
        ("def tasks(): pass", True),
        ("class tasks: pass", True),
        ("try:\n    pass\nexcept OSError as tasks:\n    pass", True),
        ("match run:\n    case [*tasks]: pass", True),
        ("[(tasks := x) for x in runs]", True),
        ("def later(default=(tasks := [])): pass", True),
        ("print(tasks)", False),
        ("def other():\n    tasks = []", False),  # another scope's
        ("lambda tasks: tasks", False),
    ],
)
def test_a_later_binding_is_seen_in_the_scope(later: str, binds: bool) -> None:
    body = "".join(f"    {line}\n" for line in later.splitlines())
    tree = ast.parse(f"def run(runs):\n    tasks = []\n    tasks.append(1)\n{body}")
    function = tree.body[0]
    append = function.body[1]
    scopes = AstFacts(tree).scopes
    assert scopes.binds_after(function, "tasks", after=append) is binds
    assert scopes.binds_after(function, "tasks", after=function.body[-1]) is False
    reads = list(scopes.reads(function, "tasks", after=function.body[0]))
    # ``del`` reads the binding too, as libcst counts it a reference.
    assert sorted(read.lineno for read in reads) == [3] + ([4] if later in ("print(tasks)", "del tasks") else [])


ONE_WORKER = """\
from concurrent.futures import ProcessPoolExecutor
import multiprocessing as mp


def run(xs):
{body}"""
SUBMITS = "    for x in xs:\n        ex.submit(abs, x).result()\n"


@pytest.mark.parametrize(
    ("body", "found"),
    [
        ("    ex = ProcessPoolExecutor(max_workers=1)\n" + SUBMITS, False),
        ("    with mp.Pool(1) as pool:\n        for x in xs:\n            pool.apply(abs, (x,))\n", False),
        ("    with ProcessPoolExecutor((1)) as ex:\n        return [ex.submit(abs, x).result() for x in xs]\n", False),
        (
            '    pool = mp.get_context("spawn").Pool(processes=1)\n'
            "    for x in xs:\n"
            "        h = pool.apply_async(abs, (x,))\n"
            "        h.get()\n",
            False,
        ),
        # The controls, which the rule reports: two workers, a size that is no literal
        # `1` as libcst spells it, a name bound twice.
        ("    ex = ProcessPoolExecutor(max_workers=2)\n" + SUBMITS, True),
        ("    ex = ProcessPoolExecutor(max_workers=True)\n" + SUBMITS, True),
        ("    ex = ProcessPoolExecutor(0x1)\n" + SUBMITS, True),
        (
            "    ex = ProcessPoolExecutor(1)\n"
            "    if xs:\n"
            "        ex = ProcessPoolExecutor(4)\n"
            "    for x in xs:\n"
            "        ex.submit(abs, x).result()\n",
            True,
        ),
    ],
)
def test_a_wait_on_a_pool_of_one_worker_stops_at_the_precheck(body: str, found: bool) -> None:
    text = ONE_WORKER.format(body=body)

    assert ("MP002" in _codes(text, precheck=False)) is found
    assert registry.BY_CODE["MP002"].may_find(AstFacts(ast.parse(text), text)) is found
