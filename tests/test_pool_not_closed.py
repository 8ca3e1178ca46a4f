"""pool-not-closed (MP011): pools and executors that are never closed, fixed, left alone
and reported."""

from __future__ import annotations

import pytest
from mpfix import registry
from mpfix.engine import analyze
from mpfix.model import Safety
from programs import START_METHODS, run_program
from rule_cases import RuleCases

MP011 = [registry.BY_CODE["MP011"]]
CASES = RuleCases("MP011")


def check(source: str, *, unsafe_fixes: bool = False):
    return analyze(source, rules=MP011, unsafe_fixes=unsafe_fixes)


# Each fixed case has a twin of the same name in LEFT_ALONE.
FIXES = [
    pytest.param(
        """\
from multiprocessing import Pool


def main(paths):
    # one worker a core
    pool = Pool()  # default size
    sizes = pool.map(size, paths)
    print(sum(sizes))
""",
        """\
from multiprocessing import Pool


def main(paths):
    # one worker a core
    with Pool() as pool:  # default size
        sizes = pool.map(size, paths)
    print(sum(sizes))
""",
        id="map_in_a_function",
    ),
    pytest.param(
        """\
import multiprocessing as mp


def main(xs):
    ctx = mp.get_context("spawn")
    pool = ctx.Pool(2)
    handles = [pool.apply_async(f, (x,)) for x in xs]
    total = 0
    for h in handles:
        total += h.get()
    return total
""",
        """\
import multiprocessing as mp


def main(xs):
    ctx = mp.get_context("spawn")
    with ctx.Pool(2) as pool:
        handles = [pool.apply_async(f, (x,)) for x in xs]
        total = 0
        for h in handles:
            total += h.get()
    return total
""",
        id="handles_waited_in_a_loop",
    ),
    pytest.param(
        """\
from multiprocessing.pool import ThreadPool


def fetch_all(urls):
    pool = ThreadPool(8)
    pages = pool.imap(fetch, urls)
    for page in pages:
        save(page)
    first = pool.apply_async(fetch, (urls[0],))
    save(first.get())
""",
        """\
from multiprocessing.pool import ThreadPool


def fetch_all(urls):
    with ThreadPool(8) as pool:
        pages = pool.imap(fetch, urls)
        for page in pages:
            save(page)
        first = pool.apply_async(fetch, (urls[0],))
        save(first.get())
""",
        id="thread_pool_iterator_and_handle",
    ),
    pytest.param(
        """\
from concurrent import futures


def main(xs):
    executor = futures.ProcessPoolExecutor(2)
    jobs = [executor.submit(f, x) for x in xs]
    futures.wait(jobs)
    log("started")
    print(executor.map(g, xs))
""",
        """\
from concurrent import futures


def main(xs):
    with futures.ProcessPoolExecutor(2) as executor:
        jobs = [executor.submit(f, x) for x in xs]
        futures.wait(jobs)
        log("started")
        print(executor.map(g, xs))
""",
        id="executor_futures_waited",
    ),
    pytest.param(
        """\
from multiprocessing import Pool

if __name__ == "__main__":
    for chunk in CHUNKS:
        pool = Pool(4)
        if chunk:
            print(pool.map(f, chunk))
        print("next")
""",
        """\
from multiprocessing import Pool

if __name__ == "__main__":
    for chunk in CHUNKS:
        with Pool(4) as pool:
            if chunk:
                print(pool.map(f, chunk))
        print("next")
""",
        id="pool_in_a_loop",
    ),
    pytest.param(
        """\
from multiprocessing import Pool


def main(items):
    pool = Pool(4)
    for i, r in enumerate(pool.imap(work, items), start=1):
        print(i, r)
    return sorted(enumerate(pool.imap_unordered(work, items)))
""",
        """\
from multiprocessing import Pool


def main(items):
    with Pool(4) as pool:
        for i, r in enumerate(pool.imap(work, items), start=1):
            print(i, r)
        return sorted(enumerate(pool.imap_unordered(work, items)))
""",
        id="iterator_read_through_enumerate",
    ),
    pytest.param(
        """\
from multiprocessing import Pool


def main():
    pool = Pool(2)
    r = pool.apply_async(f, (1,))
    print(r.get())
    r = pool.apply_async(f, (2,))
    print(r.get())
""",
        """\
from multiprocessing import Pool


def main():
    with Pool(2) as pool:
        r = pool.apply_async(f, (1,))
        print(r.get())
        r = pool.apply_async(f, (2,))
        print(r.get())
""",
        id="handle_name_reused",
    ),
    pytest.param(
        """\
from multiprocessing import Pool


def main(xs):
    handles = []
    pool = Pool(2)
    for x in xs:
        handles.append(pool.apply_async(f, (x,)))
    results = [h.get() for h in handles]
    print(results)
""",
        """\
from multiprocessing import Pool


def main(xs):
    handles = []
    with Pool(2) as pool:
        for x in xs:
            handles.append(pool.apply_async(f, (x,)))
        results = [h.get() for h in handles]
    print(results)
""",
        id="handles_appended_to_a_list",
    ),
    pytest.param(
        """\
from multiprocessing import Pool


def main(chunks):
    pool = Pool(2)
    out = []
    for chunk in chunks:
        out.extend(pool.imap(work, chunk))
    return out
""",
        """\
from multiprocessing import Pool


def main(chunks):
    with Pool(2) as pool:
        out = []
        for chunk in chunks:
            out.extend(pool.imap(work, chunk))
    return out
""",
        id="iterator_read_into_a_list",
    ),
    pytest.param(
        """\
from multiprocessing import Pool


def main(xs):
    pool = Pool(2)
    run = pool.map
    print(run(work, xs))
    print(run(work, reversed(xs)))
""",
        """\
from multiprocessing import Pool


def main(xs):
    with Pool(2) as pool:
        run = pool.map
        print(run(work, xs))
        print(run(work, reversed(xs)))
""",
        id="synchronous_method_bound_to_a_name",
    ),
]

LEFT_ALONE = [
    pytest.param(
        """\
from multiprocessing import Pool


def main(paths):
    pool = Pool()
    try:
        sizes = pool.map(size, paths)
    finally:
        pool.terminate()
    print(sum(sizes))
""",
        id="map_in_a_function",
    ),
    pytest.param(
        """\
import multiprocessing as mp


def main(xs):
    ctx = mp.get_context("spawn")
    with ctx.Pool(2) as pool:
        handles = [pool.apply_async(f, (x,)) for x in xs]
        total = 0
        for h in handles:
            total += h.get()
    return total
""",
        id="handles_waited_in_a_loop",
    ),
    pytest.param(
        """\
from concurrent.futures import ThreadPoolExecutor


def fetch_all(urls):
    pool = ThreadPoolExecutor(8)
    for page in pool.map(fetch, urls):
        save(page)
""",
        id="thread_pool_iterator_and_handle",
    ),
    pytest.param(
        """\
from concurrent import futures


def main(xs):
    executor = futures.ProcessPoolExecutor(2)
    jobs = [executor.submit(f, x) for x in xs]
    futures.wait(jobs)
    executor.shutdown()
""",
        id="executor_futures_waited",
    ),
    pytest.param(
        """\
from multiprocessing import Pool


def make_pool():
    pool = Pool(4)
    return pool
""",
        id="factory",
    ),
    pytest.param(
        """\
import contextlib
from multiprocessing import Pool

if __name__ == "__main__":
    pool = Pool(4)
    with contextlib.closing(pool):
        print(pool.map(f, CHUNK))
""",
        id="closing",
    ),
    pytest.param(
        """\
import atexit
from multiprocessing import Pool

pool = Pool(4)
atexit.register(pool.terminate)
""",
        id="terminated_at_exit",
    ),
    pytest.param(
        """\
from multiprocessing import Pool


class Service:
    def __init__(self):
        pool = Pool(2)
        self.pool = pool

    def stop(self):
        self.pool.close()
""",
        id="stored_and_closed_elsewhere",
    ),
    pytest.param(
        """\
def main(xs):
    pool = make_pool()
    return pool.map(f, xs)
""",
        id="not_a_known_pool",
    ),
    pytest.param(
        """\
from multiprocessing import Pool


def main(xs):
    pool = Pool()
    results = pool.map(f, xs)
    del pool
    return results
""",
        id="deleted",
    ),
    pytest.param(
        """\
from multiprocessing import Pool


def main(items):
    with Pool(4) as pool:
        for i, r in enumerate(pool.imap(work, items), start=1):
            print(i, r)
        return sorted(enumerate(pool.imap_unordered(work, items)))
""",
        id="iterator_read_through_enumerate",
    ),
    pytest.param(
        """\
from multiprocessing import Pool


def main():
    with Pool(2) as pool:
        r = pool.apply_async(f, (1,))
        print(r.get())
        r = pool.apply_async(f, (2,))
        print(r.get())
""",
        id="handle_name_reused",
    ),
    pytest.param(
        """\
from multiprocessing import Pool


def main(xs):
    handles = []
    pool = Pool(2)
    for x in xs:
        handles.append(pool.apply_async(f, (x,)))
    results = [h.get() for h in handles]
    pool.close()
    pool.join()
    print(results)
""",
        id="handles_appended_to_a_list",
    ),
    pytest.param(
        """\
from multiprocessing import Pool


def main(chunks):
    out = []
    with Pool(2) as pool:
        for chunk in chunks:
            out.extend(pool.imap(work, chunk))
    return out
""",
        id="iterator_read_into_a_list",
    ),
    pytest.param(
        """\
from multiprocessing import Pool


def main(xs):
    pool = Pool(2)
    run = pool.map
    print(run(work, xs))
    print(run(work, reversed(xs)))
    pool.close()
    pool.join()
""",
        id="synchronous_method_bound_to_a_name",
    ),
]

# The pool's uses end before `with ... as p` binds the name to an executor.
REBOUND = """\
from concurrent.futures import ThreadPoolExecutor
from multiprocessing import Pool


def work(x):
    return x * 2


if __name__ == "__main__":
    p = Pool(2)
    print(p.map(work, range(4)))
    with ThreadPoolExecutor() as p:
        print(list(p.map(work, range(4))))
"""
REBOUND_FIXED = REBOUND.replace(
    "    p = Pool(2)\n    print(p.map(work, range(4)))\n",
    "    with Pool(2) as p:\n        print(p.map(work, range(4)))\n",
)

REPORTED = [
    pytest.param(
        """\
from multiprocessing import Pool


def squares(xs):
    return pool.map(square, xs)


if __name__ == "__main__":
    pool = Pool(2)
    print(squares([1, 2]))
""",
        "it is also used by `squares()` (line 5)",
        id="global_used_by_a_function",
    ),
    pytest.param(
        """\
from multiprocessing import Pool


def run(pool, xs):
    return pool.map(f, xs)


def main(xs):
    pool = Pool(2)
    return run(pool, xs)
""",
        "it is passed to `run()` on line 10",
        id="passed_to_a_function_of_the_module",
    ),
    pytest.param(
        """\
from multiprocessing import Pool


def main(xs):
    pool = Pool(2)
    handle = pool.map_async(f, xs)
    return handle
""",
        "`handle` (line 7) is used where the pool may be closed",
        id="handle_returned",
    ),
    pytest.param(
        """\
from multiprocessing import Pool


def main(flag, xs):
    if flag:
        pool = Pool(2)
    print(pool.map(f, xs))
""",
        "it is used outside the block it is created in (line 7)",
        id="used_outside_its_block",
    ),
    pytest.param(
        """\
from multiprocessing import Pool


def main(flag, xs):
    if flag:
        pool = Pool(2)
        results = pool.imap(f, xs)
    else:
        results = map(f, xs)
    for result in results:
        print(result)
""",
        "`results`, which holds its results, is read outside the block it is created in (line 10)",
        id="results_read_outside_its_block",
    ),
    pytest.param(
        """\
from multiprocessing import Pool


def main():
    pool = Pool(2)
""",
        "it is never used: remove it, or close it (`close()`, then `join()`)",
        id="never_used",
    ),
    pytest.param(
        """\
from multiprocessing import Pool


def main(chunks, out):
    pool = Pool(2)
    for chunk in chunks:
        out.extend(pool.imap(work, chunk))
    return out
""",
        "the result of `pool.imap()` on line 7 is passed on",
        id="iterator_handed_to_what_may_keep_it",
    ),
    pytest.param(
        """\
from multiprocessing import Pool


def main(xs):
    pool = Pool(2)
    run = pool.imap
    return run(work, xs)
""",
        "`pool.imap` is used on line 6",
        id="lazy_method_bound_to_a_name",
    ),
    pytest.param(
        """\
from multiprocessing import Pool


def main(xs, box):
    pool = Pool(2)
    run = pool.map
    box.run = run
    print(run(work, xs))
""",
        "`pool.map` is used on line 6",
        id="method_bound_to_a_name_that_is_stored",
    ),
    pytest.param(
        """\
from multiprocessing import Pool


def main(xs):
    for i in range(3):
        pool = Pool(2)
        if i:
            print(run(work, xs))  # the pool of the iteration before
        run = pool.map
""",
        "`pool.map` is used on line 9",
        id="method_bound_to_a_name_read_before_it_round_a_loop",
    ),
    pytest.param(
        """\
from multiprocessing import Pool


def main(xs):
    pool = None
    pool = Pool(2)
    print(pool.map(f, xs))
""",
        "`pool` is also assigned on line 5",
        id="assigned_before",
    ),
    pytest.param(
        REBOUND.replace("    print(p.map(work, range(4)))\n", "    handle = p.apply_async(work, (4,))\n")
        + "    print(handle.get())\n",
        "the name is assigned again on line 12 while the pool may still be in use",
        id="rebound_while_a_handle_is_pending",
    ),
    pytest.param(
        REBOUND.replace("    print(p.map(work, range(4)))\n", "    p.apply_async(work, (4,))\n"),
        "the name is assigned again on line 12 while the pool may still be in use",
        id="rebound_while_a_task_may_run",
    ),
    pytest.param(
        """\
from multiprocessing import Pool


def main(xs):
    pool = Pool(2)
    handles = []
    for x in xs:
        handles.append(pool.apply_async(f, (x,)))
    handles.clear()
    print([h.get() for h in handles])
""",
        "`handles` (line 9) is used where the pool may be closed",
        id="list_of_handles_emptied",
    ),
    pytest.param(
        """\
from multiprocessing import Pool


def main():
    pool = Pool(2)
    r = pool.apply_async(f, (1,))

    def later():
        return r.get()

    print(r.get())
    return later
""",
        "`r` (line 9) is used where the pool may be closed",
        id="handle_read_by_a_nested_function",
    ),
]

UNSAFE = [
    pytest.param(
        """\
from multiprocessing import Pool


def main(paths):
    pool = Pool()
    for path in paths:
        pool.apply_async(compress, (path,))
    print("queued")
""",
        """\
from multiprocessing import Pool


def main(paths):
    with Pool() as pool:
        for path in paths:
            pool.apply_async(compress, (path,))
        print("queued")
""",
        "nothing waits for the task of `pool.apply_async()` (line 7)",
        id="fire_and_forget",
    ),
    pytest.param(
        """\
from multiprocessing import Pool


def main(xs):
    pool = Pool()
    result = pool.map_async(f, xs)
    if xs:
        print(result.get())
""",
        """\
from multiprocessing import Pool


def main(xs):
    with Pool() as pool:
        result = pool.map_async(f, xs)
        if xs:
            print(result.get())
""",
        "nothing waits for the task of `pool.map_async()` (line 6)",
        id="waited_only_on_one_branch",
    ),
    pytest.param(
        """\
from multiprocessing import Pool


def main(xs):
    pool = Pool()
    for r in pool.imap(f, xs):
        if r:
            break
""",
        """\
from multiprocessing import Pool


def main(xs):
    with Pool() as pool:
        for r in pool.imap(f, xs):
            if r:
                break
""",
        "nothing waits for the task of `pool.imap()` (line 6)",
        id="iterator_left_early",
    ),
    pytest.param(
        """\
from multiprocessing import Pool


def main(items, names):
    pool = Pool(4)
    for name, r in zip(names, pool.imap(work, items)):
        print(name, r)
""",
        """\
from multiprocessing import Pool


def main(items, names):
    with Pool(4) as pool:
        for name, r in zip(names, pool.imap(work, items)):
            print(name, r)
""",
        "nothing waits for the task of `pool.imap()` (line 6)",
        id="iterator_zipped_with_a_shorter_list",
    ),
    pytest.param(
        """\
from multiprocessing import Pool


def main(items):
    pool = Pool(4)
    for i, r in enumerate(pool.imap(work, items)):
        if i == 10:
            break
""",
        """\
from multiprocessing import Pool


def main(items):
    with Pool(4) as pool:
        for i, r in enumerate(pool.imap(work, items)):
            if i == 10:
                break
""",
        "nothing waits for the task of `pool.imap()` (line 6)",
        id="enumerated_iterator_left_early",
    ),
    pytest.param(
        """\
from multiprocessing import Pool


def main():
    pool = Pool(2)
    r = pool.apply_async(f, (1,))
    r = pool.apply_async(f, (2,))
    print(r.get())
""",
        """\
from multiprocessing import Pool


def main():
    with Pool(2) as pool:
        r = pool.apply_async(f, (1,))
        r = pool.apply_async(f, (2,))
        print(r.get())
""",
        "nothing waits for the task of `pool.apply_async()` (line 6)",
        id="handle_rebound_before_its_wait",
    ),
    pytest.param(
        """\
from multiprocessing import Pool


def main(xs, again):
    pool = Pool(2)
    r = pool.apply_async(f, (1,))
    if again:
        r.wait()
        r = pool.apply_async(f, (2,))
        print(r.get())
    print(r.ready())
""",
        """\
from multiprocessing import Pool


def main(xs, again):
    with Pool(2) as pool:
        r = pool.apply_async(f, (1,))
        if again:
            r.wait()
            r = pool.apply_async(f, (2,))
            print(r.get())
        print(r.ready())
""",
        "nothing waits for the task of `pool.apply_async()` (line 6)",
        id="handle_waited_on_one_branch_then_rebound",
    ),
    pytest.param(
        """\
from multiprocessing import Pool


def main(xs):
    pool = Pool(2)
    handles = []
    for x in xs:
        handles.append(pool.apply_async(f, (x,)))
        if x:
            print([h.get() for h in handles])
""",
        """\
from multiprocessing import Pool


def main(xs):
    with Pool(2) as pool:
        handles = []
        for x in xs:
            handles.append(pool.apply_async(f, (x,)))
            if x:
                print([h.get() for h in handles])
""",
        "nothing waits for the task of `pool.apply_async()` (line 8)",
        id="list_of_handles_read_before_it_is_complete",
    ),
]


# A task submitted and forgotten, whose callback prints while the program sleeps.
FIRE_AND_FORGET = """\
import multiprocessing as mp
import time


def square(n):
    return n * n


def report(result):
    print("done:", result, flush=True)


if __name__ == "__main__":
    pool = mp.Pool(2)
    pool.apply_async(square, (3,), callback=report)
    print("submitted", flush=True)
    time.sleep(2)
    print("bye")
"""

FIRE_AND_FORGET_FIXED = """\
import multiprocessing as mp
import time


def square(n):
    return n * n


def report(result):
    print("done:", result, flush=True)


if __name__ == "__main__":
    with mp.Pool(2) as pool:
        pool.apply_async(square, (3,), callback=report)
        print("submitted", flush=True)
        time.sleep(2)
        print("bye")
"""


def test_fire_and_forget_keeps_the_pool_open_while_the_code_after_it_runs() -> None:
    reason = "nothing waits for the task of `pool.apply_async()` (line 15)"
    CASES.assert_unsafe_fix_only_on_request(FIRE_AND_FORGET, FIRE_AND_FORGET_FIXED, reason)


def test_fire_and_forget_closed_and_joined_is_left_alone() -> None:
    CASES.assert_leaves_alone(
        FIRE_AND_FORGET.replace('    print("bye")\n', '    print("bye")\n    pool.close()\n    pool.join()\n')
    )


@pytest.mark.parametrize("method", START_METHODS)
def test_fire_and_forget_fixed_prints_what_it_printed(method: str, tmp_path) -> None:
    # A longer wait than the program's two seconds, so that a loaded machine starts the
    # workers and runs the task within it before and after the fix alike; and a task that
    # takes a second, so that "submitted" comes first however the threads are scheduled.
    for name, program in [("before.py", FIRE_AND_FORGET), ("after.py", FIRE_AND_FORGET_FIXED)]:
        path = tmp_path / name
        slow = program.replace("time.sleep(2)", "time.sleep(8)")
        slow = slow.replace("    return n * n", "    time.sleep(1)\n    return n * n")
        path.write_text(slow, encoding="utf-8")
        run = run_program(path, method, timeout=60)
        assert (run.returncode, run.stdout) == (0, "submitted\ndone: 9\nbye\n"), (name, run.stderr)


def test_pool_bound_again_after_its_last_use_is_fixed_up_to_the_rebinding() -> None:
    assert REBOUND_FIXED.count("with ") == 2  # the replacement above took place
    CASES.assert_fixes(REBOUND, REBOUND_FIXED)


@pytest.mark.parametrize("method", START_METHODS)
def test_pool_bound_again_fixed_prints_what_it_printed(method: str, tmp_path) -> None:
    for name, program in [("before.py", REBOUND), ("after.py", REBOUND_FIXED)]:
        path = tmp_path / name
        path.write_text(program, encoding="utf-8")
        run = run_program(path, method, timeout=30)
        assert (run.returncode, run.stdout) == (0, "[0, 2, 4, 6]\n[0, 2, 4, 6]\n"), (name, run.stderr)


def test_second_pool_of_a_name_is_reported_once_the_first_is_fixed() -> None:
    source = (
        "from multiprocessing import Pool\n\n\ndef main(xs):\n    pool = Pool(2)\n    print(pool.map(f, xs))\n"
        "    pool = Pool(4)\n    print(pool.map(g, xs))\n"
    )
    fixed = source.replace(
        "    pool = Pool(2)\n    print(pool.map(f, xs))\n",
        "    with Pool(2) as pool:\n        print(pool.map(f, xs))\n",
    )
    result = CASES.check(source)
    assert [(f.line, f.fix) for f in result.findings] == [(5, Safety.SAFE)]
    assert result.fixed == fixed
    [remaining] = CASES.check(fixed, unsafe_fixes=True).findings
    assert (remaining.line, remaining.fix) == (7, Safety.NONE)
    assert "; not fixed: `pool` is also assigned on line 5" in remaining.message


@pytest.mark.parametrize(("before", "after"), FIXES)
def test_fixes(before: str, after: str) -> None:
    CASES.assert_fixes(before, after)


@pytest.mark.parametrize("source", LEFT_ALONE)
def test_leaves_alone(source: str) -> None:
    CASES.assert_leaves_alone(source)


@pytest.mark.parametrize(("source", "reason"), REPORTED)
def test_reports_without_fix(source: str, reason: str) -> None:
    CASES.assert_reports_without_fix(source, reason)


@pytest.mark.parametrize(("before", "after", "reason"), UNSAFE)
def test_unsafe_fix_only_on_request(before: str, after: str, reason: str) -> None:
    CASES.assert_unsafe_fix_only_on_request(before, after, reason)


def test_message_names_the_pool_and_what_leaks() -> None:
    [finding] = check(FIXES[0].values[0]).findings
    assert finding.message == (
        "`pool` (`Pool()`) is never closed or terminated: its worker processes live on until it is "
        "garbage-collected or the program exits"
    )
    assert (finding.line, finding.column, finding.fix_title) == (6, 12, "Use the pool in a `with` block")


def test_with_map_materializes_iterable_both_fixes_apply() -> None:
    source = (
        "from multiprocessing import Pool\n\n"
        "if __name__ == '__main__':\n"
        "    pool = Pool()\n"
        "    for line in pool.map(parse, open('log.txt')):\n"
        "        print(line)\n"
    )
    result = analyze(source, rules=[registry.BY_CODE["MP005"], *MP011])
    assert sorted(f.code for f in result.applied) == ["MP005", "MP011"]
    assert result.fixed == (
        "from multiprocessing import Pool\n\n"
        "if __name__ == '__main__':\n"
        "    with Pool() as pool:\n"
        "        for line in pool.imap(parse, open('log.txt'), chunksize=64):\n"
        "            print(line)\n"
    )


def test_a_line_that_a_backslash_continues_moves_into_the_with_block_with_its_statement() -> None:
    source = (
        "from multiprocessing import Pool\n\n\ndef main(paths):\n    pool = Pool()\n"
        "    sizes = pool.map(size, paths) + \\\n        [len('a \\\n  b')]\n    print(sum(sizes))\n"
    )
    assert check(source).fixed == (
        "from multiprocessing import Pool\n\n\ndef main(paths):\n    with Pool() as pool:\n"
        "        sizes = pool.map(size, paths) + \\\n            [len('a \\\n  b')]\n    print(sum(sizes))\n"
    )


def test_the_with_block_starts_right_under_its_header() -> None:
    source = (
        "from multiprocessing import Pool\n\n\ndef main(paths):\n    pool = Pool()\n\n"
        "    # one size a path\n    sizes = pool.map(size, paths)\n    print(sum(sizes))\n"
    )
    assert check(source).fixed == (
        "from multiprocessing import Pool\n\n\ndef main(paths):\n    with Pool() as pool:\n"
        "        # one size a path\n        sizes = pool.map(size, paths)\n    print(sum(sizes))\n"
    )


def test_a_definition_between_the_pool_and_its_last_use_stays_at_module_level() -> None:
    source = (
        "import multiprocessing as mp\n\npool = mp.Pool(2)\n\n\ndef helper(x):\n    return -x\n\n\n"
        "print(pool.map(abs, [1, -2]))\n"
    )
    result = check(source, unsafe_fixes=True)
    [finding] = result.findings
    assert finding.fix is Safety.NONE and not result.changed
    assert "`helper` (line 6) is defined while the pool is in use; define it before the pool is created" in (
        finding.message
    )
    # Its twin, defined before the pool, is fixed.
    moved = source.replace("pool = mp.Pool(2)\n\n\n", "").replace("print(", "pool = mp.Pool(2)\nprint(")
    assert check(moved).fixed.endswith("with mp.Pool(2) as pool:\n    print(pool.map(abs, [1, -2]))\n")
    # In a function, the `with` block may hold a local function: it is defined alike.
    local = (
        "def main():\n    pool = mp.Pool(2)\n\n    def helper(x):\n        return -x\n\n"
        "    print(pool.map(abs, [1]))\n"
    )
    assert check("import multiprocessing as mp\n\n\n" + local).fixed.endswith(
        "    with mp.Pool(2) as pool:\n        def helper(x):\n            return -x\n\n"
        "        print(pool.map(abs, [1]))\n"
    )
