"""join-before-drain (MP010): processes joined before their queue is read, fixed, left
alone and reported."""

from __future__ import annotations

from pathlib import Path

import pytest
from mpfix import registry
from mpfix.engine import analyze
from programs import START_METHODS, run_program
from rule_cases import RuleCases

MP010 = [registry.BY_CODE["MP010"]]
CASES = RuleCases("MP010")

WORKER = '''\
from multiprocessing import Process, Queue


def work(out, n):
    out.put(n * n)


'''


def check(source: str, *, unsafe_fixes: bool = False):
    return analyze(source, rules=MP010, unsafe_fixes=unsafe_fixes)


# A method of the class that makes the processes as their target, and queues bound by unpacking.
METHOD_TARGET = """\
from multiprocessing import Process, Queue


class Squares:
    def work(self, out, n):
        out.put(str(n) * 200_000)  # more than a pipe holds

    def run(self):
        out, done = Queue(), Queue()
        processes = [Process(target=self.work, args=(out, n)) for n in range(3)]
        for p in processes:
            p.start()
{reads}
        return sorted(len(r) for r in results)


if __name__ == "__main__":
    print(Squares().run())
"""
METHOD_JOINS = "        for p in processes:\n            p.join()\n"
METHOD_READS = "        results = [out.get() for p in processes]\n"

# Each fixed case has a twin of the same name in LEFT_ALONE.
FIXES = [
    pytest.param(
        WORKER + """\
def main():
    q = Queue()
    p = Process(target=work, args=(q, 3))
    p.start()
    p.join()
    result = q.get()
    return result
""",
        WORKER + """\
def main():
    q = Queue()
    p = Process(target=work, args=(q, 3))
    p.start()
    result = q.get()
    p.join()
    return result
""",
        id="single_process",
    ),
    pytest.param(
        WORKER + """\
def main():
    q = Queue()
    procs = []
    for i in range(4):
        p = Process(target=work, args=(q, i))
        p.start()
        procs.append(p)

    # wait for the workers
    for p in procs:
        p.join()
    results = []
    for _ in procs:
        results.append(q.get())
    print(sorted(results))
""",
        WORKER + """\
def main():
    q = Queue()
    procs = []
    for i in range(4):
        p = Process(target=work, args=(q, i))
        p.start()
        procs.append(p)

    results = []
    for _ in procs:
        results.append(q.get())
    # wait for the workers
    for p in procs:
        p.join()
    print(sorted(results))
""",
        id="appended_processes_join_loop",
    ),
    pytest.param(
        WORKER + """\
if __name__ == "__main__":
    q = Queue()
    procs = [Process(target=work, args=(q, i)) for i in range(3)]
    for p in procs: p.start()
    [p.join() for p in procs]
    squares = sorted(q.get() for _ in range(len(procs)))
    print(squares)
""",
        WORKER + """\
if __name__ == "__main__":
    q = Queue()
    procs = [Process(target=work, args=(q, i)) for i in range(3)]
    for p in procs: p.start()
    squares = sorted(q.get() for _ in range(len(procs)))
    [p.join() for p in procs]
    print(squares)
""",
        id="comprehension_join",
    ),
    pytest.param(
        """\
import multiprocessing as mp

ctx = mp.get_context("fork")
results = ctx.SimpleQueue()


def work(n):
    results.put(n * 2)


def main():
    p = ctx.Process(target=work, args=(3,))
    p.start()
    p.join()
    value = results.get()
    return value
""",
        """\
import multiprocessing as mp

ctx = mp.get_context("fork")
results = ctx.SimpleQueue()


def work(n):
    results.put(n * 2)


def main():
    p = ctx.Process(target=work, args=(3,))
    p.start()
    value = results.get()
    p.join()
    return value
""",
        id="module_level_queue_under_fork",
    ),
    pytest.param(
        WORKER + """\
def main():
    q = Queue()
    a = Process(target=work, args=(q, 1))
    b = Process(target=work, kwargs={"out": q, "n": 2})
    a.start(); b.start()
    a.join(); b.join()
    x = q.get(); y = q.get()
    return x + y
""",
        WORKER + """\
def main():
    q = Queue()
    a = Process(target=work, args=(q, 1))
    b = Process(target=work, kwargs={"out": q, "n": 2})
    a.start(); b.start()
    x = q.get(); y = q.get()
    a.join(); b.join()
    return x + y
""",
        id="two_processes_keyword_arguments",
    ),
    pytest.param(
        METHOD_TARGET.format(reads=METHOD_JOINS + METHOD_READS),
        METHOD_TARGET.format(reads=METHOD_READS + METHOD_JOINS),
        id="method_target_unpacked_queues",
    ),
    pytest.param(
        """\
import multiprocessing as mp


def work(out, items):
    for item in items:
        out.put(item)
    out.put(None)


def main(chunks):
    q = mp.Queue()
    procs = [mp.Process(target=work, args=(q, chunk)) for chunk in chunks]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    done = 0
    results = []
    while done < len(procs):
        item = q.get()
        if item is None:
            done += 1
        else:
            results.append(item)
    return results
""",
        """\
import multiprocessing as mp


def work(out, items):
    for item in items:
        out.put(item)
    out.put(None)


def main(chunks):
    q = mp.Queue()
    procs = [mp.Process(target=work, args=(q, chunk)) for chunk in chunks]
    for p in procs:
        p.start()
    done = 0
    results = []
    while done < len(procs):
        item = q.get()
        if item is None:
            done += 1
        else:
            results.append(item)
    for p in procs:
        p.join()
    return results
""",
        id="sentinel_loop",
    ),
]

LEFT_ALONE = [
    pytest.param(
        WORKER + """\
def main():
    q = Queue()
    p = Process(target=work, args=(q, 3))
    p.start()
    result = q.get()
    p.join()
    return result
""",
        id="single_process",
    ),
    pytest.param(
        """\
from multiprocessing import Process, Queue


def work(tasks, n):
    print(tasks.get() * n)


def main():
    q = Queue()
    procs = []
    for i in range(4):
        p = Process(target=work, args=(q, i))
        p.start()
        procs.append(p)
        q.put(i)
    for p in procs:
        p.join()
    leftover = q.get()
""",
        id="appended_processes_join_loop",
    ),
    pytest.param(
        WORKER + """\
if __name__ == "__main__":
    q = Queue()
    procs = [Process(target=work, args=(q, i)) for i in range(3)]
    for p in procs: p.start()
    [p.join(timeout=1) for p in procs]
    squares = sorted(q.get() for _ in range(len(procs)))
    print(squares)
""",
        id="comprehension_join",
    ),
    pytest.param(
        """\
import multiprocessing as mp

ctx = mp.get_context("fork")
results = ctx.SimpleQueue()
other = ctx.SimpleQueue()


def work(n):
    other.put(n * 2)


def main():
    p = ctx.Process(target=work, args=(3,))
    p.start()
    p.join()
    value = results.get()
    return value
""",
        id="module_level_queue_under_fork",
    ),
    pytest.param(
        WORKER.replace("Process, Queue", "Queue\nfrom threading import Thread")
        + """\
def main():
    q = Queue()
    a = Thread(target=work, args=(q, 1))
    b = Thread(target=work, kwargs={"out": q, "n": 2})
    a.start(); b.start()
    a.join(); b.join()
    x = q.get(); y = q.get()
    return x + y
""",
        id="two_processes_keyword_arguments",
    ),
    pytest.param(
        METHOD_TARGET.format(reads=METHOD_READS + METHOD_JOINS),
        id="method_target_unpacked_queues",
    ),
    pytest.param(
        """\
import multiprocessing as mp


def work(out, items):
    for item in items:
        out.put(item)
    out.put(None)


def main(chunks):
    q = mp.Manager().Queue()
    procs = [mp.Process(target=work, args=(q, chunk)) for chunk in chunks]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    done = 0
    results = []
    while done < len(procs):
        item = q.get()
        if item is None:
            done += 1
        else:
            results.append(item)
    return results
""",
        id="sentinel_loop",
    ),
    pytest.param(
        WORKER.replace("    out.put(n * n)\n", "    out.put(n * n)\n    out.cancel_join_thread()\n")
        + """\
def main():
    q = Queue()
    p = Process(target=work, args=(q, 3))
    p.start()
    p.join()
    return q.get()
""",
        id="child_cancels_the_join_thread",
    ),
]

JOINED = """\
def main():
    q = Queue()
    procs = [Process(target=work, args=(q, i)) for i in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
"""

REPORTED = [
    pytest.param(
        WORKER + JOINED + "    results = []\n    while not q.empty():\n        results.append(q.get())\n",
        "the reads stop by `q.empty()`, which is only right once the children have exited",
        id="drained_until_empty",
    ),
    pytest.param(
        WORKER + JOINED + "    results = [q.get(timeout=5) for _ in procs]\n",
        "`q.get(timeout=5)` may give up while the children still work",
        id="get_with_timeout",
    ),
    pytest.param(
        WORKER
        + JOINED.replace("        p.join()\n", "        p.join()\n        print(p.exitcode)\n")
        + "    results = [q.get() for _ in procs]\n",
        "the loop that joins the processes also does other work",
        id="join_loop_with_other_work",
    ),
    pytest.param(
        WORKER
        + "def drain(queue, n):\n    return [queue.get() for _ in range(n)]\n\n\n"
        + JOINED
        + "    results = drain(q, 3)\n",
        "`q` is read by the function called on line",
        id="read_in_another_function",
    ),
    pytest.param(
        WORKER + JOINED + "    q.put(None)\n    return sorted(iter(q.get, None))\n",
        "`q.get` is handed on, uncalled, on line 16; read the queue before the join",
        id="read_up_to_a_sentinel",
    ),
    pytest.param(
        WORKER + JOINED + '    log("joined")\n    results = [q.get() for _ in procs]\n',
        "other work comes between the join and the first read of the queue",
        id="other_work_between",
    ),
    pytest.param(
        WORKER + JOINED + "    first = q.get()\n    log(first)\n    second = q.get()\n",
        "`q` is also read after other statements",
        id="read_again_later",
    ),
    pytest.param(
        WORKER + JOINED + "    return [q.get() for _ in procs]\n",
        "the statements that read the queue can leave the block before the joins would run",
        id="reads_in_a_return",
    ),
    pytest.param(
        WORKER + JOINED + "    results = [(q.get(), p.exitcode) for p in procs]\n",
        "the reads use `p`, whose process may not have exited before the join",
        id="reads_use_the_process",
    ),
]

UNSAFE = [
    pytest.param(
        WORKER + JOINED + "    for _ in procs:\n        print(q.get())\n",
        WORKER
        + JOINED.replace("    for p in procs:\n        p.join()\n", "")
        + "    for _ in procs:\n        print(q.get())\n    for p in procs:\n        p.join()\n",
        "`print(q.get())` would run while the children may still run",
        id="reads_print",
    ),
]


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


def test_finding_points_at_the_join_and_names_the_queue() -> None:
    [finding] = check(FIXES[0].values[0]).findings
    assert (finding.line, finding.column) == (12, 5)
    assert finding.message.startswith("`p.join()` waits for a process that puts into `q` before the parent reads `q`")
    assert finding.fix_title == "Join the processes after reading the queue"


def test_a_drain_without_get_is_found_too() -> None:
    source = WORKER + JOINED + "    while not q.empty():\n        results.append(q.get_nowait())\n"
    [finding] = check(source).findings
    assert "not fixed: the reads stop by `q.empty()`" in finding.message


# -- a comprehension's variable of the same name as the joins' -------------------------

COUNTED = """\
from multiprocessing import Process, Queue


def work(out, i):
    out.put(str(i) * 200_000)  # more than a pipe holds


if __name__ == "__main__":
    out = Queue()
    processes = [Process(target=work, args=(out, i)) for i in range(3)]
    for p in processes:
        p.start()
{reads}
    print(sorted(len(r) for r in results))
"""
JOINS = "    for p in processes:\n        p.join()\n"
COUNTING_READS = "    results = [out.get() for p in processes]\n"


def test_a_comprehension_that_only_counts_with_the_same_name_is_moved() -> None:
    CASES.assert_fixes(COUNTED.format(reads=JOINS + COUNTING_READS), COUNTED.format(reads=COUNTING_READS + JOINS))


def test_a_comprehension_that_uses_its_process_is_not_moved() -> None:
    reads = "    results = [out.get() for p in processes if p.exitcode is None]\n"
    CASES.assert_reports_without_fix(
        COUNTED.format(reads=JOINS + reads), "the reads use `p`, whose process may not have exited before the join"
    )


@pytest.mark.parametrize("method", START_METHODS)
def test_the_moved_comprehension_reads_everything(method: str, tmp_path: Path) -> None:
    program = tmp_path / "counted.py"
    program.write_text(COUNTED.format(reads=COUNTING_READS + JOINS))
    run = run_program(program, method, timeout=60)
    assert (run.returncode, run.stdout) == (0, "[200000, 200000, 200000]\n"), run.stderr


def test_the_original_hangs(tmp_path: Path) -> None:
    program = tmp_path / "counted.py"
    program.write_text(COUNTED.format(reads=JOINS + COUNTING_READS))
    run = run_program(program, "fork", timeout=5)
    assert run.returncode is None and run.stdout == ""


@pytest.mark.parametrize("method", START_METHODS)
def test_a_method_target_reads_everything_once_fixed(method: str, tmp_path: Path) -> None:
    program = tmp_path / "squares.py"
    program.write_text(check(METHOD_TARGET.format(reads=METHOD_JOINS + METHOD_READS)).fixed)
    run = run_program(program, method, timeout=60)
    assert (run.returncode, run.stdout) == (0, "[200000, 200000, 200000]\n"), run.stderr


def test_a_queue_read_up_to_a_sentinel_before_the_join_is_left_alone() -> None:
    source = WORKER + JOINED.replace(
        "    for p in procs:\n        p.join()\n",
        "    results = [q.get() for _ in procs]\n    q.put(None)\n    results += iter(q.get, None)\n"
        "    for p in procs:\n        p.join()\n",
    )
    CASES.assert_leaves_alone(source)
