"""serial-result-wait (MP002): the loops that wait for each task, fixed, left alone and reported."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from mpfix import registry
from mpfix.engine import analyze
from mpfix.model import Safety
from programs import START_METHODS, run_program
from rule_cases import RuleCases

MP002 = [registry.BY_CODE["MP002"]]
CASES = RuleCases("MP002")


def check(source: str, *, unsafe_fixes: bool = False):
    return analyze(source, rules=MP002, unsafe_fixes=unsafe_fixes)


# Each fixed case has a twin of the same name in LEFT_ALONE.
FIXES = [
    pytest.param(
        """\
def squares(pool, numbers):
    results = []
    for n in numbers:
        results.append(pool.apply_async(square, (n,)).get())
    return results
""",
        """\
def squares(pool, numbers):
    results = []
    handles = [pool.apply_async(square, (n,)) for n in numbers]
    for handle in handles:
        results.append(handle.get())
    return results
""",
        id="apply_async_get",
    ),
    pytest.param(
        """\
from multiprocessing import Pool

with Pool(4) as pool:
    for path in PATHS:
        pool.apply(compress, (path,))
""",
        """\
from multiprocessing import Pool

with Pool(4) as pool:
    handles = [(path, pool.apply_async(compress, (path,))) for path in PATHS]
    for path, handle in handles:
        handle.get()
""",
        id="apply_result_discarded",
    ),
    pytest.param(
        """\
from concurrent.futures import ProcessPoolExecutor


def main(urls):
    with ProcessPoolExecutor() as executor:
        for url in urls:
            page = executor.submit(fetch, url).result()
            print(url, len(page))
""",
        """\
from concurrent.futures import ProcessPoolExecutor


def main(urls):
    with ProcessPoolExecutor() as executor:
        futures = [(url, executor.submit(fetch, url)) for url in urls]
        for url, future in futures:
            page = future.result()
            print(url, len(page))
""",
        id="process_pool_executor",
    ),
    pytest.param(
        """\
class Indexer:
    def index(self, documents, terms):
        for doc in documents:
            terms.append(self.executor.submit(tokenize, doc.text).result())
""",
        """\
class Indexer:
    def index(self, documents, terms):
        futures = [self.executor.submit(tokenize, doc.text) for doc in documents]
        for future in futures:
            terms.append(future.result())
""",
        id="executor_attribute",
    ),
    pytest.param(
        """\
def sizes(pool, entries):
    total = 0
    for name, path in entries:
        total += pool.apply_async(file_size, (path,)).get()
        print(name)
    return total
""",
        """\
def sizes(pool, entries):
    total = 0
    handles = [
        ((name, path), pool.apply_async(file_size, (path,)))
        for name, path in entries
    ]
    for (name, path), handle in handles:
        total += handle.get()
        print(name)
    return total
""",
        id="tuple_target",
    ),
    pytest.param(
        """\
def fetch_all(executor, urls, pool, paths):
    for url in urls:
        print(executor.submit(fetch, url, retries=3).result(timeout=30))
    for path in paths:
        print(pool.apply_async(load, (path,), {"strict": True}).get(5))
""",
        """\
def fetch_all(executor, urls, pool, paths):
    futures = [executor.submit(fetch, url, retries=3) for url in urls]
    for future in futures:
        print(future.result(timeout=30))
    handles = [pool.apply_async(load, (path,), {"strict": True}) for path in paths]
    for handle in handles:
        print(handle.get(5))
""",
        id="timeout_kept",
    ),
    pytest.param(
        """\
def check(pool, items):
    # Check every item.
    for item in items:  # one by one
        # Submit, then wait.
        ok = pool.apply_async(validate, (item,)).get()  # blocks
        # Report.
        print(item, ok)
    else:
        print("all checked")
""",
        """\
def check(pool, items):
    # Check every item.
    handles = [(item, pool.apply_async(validate, (item,))) for item in items]
    for item, handle in handles:  # one by one
        # Submit, then wait.
        ok = handle.get()  # blocks
        # Report.
        print(item, ok)
    else:
        print("all checked")
""",
        id="else_and_comments",
    ),
    pytest.param(
        """\
def run(pool, jobs):
    for job in jobs:
        # Start the job.
        handle = pool.apply_async(execute, (job,))
        label = f"job {job}"
        result = handle.get()
        print(label, result)
""",
        """\
def run(pool, jobs):
    handles = [(job, pool.apply_async(execute, (job,))) for job in jobs]
    for job, handle in handles:
        # Start the job.
        label = f"job {job}"
        result = handle.get()
        print(label, result)
""",
        id="two_statements",
    ),
    pytest.param(
        """\
def squares(pool, numbers):
    return [pool.apply_async(square, (n,)).get() for n in numbers]
""",
        """\
def squares(pool, numbers):
    return [handle.get() for handle in [pool.apply_async(square, (n,)) for n in numbers]]
""",
        id="list_comprehension",
    ),
    pytest.param(
        """\
def checksums(executor, paths):
    return {path: executor.submit(digest, path).result() for path in paths if path}
""",
        """\
def checksums(executor, paths):
    return {path: future.result() for path, future in [(path, executor.submit(digest, path)) for path in paths if path]}
""",
        id="dict_comprehension",
    ),
    pytest.param(
        """\
def total_size(executor, paths):
    return sum(executor.submit(file_size, p).result() for p in paths)
""",
        """\
def total_size(executor, paths):
    return sum(future.result() for future in [executor.submit(file_size, p) for p in paths])
""",
        id="generator_into_sum",
    ),
    pytest.param(
        """\
import multiprocessing as mp


def main(numbers):
    ctx = mp.get_context("spawn")
    with ctx.Pool(2) as pool:
        for n in numbers:
            print(pool.apply(square, (n,)))
""",
        """\
import multiprocessing as mp


def main(numbers):
    ctx = mp.get_context("spawn")
    with ctx.Pool(2) as pool:
        handles = [pool.apply_async(square, (n,)) for n in numbers]
        for handle in handles:
            print(handle.get())
""",
        id="context_pool_apply",
    ),
    pytest.param(
        """\
from multiprocessing.pool import ThreadPool


def run(pool, items):
    for item in items:
        pool.apply(work, (item,))


def main():
    with ThreadPool(2) as threads:
        run(threads, [1, 2])
    run(items=[3], pool=ThreadPool(1))
""",
        """\
from multiprocessing.pool import ThreadPool


def run(pool, items):
    handles = [pool.apply_async(work, (item,)) for item in items]
    for handle in handles:
        handle.get()


def main():
    with ThreadPool(2) as threads:
        run(threads, [1, 2])
    run(items=[3], pool=ThreadPool(1))
""",
        id="pool_passed_by_every_caller",
    ),
    pytest.param(
        """\
import multiprocessing.pool


def run(pool: multiprocessing.pool.Pool, items):
    for item in items: pool.apply(work, (item,)); print(item)
""",
        """\
import multiprocessing.pool


def run(pool: multiprocessing.pool.Pool, items):
    handles = [(item, pool.apply_async(work, (item,))) for item in items]
    for item, handle in handles: handle.get(); print(item)
""",
        id="annotated_pool",
    ),
    pytest.param(
        """\
def compare(pool, pairs):
    for left, right in pairs:
        a = pool.apply_async(measure, (left,)).get()
        b = pool.apply_async(measure, (right,)).get()
        print(left, right, a - b)
""",
        """\
def compare(pool, pairs):
    handles = [
        ((left, right), pool.apply_async(measure, (left,)), pool.apply_async(measure, (right,)))
        for left, right in pairs
    ]
    for (left, right), handle, handle_2 in handles:
        a = handle.get()
        b = handle_2.get()
        print(left, right, a - b)
""",
        id="independent_submissions",
    ),
    pytest.param(
        """\
def grid(pool, rows):
    for row in rows:
        cells = []
        for x in row:
            cells.append(pool.apply_async(shade, (x,)).get())
        print(cells)
""",
        """\
def grid(pool, rows):
    for row in rows:
        cells = []
        handles = [pool.apply_async(shade, (x,)) for x in row]
        for handle in handles:
            cells.append(handle.get())
        print(cells)
""",
        id="inner_loop_only",
    ),
    pytest.param(
        """\
def valid(executor, items):
    kept = []
    for item in items:
        if executor.submit(check, item).result():
            kept.append(item)
    return kept
""",
        """\
def valid(executor, items):
    kept = []
    futures = [(item, executor.submit(check, item)) for item in items]
    for item, future in futures:
        if future.result():
            kept.append(item)
    return kept
""",
        id="wait_in_if_test",
    ),
    pytest.param(
        """\
def report(pool, items):
    for i in range(len(items)):
        label = f"item {i}"
        value = pool.apply_async(score, (items[i],)).get()
        if value is None:
            continue
        print(label, value)
""",
        """\
def report(pool, items):
    handles = [(i, pool.apply_async(score, (items[i],))) for i in range(len(items))]
    for i, handle in handles:
        label = f"item {i}"
        value = handle.get()
        if value is None:
            continue
        print(label, value)
""",
        id="local_names_before_the_wait",
    ),
    pytest.param(
        """\
def run(pool):
    for configuration_name in "small", "medium", "large":
        print(pool.apply_async(run_benchmark_configuration, (configuration_name, 100)).get())
""",
        """\
def run(pool):
    handles = [
        pool.apply_async(run_benchmark_configuration, (configuration_name, 100))
        for configuration_name in ("small", "medium", "large")
    ]
    for handle in handles:
        print(handle.get())
""",
        id="tuple_iterable_and_long_line",
    ),
    pytest.param(
        """\
def run(executor, xs):
    for x in xs:
        print(executor.submit(lambda x=x: x * x).result())
""",
        """\
def run(executor, xs):
    futures = [executor.submit(lambda x=x: x * x) for x in xs]
    for future in futures:
        print(future.result())
""",
        id="lambda_binding_the_item",
    ),
]

# The twins of SERIAL_BY_DESIGN's pool made for each start method and next step.
FIXES += [
    pytest.param(
        """\
from multiprocessing import get_context


def f(x):
    return x


def test_start_methods():
    with get_context("spawn").Pool(2) as p:
        for n in (1, 2):
            print(p.apply_async(f, (n,)).get())
""",
        """\
from multiprocessing import get_context


def f(x):
    return x


def test_start_methods():
    with get_context("spawn").Pool(2) as p:
        handles = [p.apply_async(f, (n,)) for n in (1, 2)]
        for handle in handles:
            print(handle.get())
""",
        id="pool_made_once_before_the_loop",
    ),
    pytest.param(
        """\
from concurrent.futures import ProcessPoolExecutor


def square(x):
    return x * x


def check_each(executor_type, xs):
    with executor_type(max_workers=1) as ex:
        for x in xs:
            print(ex.submit(square, x).result())


if __name__ == "__main__":
    check_each(ProcessPoolExecutor, range(3))
""",
        """\
from concurrent.futures import ProcessPoolExecutor


def square(x):
    return x * x


def check_each(executor_type, xs):
    with executor_type(max_workers=1) as ex:
        futures = [ex.submit(square, x) for x in xs]
        for future in futures:
            print(future.result())


if __name__ == "__main__":
    check_each(ProcessPoolExecutor, range(3))
""",
        id="executor_of_a_given_type_made_once_before_the_loop",
    ),
    pytest.param(
        """\
from multiprocessing import Pool

with Pool(2) as pool:
    for i in range(10):
        x = pool.apply(step, (i,))
""",
        """\
from multiprocessing import Pool

with Pool(2) as pool:
    handles = [(i, pool.apply_async(step, (i,))) for i in range(10)]
    for i, handle in handles:
        x = handle.get()
""",
        id="step_reads_only_the_item",
    ),
]

# The twin of each fixed case: the same shape, nothing to report.
LEFT_ALONE = [
    pytest.param(
        """\
def squares(pool, numbers):
    handles = [pool.apply_async(square, (n,)) for n in numbers]
    return [handle.get() for handle in handles]
""",
        id="apply_async_get",
    ),
    pytest.param(
        """\
import pandas as pd

for path in PATHS:
    frame = pd.read_csv(path)
    frame.apply(compress)
""",
        id="apply_result_discarded",
    ),
    pytest.param(
        """\
from concurrent.futures import ProcessPoolExecutor, as_completed


def main(urls):
    with ProcessPoolExecutor() as executor:
        futures = {executor.submit(fetch, url): url for url in urls}
        for future in as_completed(futures):
            print(futures[future], len(future.result()))
""",
        id="process_pool_executor",
    ),
    pytest.param(
        """\
class Indexer:
    def index(self, documents, terms):
        for doc in documents:
            terms.append(self.cache.get(doc.id))
""",
        id="executor_attribute",
    ),
    pytest.param(
        """\
def sizes(known, entries):
    total = 0
    for name, path in entries:
        total += known.get(path, 0)
    return total
""",
        id="tuple_target",
    ),
    pytest.param(
        """\
def drain(queue, count):
    for _ in range(count):
        print(queue.get(timeout=30))
""",
        id="timeout_kept",
    ),
    pytest.param(
        """\
def check(pool, items):
    # Submit everything first.
    handles = [pool.apply_async(validate, (item,)) for item in items]
    for item, handle in zip(items, handles):
        print(item, handle.get())
    else:
        print("all checked")
""",
        id="else_and_comments",
    ),
    pytest.param(
        """\
def run(pool, jobs):
    handles = []
    for job in jobs:
        handle = pool.apply_async(execute, (job,))
        handles.append(handle)
    for handle in handles:
        print(handle.get())
""",
        id="two_statements",
    ),
    pytest.param(
        """\
def squares(pool, numbers):
    handles = [pool.apply_async(square, (n,)) for n in numbers]
    return [h.get() for h in handles]
""",
        id="list_comprehension",
    ),
    pytest.param(
        """\
def checksums(cache, paths):
    return {path: cache.get(path) for path in paths}
""",
        id="dict_comprehension",
    ),
    pytest.param(
        """\
from concurrent.futures import wait


def total_size(executor, paths):
    done, _ = wait(executor.submit(file_size, p) for p in paths)
    return sum(f.result() for f in done)
""",
        id="generator_into_sum",
    ),
    pytest.param(
        """\
from mpire import WorkerPool


def main(numbers):
    with WorkerPool(2) as pool:
        for n in numbers:
            print(pool.apply(square, (n,)))
""",
        id="context_pool_apply",
    ),
    pytest.param(
        """\
from multiprocessing.pool import ThreadPool


def run(pool, items):
    for item in items:
        pool.apply(work, (item,))


def main(other):
    with ThreadPool(2) as threads:
        run(threads, [1, 2])
    run(other, [3])
""",
        id="pool_passed_by_every_caller",
    ),
    pytest.param(
        """\
from mpire import WorkerPool


def run(pool: WorkerPool, items):
    for item in items: pool.apply(work, (item,)); print(item)
""",
        id="annotated_pool",
    ),
    pytest.param(
        """\
def compare(pool, pairs):
    for left, right in pairs:
        a = pool.apply_async(measure, (left,))
        b = pool.apply_async(measure, (right,))
        pending.append((left, right, a, b))
""",
        id="independent_submissions",
    ),
    pytest.param(
        """\
def grid(pool, rows):
    for row in rows:
        callbacks = []
        for x in row:
            callbacks.append(lambda x=x: pool.apply_async(shade, (x,)).get())
        print(callbacks)
""",
        id="inner_loop_only",
    ),
    pytest.param(
        """\
def valid(executor, items):
    kept = []
    for item in items:
        if executor.submit(check, item).done():
            kept.append(item)
    return kept
""",
        id="wait_in_if_test",
    ),
    pytest.param(
        """\
def report(pool, items):
    value = pool.apply_async(score, (items,)).get()
    for i in range(len(items)):
        label = f"item {i}"
        print(label, value)
""",
        id="local_names_before_the_wait",
    ),
    pytest.param(
        """\
def run(pool):
    return pool.map(run_benchmark_configuration, ["small", "medium", "large"])
""",
        id="tuple_iterable_and_long_line",
    ),
    pytest.param(
        """\
def run(executor, xs):
    futures = [executor.submit(lambda x=x: x * x) for x in xs]
    for future in futures:
        print(future.result())
""",
        id="lambda_binding_the_item",
    ),
]

# Loops that wait for each task because they must, or that make a pool for each task on
# purpose: nothing to report. Each has a twin of the same shape that is fixed or reported.
SERIAL_BY_DESIGN = [
    # One worker runs one task at a time whatever the loop does (joblib's hashing test
    # compares hashes made in two single-worker executors).
    pytest.param(
        """\
from concurrent.futures import ProcessPoolExecutor


def main(objects):
    executor = ProcessPoolExecutor(max_workers=1)
    for obj in objects:
        print(executor.submit(hash, obj).result())
""",
        id="executor_with_one_worker",
    ),
    pytest.param(
        """\
from multiprocessing import Pool


def main(paths):
    with Pool(1) as pool:
        for path in paths:
            print(pool.apply_async(len, (path,)).get())
""",
        id="pool_with_one_process",
    ),
    pytest.param(
        """\
import multiprocessing


def main(paths):
    for path in paths:
        print(multiprocessing.Pool(processes=1).apply(len, (path,)))
""",
        id="pool_with_one_process_made_in_the_loop",
    ),
    pytest.param(
        """\
from multiprocessing import get_context


def f(x):
    return x


def test_start_methods():
    for method in ("fork", "spawn"):
        with get_context(method).Pool(2) as p:
            print(p.apply_async(f, (1,)).get())
""",
        id="pool_for_each_start_method",
    ),
    pytest.param(
        """\
from multiprocessing import Pool


def fetch():
    for attempt in range(3):
        pool = Pool(2)
        try:
            return pool.apply_async(download).get(timeout=5)
        except TimeoutError:
            pool.terminate()
""",
        id="retry_with_a_fresh_pool",
    ),
    pytest.param(
        """\
from concurrent.futures import ProcessPoolExecutor


def test_shutdown_race():
    for i in range(50):
        executor = ProcessPoolExecutor(2)
        executor.submit(f, i).result()
        executor.shutdown(wait=False)
""",
        id="executor_for_each_iteration",
    ),
    pytest.param(
        """\
from multiprocessing import Pool


def run(xs):
    for x in xs:
        with Pool(2) as pool:
            print(pool.apply(f, (x,)))
""",
        id="pool_created_in_the_loop",
    ),
    pytest.param(
        """\
from concurrent.futures import ProcessPoolExecutor


def square(x):
    return x * x


def check_each(executor_types):
    for executor_type in executor_types:  # one executor per configuration
        with executor_type(max_workers=1) as ex:
            assert ex.submit(square, 3).result() == 9


if __name__ == "__main__":
    check_each([ProcessPoolExecutor])
""",
        id="executor_of_each_type_made_in_the_loop",
    ),
    pytest.param(
        """\
import billiard.pool
from billiard import get_context


def test_start_methods():
    for ctx in ("fork", "spawn"):
        pool = billiard.pool.Pool(processes=1, context=get_context(ctx))
        print(pool.apply_async(abs, (-1,)).get(5))
        pool.terminate()
""",
        id="pool_of_another_library_made_in_the_loop",
    ),
    pytest.param(
        """\
from concurrent.futures import ThreadPoolExecutor


def run(xs):
    for x in xs:
        print(ThreadPoolExecutor().submit(f, x).result())
""",
        id="executor_created_in_the_call",
    ),
    pytest.param(
        """\
from multiprocessing import Pool

with Pool(2) as pool:
    x = SEED
    for _ in range(10):
        x = pool.apply(step, (x,))
""",
        id="next_step_reads_the_result",
    ),
    pytest.param(
        """\
def converge(pool, state):
    for _ in range(10):
        r = pool.apply_async(f, (state,)).get()
        state = update(state, r)
    return state
""",
        id="state_updated_from_the_result",
    ),
    pytest.param(
        """\
def walk(executor, start):
    previous = start
    for _ in range(5):
        request = make_request(previous)
        answer = executor.submit(ask, request).result()
        previous = answer.next
""",
        id="request_built_from_the_last_answer",
    ),
    pytest.param(
        """\
def run(pool, xs):
    acc = 0
    for x in xs:
        acc = pool.apply_async(step, (acc, x)).get()
    return acc
""",
        id="loop_carried_assignment",
    ),
    pytest.param(
        """\
def run(pool, xs):
    state = {}
    for x in xs:
        update = pool.apply_async(step, (x, state)).get()
        merge(state, update)
""",
        id="loop_carried_mutation",
    ),
    pytest.param(
        """\
class Counter:
    def run(self, xs):
        for x in xs:
            self.total += self.pool.apply_async(f, (x, self.total)).get()
""",
        id="attribute_changed_by_the_body",
    ),
    pytest.param(
        """\
def first_ready(executor, hosts):
    for host in hosts:
        status = executor.submit(probe, host).result()
        if status == "ready":
            return host
""",
        id="return_decided_on_the_result",
    ),
    pytest.param(
        """\
def fetch(pool):
    for attempt in range(3):
        try:
            return pool.apply_async(download).get(timeout=5)
        except TimeoutError:
            print("retrying")
""",
        id="retry_until_no_timeout",
    ),
    pytest.param(
        """\
def first_match(pool, candidates):
    for c in candidates:
        if pool.apply_async(matches, (c,)).get():
            break
""",
        id="break_on_unknown_iterable",
    ),
    pytest.param(
        """\
def first_match(pool):
    for c in range(100):
        if pool.apply_async(matches, (c,)).get():
            print("found", c)
            break
""",
        id="break_on_finite_iterable",
    ),
    pytest.param(
        """\
def run(pool):
    for attempt in range(3):
        if pool.apply_async(connect).get():
            break
""",
        id="retry_with_break",
    ),
    pytest.param(
        """\
def any_bad(executor):
    paths = ["a", "b", "c"]
    return any(executor.submit(is_bad, p).result() for p in paths)
""",
        id="any_over_a_list",
    ),
    pytest.param(
        """\
def run(pool):
    n = 0
    while n < 10:
        n = pool.apply_async(f, (n,)).get()
""",
        id="while_loop",
    ),
    pytest.param(
        """\
def poll(pool, job):
    done = False
    while not done:
        done = pool.apply_async(check, (job,)).get()
""",
        id="while_until_done",
    ),
]

# Loops that must stay serial, with the reason that the message gives after "not fixed: ".
REPORTED = [
    pytest.param(
        """\
def run(pool, xs):
    acc = 0
    for x in xs:
        print(pool.apply_async(step, (acc, x)).get())
        acc += x
""",
        "loop-carried dependency: the task's arguments read `acc`, which the loop body assigns (line 5)",
        id="loop_carried_not_from_a_result",
    ),
    pytest.param(
        """\
def run(pool, xs):
    state = {}
    for x in xs:
        update = pool.apply_async(step, (x, state)).get()
        merge(state, x)
        print(update)
""",
        "loop-carried dependency: the loop body may change `state` (line 5)",
        id="mutation_not_from_a_result",
    ),
    pytest.param(
        """\
def run(pools, xs):
    for x in xs:
        pool = pools[x % 2]
        print(pool.apply_async(f, (x,)).get())
""",
        "the pool `pool` is bound inside the loop (line 3), so each task may go to another pool",
        id="pool_bound_but_not_made_in_the_loop",
    ),
    pytest.param(
        """\
def first_match(pool, candidates):
    for c in candidates:
        print(pool.apply_async(matches, (c,)).get())
        if c == "stop":
            break
""",
        "`break` (line 5) can leave the loop early",
        id="break_not_decided_on_a_result",
    ),
    pytest.param(
        """\
def run(pool, todo):
    while todo:
        print(pool.apply_async(f, (todo.pop(),)).get())
""",
        "in a `while` loop the condition may depend on each result",
        id="while_loop_independent_of_the_results",
    ),
    pytest.param(
        """\
def run(pool, xs):
    for x in xs:
        y = x * 2
        print(pool.apply_async(f, (y,)).get())
""",
        "the task's arguments read `y`, which the loop body computes before the submission (line 3)",
        id="argument_computed_in_the_body",
    ),
    pytest.param(
        """\
def run(executor, gets):
    for get in gets:

        def f(get):
            return get("x")

        future = executor.submit(f, get)
        print(future.result())
""",
        "the task's arguments read `f`, which the loop body defines before the submission (line 4)",
        id="task_defined_in_the_body",
    ),
    pytest.param(
        """\
def run(pool, xs):
    for x in xs:
        if x is None:
            continue
        print(pool.apply_async(f, (x,)).get())
""",
        "`continue` (line 4) skips the wait on some iterations",
        id="continue_before_the_wait",
    ),
    pytest.param(
        """\
def results(pool, xs):
    for x in xs:
        yield pool.apply_async(f, (x,)).get()
""",
        "the loop pauses at `yield` (line 3) between items",
        id="yield",
    ),
    pytest.param(
        """\
async def run(pool, xs):
    for x in xs:
        await asyncio.sleep(0)
        print(pool.apply_async(f, (x,)).get())
""",
        "the loop pauses at `await` (line 3) between items",
        id="await",
    ),
    pytest.param(
        """\
def run(pool, paths):
    for path in paths:
        path.write_text("input")
        print(pool.apply_async(process_file, (path,)).get())
""",
        '`path.write_text("input")` (line 3) runs before the wait and may have side effects',
        id="side_effect_before_the_wait",
    ),
    pytest.param(
        """\
def run(pool, paths):
    for path in paths:
        print(pool.apply_async(process, (load(path),)).get())
""",
        "the submission calls `load(path)`",
        id="call_in_the_arguments",
    ),
    pytest.param(
        """\
def run(pools):
    for pool in pools:
        print(pool.apply_async(ping).get())
""",
        "the loop iterates over pools (`pool`)",
        id="loop_over_pools",
    ),
    pytest.param(
        """\
def run(pool, xs):
    for x in xs:
        try:
            print(pool.apply_async(f, (x,)).get(timeout=1))
        except TimeoutError:
            print("timed out")
""",
        "the wait is inside `try`",
        id="retry_with_try",
    ),
    pytest.param(
        """\
def run(pool, xs):
    for x in xs:
        if x > 0:
            print(pool.apply_async(f, (x,)).get())
""",
        "the wait runs only when the condition on line 3 allows it",
        id="conditional_wait",
    ),
    pytest.param(
        """\
def run(pool, xs):
    for x in xs:
        a = pool.apply_async(parse, (x,)).get()
        b = pool.apply_async(check, (a,)).get()
        print(b)
""",
        "one iteration waits on several submissions that depend on each other",
        id="dependent_submissions",
    ),
    pytest.param(
        """\
def crawl(pool, queue):
    for page in queue:
        queue.extend(pool.apply_async(links, (page,)).get())
""",
        "the loop body may change `queue` (line 3)",
        id="iterable_changed_by_the_body",
    ),
    pytest.param(
        """\
def run(pool, rows, labels):
    for row in rows:
        print(labels.get(row, "?"), pool.apply_async(total, (row, labels)).get())
""",
        '`labels.get(row, "?")` (line 3) runs before the wait and may have side effects',
        id="dict_read_is_no_change",
    ),
    pytest.param(
        """\
def run(pool, rows, labels):
    for row in rows:
        print(labels.pop(row, "?"), pool.apply_async(total, (row, labels)).get())
""",
        "loop-carried dependency: the loop body may change `labels` (line 3), which the next submission reads",
        id="dict_pop_is_a_change",
    ),
    pytest.param(
        """\
def run(pool, rows, queue):
    for row in rows:
        print(queue.get(True), pool.apply_async(total, (row, queue)).get())
""",
        "loop-carried dependency: the loop body may change `queue` (line 3), which the next submission reads",
        id="queue_get_takes_an_item_out",
    ),
    pytest.param(
        """\
def run(pool, xs):
    for x in xs:
        pool.apply_async(f, (x,), callback=print).get()
""",
        "the task has a callback",
        id="callback",
    ),
    pytest.param(
        """\
def run(executor, xs):
    for r in (executor.submit(f, x).result() for x in xs):
        print(r)
""",
        "a generator expression runs each task only when it is consumed",
        id="lazy_generator",
    ),
    pytest.param(
        """\
class Table:
    for x in range(3):
        pool.apply_async(f, (x,)).get()
""",
        "the loop is in a class body, whose names a comprehension cannot see",
        id="class_body",
    ),
    pytest.param(
        """\
def run(pool, xs, lock):
    for x in xs:
        with lock:
            print(pool.apply_async(f, (x,)).get())
""",
        "the wait is inside the `with` statement on line 3",
        id="with_around_the_wait",
    ),
    pytest.param(
        """\
def run(executor, xs):
    for x in xs:
        print(executor.submit(lambda: x * x).result())
""",
        "the task is a lambda that reads `x` when it runs",
        id="late_binding_lambda",
    ),
    pytest.param(
        """\
def run(executor, urls):
    for url in urls:
        print(executor.submit(crawl, executor, url).result())
""",
        "the task `crawl` can reach `executor` itself",
        id="task_receives_its_executor",
    ),
    pytest.param(
        """\
from concurrent.futures import ThreadPoolExecutor

EXECUTOR = ThreadPoolExecutor(2)


def crawl(url):
    return EXECUTOR.submit(fetch, url).result()


def main(urls):
    for url in urls:
        print(EXECUTOR.submit(crawl, url).result())
""",
        "the task `crawl` can reach `EXECUTOR` itself",
        id="task_function_uses_its_executor",
    ),
    pytest.param(
        """\
class Crawler:
    def run(self, urls):
        for url in urls:
            print(self.executor.submit(self.crawl, url).result())
""",
        "the task `self.crawl` can reach `self.executor` itself",
        id="task_method_of_the_executors_owner",
    ),
    pytest.param(
        """\
def run(pool, xs):
    return [x for x in xs if pool.apply_async(f, (x,)).get()]
""",
        "the wait is in the comprehension's `if` clause, which decides which tasks run",
        id="comprehension_condition",
    ),
]

# An early exit from a finite loop: the fix only adds work, so it is applied on request.
UNSAFE = [
    pytest.param(
        """\
def first_match(pool):
    for c in range(100):
        print(pool.apply_async(matches, (c,)).get())
        if c == LIMIT:
            break
""",
        """\
def first_match(pool):
    handles = [(c, pool.apply_async(matches, (c,))) for c in range(100)]
    for c, handle in handles:
        print(handle.get())
        if c == LIMIT:
            break
""",
        "`break` (line 5) can leave the loop early",
        id="break_decided_on_the_item",
    ),
    pytest.param(
        """\
def check_all(pool, items):
    for item in sorted(items):
        if not pool.apply_async(check, (item,)).get():
            raise ValueError(item)
""",
        """\
def check_all(pool, items):
    handles = [(item, pool.apply_async(check, (item,))) for item in sorted(items)]
    for item, handle in handles:
        if not handle.get():
            raise ValueError(item)
""",
        "`raise` (line 4) can leave the loop early",
        id="raise_in_a_loop_over_sorted",
    ),
]


# Loops over an input read one item at a time: the fix reads all of it first.
UNSAFE += [
    pytest.param(
        """\
def main(pool, path):
    with open(path) as lines:
        for line in lines:
            print(pool.apply_async(parse, (line,)).get())
""",
        """\
def main(pool, path):
    with open(path) as lines:
        handles = [pool.apply_async(parse, (line,)) for line in lines]
        for handle in handles:
            print(handle.get())
""",
        "the fix reads all of the open file `lines` before the loop body sees the first result",
        id="loop_over_an_open_file",
    ),
    pytest.param(
        """\
import sys


def main(executor):
    for line in sys.stdin:
        print(executor.submit(parse, line).result())
""",
        """\
import sys


def main(executor):
    futures = [executor.submit(parse, line) for line in sys.stdin]
    for future in futures:
        print(future.result())
""",
        "the fix reads all of `sys.stdin` before the loop body sees the first result",
        id="loop_over_stdin",
    ),
    pytest.param(
        """\
def rows(path):
    with open(path) as f:
        yield from f


def parse_all(pool, path):
    return [pool.apply_async(parse, (r,)).get() for r in rows(path)]
""",
        """\
def rows(path):
    with open(path) as f:
        yield from f


def parse_all(pool, path):
    return [handle.get() for handle in [pool.apply_async(parse, (r,)) for r in rows(path)]]
""",
        "the fix reads all of the generator `rows()` before the loop body sees the first result",
        id="comprehension_over_a_generator",
    ),
]

# Their twins: a list of the lines is read whole by the program itself, and an endless
# input, which the fix would read forever.
FIXES += [
    pytest.param(
        """\
def main(pool, path):
    with open(path) as lines:
        for line in lines.readlines():
            print(pool.apply_async(parse, (line,)).get())
""",
        """\
def main(pool, path):
    with open(path) as lines:
        handles = [pool.apply_async(parse, (line,)) for line in lines.readlines()]
        for handle in handles:
            print(handle.get())
""",
        id="loop_over_the_lines_read_whole",
    ),
]
REPORTED += [
    pytest.param(
        """\
import itertools


def main(pool):
    for n in itertools.count():
        print(pool.apply_async(f, (n,)).get())
""",
        "`itertools.count()` never ends: submitting every task first would read it forever",
        id="loop_over_an_endless_input",
    ),
]


@pytest.mark.parametrize(("before", "after"), FIXES)
def test_fixes(before: str, after: str) -> None:
    CASES.assert_fixes(before, after)


@pytest.mark.parametrize("source", LEFT_ALONE)
def test_leaves_alone(source: str) -> None:
    CASES.assert_leaves_alone(source)


@pytest.mark.parametrize("source", SERIAL_BY_DESIGN)
def test_serial_by_design_is_no_finding(source: str) -> None:
    CASES.assert_leaves_alone(source)


def test_one_worker_of_a_context_handed_in_runs_one_task_at_a_time_by_design() -> None:
    source = """\
def run(context):
    with context.Pool(1) as pool:
        for i in range(3):
            result = pool.apply_async(print, (i,))
            result.get()
"""
    assert CASES.check(source).findings == []
    [finding] = CASES.check(source.replace("Pool(1)", "Pool(2)")).findings
    assert finding.code == "MP002" and finding.fix is Safety.SAFE


@pytest.mark.parametrize(("one", "two"), [("max_workers=1", "max_workers=2"), ("Pool(1)", "Pool(2)")])
def test_two_workers_are_not_one(one: str, two: str) -> None:
    executor = SERIAL_BY_DESIGN[0].values[0]
    pool = SERIAL_BY_DESIGN[1].values[0]
    source = executor if one in executor else pool
    assert CASES.check(source).findings == []
    [finding] = CASES.check(source.replace(one, two)).findings
    assert finding.code == "MP002" and finding.fix is Safety.SAFE


@pytest.mark.parametrize(("source", "reason"), REPORTED)
def test_reports_without_fix(source: str, reason: str) -> None:
    result = check(source, unsafe_fixes=True)
    [finding] = result.findings
    assert finding.fix is Safety.NONE
    assert "runs one task at a time; not fixed: " + reason in finding.message
    assert not result.changed


@pytest.mark.parametrize(("before", "after", "reason"), UNSAFE)
def test_unsafe_fix_only_on_request(before: str, after: str, reason: str) -> None:
    CASES.assert_unsafe_fix_only_on_request(before, after, reason)


# -- what the finding says -------------------------------------------------------------


def test_finding_points_at_the_wait_and_names_the_pitfall() -> None:
    source = "def run(pool, xs):\n    for x in xs:\n        print(pool.apply_async(f, (x,)).get())\n"
    [finding] = check(source).findings
    assert (finding.line, finding.column) == (3, 15)
    assert finding.message == (
        "`pool.apply_async(...).get()` in a `for` loop waits for each task before submitting the next, "
        "so the pool runs one task at a time"
    )
    assert finding.fix_title == "Submit every task first, then wait for the results in order"


def test_one_finding_per_loop_however_many_waits() -> None:
    source = textwrap.dedent(
        """\
        def run(pool, xs):
            for x in xs:
                a = pool.apply_async(f, (x,)).get()
                b = pool.apply_async(g, (a,)).get()
        """
    )
    [finding] = check(source).findings
    assert (finding.line, finding.column) == (3, 13)
    assert "several submissions that depend on each other" in finding.message


# -- receivers: the chained forms anywhere, `.apply` only on a proven pool -------------------


@pytest.mark.parametrize(
    "receiver",
    ["pool", "self.pool", "pools[0]", "get_pool()", "executor"],
)
def test_chained_form_is_found_on_a_receiver_of_any_type(receiver: str) -> None:
    source = (
        "def run(self, pool, pools, executor, xs):\n    for x in xs:\n"
        f"        print({receiver}.apply_async(f, (x,)).get())\n"
    )
    assert [f.code for f in check(source).findings] == ["MP002"]


@pytest.mark.parametrize(
    "binding",
    [
        "pool = multiprocessing.Pool(2)",
        "pool = multiprocessing.pool.Pool(2)",
        "pool = multiprocessing.pool.ThreadPool(2)",
        "pool = multiprocessing.dummy.Pool(2)",
        'pool = multiprocessing.get_context("spawn").Pool(2)',
        "pool: multiprocessing.pool.Pool = make_pool()",
    ],
)
def test_apply_counts_on_a_proven_pool(binding: str) -> None:
    source = (
        f"import multiprocessing.pool, multiprocessing.dummy\n{binding}\nfor x in [1, 2]:\n    pool.apply(f, (x,))\n"
    )
    assert [f.fix for f in check(source).findings] == [Safety.SAFE]


@pytest.mark.parametrize(
    "binding",
    [
        "pool = make_pool()",
        "pool = pandas.DataFrame()",
        "pool = mpire.WorkerPool(2)",
        "pool = multiprocessing.Pool(2) if fast else None",
        "pool: mpire.WorkerPool = make_pool()",
    ],
)
def test_apply_is_left_alone_on_anything_else(binding: str) -> None:
    source = f"import multiprocessing, mpire, pandas\n{binding}\nfor x in [1, 2]:\n    pool.apply(f, (x,))\n"
    assert check(source).findings == []


def test_apply_on_a_name_rebound_to_something_else_is_left_alone() -> None:
    source = (
        "import multiprocessing\npool = multiprocessing.Pool(2)\npool = frame\nfor x in [1, 2]:\n"
        "    pool.apply(f, (x,))\n"
    )
    assert check(source).findings == []


def test_dict_get_is_never_a_finding() -> None:
    source = textwrap.dedent(
        """\
        import multiprocessing

        def run(pool: multiprocessing.pool.Pool, settings, keys):
            for key in keys:
                value = settings.get(key)
                first = settings.get(key).get("first")
                handle = settings.get(key)
                print(value, first, handle.get())
        """
    )
    assert check(source).findings == []


# -- names: new ones collide with nothing -----------------------------------------------


def test_new_names_avoid_the_names_in_scope() -> None:
    source = textwrap.dedent(
        """\
        def run(pool, items, handle):
            handles = []
            for x in items:
                handles.append(pool.apply_async(f, (x, handle)).get())
            return handles
        """
    )
    assert check(source).fixed == textwrap.dedent(
        """\
        def run(pool, items, handle):
            handles = []
            handles_2 = [pool.apply_async(f, (x, handle)) for x in items]
            for handle_2 in handles_2:
                handles.append(handle_2.get())
            return handles
        """
    )


def test_new_names_do_not_capture_a_global_that_a_nested_function_reads() -> None:
    source = textwrap.dedent(
        """\
        handles = "global"

        def run(pool, items):
            def show():
                return handles
            for x in items:
                print(pool.apply_async(f, (x,)).get(), show())
        """
    )
    assert "    handles_2 = [pool.apply_async(f, (x,)) for x in items]\n" in check(source).fixed


def test_a_name_that_a_nested_function_binds_for_itself_is_free() -> None:
    source = textwrap.dedent(
        """\
        def run(pool, items):
            def other():
                handles = 1
                return handles
            for x in items:
                print(pool.apply_async(f, (x,)).get(), other())
        """
    )
    assert "    handles = [pool.apply_async(f, (x,)) for x in items]\n" in check(source).fixed


def test_two_loops_in_one_function_get_their_own_names() -> None:
    source = textwrap.dedent(
        """\
        def run(pool, xs, ys):
            for x in xs:
                print(pool.apply_async(f, (x,)).get())
            for y in ys:
                print(pool.apply_async(g, (y,)).get())
        """
    )
    assert check(source).fixed == textwrap.dedent(
        """\
        def run(pool, xs, ys):
            handles = [pool.apply_async(f, (x,)) for x in xs]
            for handle in handles:
                print(handle.get())
            handles_2 = [pool.apply_async(g, (y,)) for y in ys]
            for handle_2 in handles_2:
                print(handle_2.get())
        """
    )


@pytest.mark.parametrize(
    "source",
    [
        pytest.param(
            "def run(pool, xs):\n    for x in xs:\n        pool.apply_async(f, (x,)).get()\n    print(x)\n",
            id="read-after-the-loop",
        ),
        pytest.param(
            "def run(pool, xs):\n    for x in xs:\n        print(x, pool.apply_async(f, (x,)).get())\n",
            id="read-by-the-body",
        ),
        pytest.param(
            "def run(pool, xs):\n    def show():\n        return x\n\n    for x in xs:\n"
            "        print(pool.apply_async(f, (x,)).get(), show())\n",
            id="read-by-a-nested-function",
        ),
        pytest.param("for x in xs:\n    print(pool.apply_async(f, (x,)).get())\n", id="a-module-global"),
        pytest.param(
            "def run(pool, xs):\n    for x in xs:\n        pool.apply_async(f, (x,)).get()\n    return locals()\n",
            id="read-through-locals",
        ),
    ],
)
def test_the_loop_over_the_handles_keeps_a_target_read_elsewhere(source: str) -> None:
    # Its twins, whose target only the submission reads, drop it: `for handle in handles:`.
    fixed = check(source).fixed
    assert "[(x, pool.apply_async(f, (x,))) for x in xs]" in fixed
    assert "for x, handle in handles:" in fixed
    alone = source.replace("print(x)", "print()").replace("print(x, ", "print(").replace("return x", "return 1")
    alone = alone.replace("locals()", "{}")
    if not alone.startswith("def "):  # in a function, where no other module reads it
        alone = "def run(pool, xs):\n" + textwrap.indent(alone, "    ")
    assert "for handle in handles:" in check(alone).fixed


@pytest.mark.parametrize("declared", ["global x", "nonlocal x"])
def test_the_loop_over_the_handles_keeps_a_target_of_another_scope(declared: str) -> None:
    # The loop binds a name of the module, or of the function around: others read it after.
    source = textwrap.dedent(
        f"""\
        x = None

        def outer(pool, xs):
            x = None

            def run():
                {declared}
                for x in xs:
                    pool.apply_async(f, (x,)).get()

            run()
            return x
        """
    )
    fixed = check(source).fixed
    assert "[(x, pool.apply_async(f, (x,))) for x in xs]" in fixed
    assert "for x, handle in handles:" in fixed


def test_comprehension_handle_avoids_a_name_it_reads() -> None:
    source = "def run(pool, xs, handle):\n    return [pool.apply_async(f, (x, handle)).get() for x in xs]\n"
    assert check(source).fixed == (
        "def run(pool, xs, handle):\n"
        "    return [handle_2.get() for handle_2 in [pool.apply_async(f, (x, handle)) for x in xs]]\n"
    )


# -- the rest of the pipeline ---------------------------------------------------------


def test_crlf_line_endings_survive() -> None:
    source = "def run(pool, xs):\r\n    for x in xs:\r\n        print(pool.apply_async(f, (x,)).get())\r\n"
    assert check(source).fixed == (
        "def run(pool, xs):\r\n"
        "    handles = [pool.apply_async(f, (x,)) for x in xs]\r\n"
        "    for handle in handles:\r\n"
        "        print(handle.get())\r\n"
    )


def test_with_missing_main_guard_both_fixes_apply() -> None:
    source = textwrap.dedent(
        """\
        import multiprocessing as mp


        def square(x):
            return x * x


        with mp.Pool(2) as pool:
            for i in range(3):
                print(pool.apply(square, (i,)))
        """
    )
    result = analyze(source)
    assert sorted(f.code for f in result.applied) == ["MP001", "MP002"]
    assert result.fixed == textwrap.dedent(
        """\
        import multiprocessing as mp


        def square(x):
            return x * x


        if __name__ == "__main__":
            with mp.Pool(2) as pool:
                handles = [(i, pool.apply_async(square, (i,))) for i in range(3)]
                for i, handle in handles:
                    print(handle.get())
        """
    )
    assert analyze(result.fixed).findings == []


# -- the rewritten loop runs tasks side by side: a proof, not a timing -----------------------

# Each task waits at a barrier for a second task to arrive. A pool that runs one task at a
# time never brings two together: the barrier times out and the program fails. The
# rewritten loop has every task queued, so the two workers meet at the barrier.
OVERLAP = '''\
import multiprocessing as mp
from concurrent.futures import ProcessPoolExecutor

barrier = None


def init(shared):
    global barrier
    barrier = shared


def meet(x):
    barrier.wait(timeout=3)
    return x * 10


if __name__ == "__main__":
    shared = mp.Barrier(2)
    results = []
    {loop}
    print(results)
'''
LOOPS = {
    "apply_async": (
        "with mp.Pool(2, initializer=init, initargs=(shared,)) as pool:\n"
        "        for x in range(4):\n"
        "            results.append(pool.apply_async(meet, (x,)).get())"
    ),
    "submit": (
        "with ProcessPoolExecutor(2, initializer=init, initargs=(shared,)) as executor:\n"
        "        for x in range(4):\n"
        "            results.append(executor.submit(meet, x).result())"
    ),
}


@pytest.mark.parametrize("method", START_METHODS)
@pytest.mark.parametrize("api", sorted(LOOPS))
def test_rewritten_loop_runs_tasks_side_by_side(tmp_path: Path, api: str, method: str) -> None:
    before = OVERLAP.format(loop=LOOPS[api])
    result = check(before)
    assert result.changed
    (tmp_path / "before.py").write_text(before, encoding="utf-8")
    (tmp_path / "after.py").write_text(result.fixed, encoding="utf-8")

    serial = run_program(tmp_path / "before.py", method)
    assert serial.returncode != 0 and "BrokenBarrierError" in serial.stderr

    batched = run_program(tmp_path / "after.py", method)
    assert (batched.returncode, batched.stdout) == (0, "[0, 10, 20, 30]\n"), batched.stderr
