"""map-materializes-iterable (MP005): `Pool.map()` over lazy, large and endless inputs,
fixed, left alone and reported."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from mpfix import registry
from mpfix.engine import analyze
from mpfix.model import Safety, TargetVersion
from mpfix.rules.map_materializes_iterable import DRAINED_UNSAFE, EXECUTOR_DRAINED_UNSAFE
from programs import START_METHODS, run_program
from rule_cases import RuleCases

MP005 = [registry.BY_CODE["MP005"]]
CASES = RuleCases("MP005")
SNIPPETS = Path(__file__).resolve().parent.parent / "docs" / "snippets" / "map-materializes-iterable"


def check(source: str, *, unsafe_fixes: bool = False):
    return analyze(source, rules=MP005, unsafe_fixes=unsafe_fixes)


# Each fixed case, and each of UNSAFE on an endless input, has a twin of the same name in LEFT_ALONE.
FIXES = [
    pytest.param(
        """\
from multiprocessing import Pool

with Pool() as pool:
    total = sum(pool.map(size, (p for p in paths if p.endswith(".txt"))))
""",
        """\
from multiprocessing import Pool

with Pool() as pool:
    total = sum(pool.imap(size, (p for p in paths if p.endswith(".txt")), chunksize=64))
""",
        id="generator_expression_summed",
    ),
    pytest.param(
        """\
import multiprocessing as mp


def rows(path):
    with open(path) as f:
        for line in f:
            yield line.split(",")


def main(path):
    with mp.Pool(4) as pool:
        for record in pool.map(parse, rows(path)):
            print(record)
""",
        """\
import multiprocessing as mp


def rows(path):
    with open(path) as f:
        for line in f:
            yield line.split(",")


def main(path):
    with mp.Pool(4) as pool:
        for record in pool.imap(parse, rows(path), chunksize=64):
            print(record)
""",
        id="generator_function_in_a_for_loop",
    ),
    pytest.param(
        """\
from multiprocessing import get_context


def main(path):
    ctx = get_context("spawn")
    with ctx.Pool() as pool, open(path) as log:
        for number, fields in enumerate(pool.map(split, log, 500), start=1):
            print(number, fields)
""",
        """\
from multiprocessing import get_context


def main(path):
    ctx = get_context("spawn")
    with ctx.Pool() as pool, open(path) as log:
        for number, fields in enumerate(pool.imap(split, log, 500), start=1):
            print(number, fields)
""",
        id="open_file_enumerated_chunksize_kept",
    ),
    pytest.param(
        """\
from multiprocessing.pool import Pool


def histogram(pool: Pool):
    return sorted({bucket(n) for n in pool.map(digits, range(2 * 10**6))})
""",
        """\
from multiprocessing.pool import Pool


def histogram(pool: Pool):
    return sorted({bucket(n) for n in pool.imap(digits, range(2 * 10**6), chunksize=64)})
""",
        id="large_range_in_a_set_comprehension",
    ),
    pytest.param(
        """\
from multiprocessing import Pool

with Pool() as pool:
    names = (line.strip() for line in open("names.txt"))
    print(", ".join(pool.map(greet, names, chunksize=None)))
""",
        """\
from multiprocessing import Pool

with Pool() as pool:
    names = (line.strip() for line in open("names.txt"))
    print(", ".join(pool.imap(greet, names, chunksize=64)))
""",
        id="named_generator_joined_chunksize_none",
    ),
]

LEFT_ALONE = [
    pytest.param(
        """\
from multiprocessing import Pool

with Pool() as pool:
    total = sum(pool.map(size, [p for p in paths if p.endswith(".txt")]))
""",
        id="generator_expression_summed",
    ),
    pytest.param(
        """\
import multiprocessing as mp


def rows(path):
    with open(path) as f:
        return [line.split(",") for line in f]


def main(path):
    with mp.Pool(4) as pool:
        for record in pool.map(parse, rows(path)):
            print(record)
""",
        id="generator_function_in_a_for_loop",
    ),
    pytest.param(
        """\
from multiprocessing import get_context


def main(path):
    ctx = get_context("spawn")
    with ctx.Pool() as pool, open(path) as log:
        for number, fields in enumerate(pool.imap(split, log, 500), start=1):
            print(number, fields)
""",
        id="open_file_enumerated_chunksize_kept",
    ),
    pytest.param(
        """\
from multiprocessing.pool import Pool


def histogram(pool: Pool, n):
    return sorted({bucket(n) for n in pool.map(digits, range(2 * 10**5))})
""",
        id="large_range_in_a_set_comprehension",
    ),
    pytest.param(
        """\
from multiprocessing import Pool

with Pool() as pool:
    names = [line.strip() for line in open("names.txt")]
    print(", ".join(pool.map(greet, names, chunksize=None)))
""",
        id="named_generator_joined_chunksize_none",
    ),
    pytest.param(
        """\
import itertools
from multiprocessing import Pool

with Pool() as pool:
    for n in pool.map(collatz_steps, itertools.islice(itertools.count(1), 1000)):
        if n > 300:
            print("found")
            break
""",
        id="endless_input_with_break",
    ),
    pytest.param(
        """\
from itertools import repeat
from multiprocessing import Pool


def watch():
    with Pool(2) as pool:
        if any(pool.map(probe, repeat("db", 5))):
            alarm()
""",
        id="endless_input_any",
    ),
    pytest.param(
        """\
from multiprocessing.pool import ThreadPool

with ThreadPool() as pool:
    total = sum(pool.map(size, (p for p in paths)))
""",
        id="thread_pool",
    ),
    pytest.param(
        """\
def run(frame, rows):
    return sum(frame.map(size, (r for r in rows)))
""",
        id="not_a_pool",
    ),
    pytest.param(
        """\
from multiprocessing import Pool


def run(pool, xs):
    return sum(pool.map(f, (x for x in xs)))
""",
        id="parameter_not_known_to_be_a_pool",
    ),
    pytest.param(
        """\
from multiprocessing import Pool

with Pool() as pool:
    for r in pool.map(f, range(n)):
        print(r)
""",
        id="range_of_unknown_length",
    ),
    pytest.param(
        """\
import unittest
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import Pool

import pytest
from pytest import raises


def numbers(total, when):
    for i in range(total):
        if i == when:
            raise ValueError(i)
        yield i


def test_map_raises():
    with Pool(2) as pool:
        with pytest.raises(ValueError):
            pool.map(abs, numbers(10, 3))
        with raises(ValueError, match="3"):
            pool.map(abs, numbers(10, 3))


class MapTest(unittest.TestCase):
    def test_map_raises(self):
        with ProcessPoolExecutor() as executor, self.assertRaises(ValueError):
            executor.map(abs, numbers(10, 3))
""",
        id="expected_to_raise_in_a_test",
    ),
]

REPORTED = [
    pytest.param(
        """\
from multiprocessing import Pool

with Pool() as pool:
    lengths = pool.map(len, open("words.txt"))
print(len(lengths), lengths[0])
""",
        "the results are kept as a list here",
        id="results_kept",
    ),
    pytest.param(
        """\
from multiprocessing import Pool


def lengths(pool: Pool, path):
    return pool.map(len, open(path))
""",
        "the results are kept as a list here",
        id="results_returned",
    ),
    pytest.param(
        """\
from multiprocessing import Pool

with Pool() as pool:
    print(sum(pool.starmap(pow, ((n, 2) for n in numbers))))
""",
        "`starmap()` has no lazy twin",
        id="starmap",
    ),
    pytest.param(
        """\
import itertools
from multiprocessing import Pool

with Pool() as pool:
    print(sum(pool.map(f, itertools.count())))
""",
        "`sum()` needs every result of an endless input",
        id="endless_input_summed",
    ),
    pytest.param(
        """\
import itertools
from multiprocessing import Pool

with Pool() as pool:
    for n in pool.map(f, itertools.count()):
        if n:
            break
    print(pool.map(g, [1, 2]))
""",
        "once the `for` loop stops, the pool would go on reading the endless input",
        id="endless_input_then_more_work",
    ),
    pytest.param(
        """\
from multiprocessing import Pool


def results(pool: Pool, path):
    for r in pool.map(f, open(path)):
        yield r
""",
        "the loop pauses at `yield`, and the pool may be closed before it goes on",
        id="yield_outside_the_pools_block",
    ),
    pytest.param(
        """\
from multiprocessing import Pool

with Pool() as pool:
    for r in pool.map(f, (x for x in xs)):
        pool.apply(g, (r,))
""",
        "the `for` loop uses `pool` too",
        id="loop_uses_the_pool",
    ),
]

UNSAFE = [
    pytest.param(
        """\
import itertools
from multiprocessing import Pool

with Pool() as pool:
    for n in pool.map(collatz_steps, itertools.count(1)):
        if n > 300:
            print("found")
            break
""",
        """\
import itertools
from multiprocessing import Pool

with Pool() as pool:
    for n in pool.imap(collatz_steps, itertools.count(1), chunksize=64):
        if n > 300:
            print("found")
            break
""",
        "`break` (line 8) stops while the pool still reads the endless input, so the pool's end terminates busy "
        "workers, and `terminate()` can then hang",
        id="endless_input_with_break",
    ),
    pytest.param(
        """\
from itertools import repeat
from multiprocessing import Pool


def watch():
    with Pool(2) as pool:
        if any(pool.map(probe, repeat("db"))):
            alarm()
""",
        """\
from itertools import repeat
from multiprocessing import Pool


def watch():
    with Pool(2) as pool:
        if any(pool.imap(probe, repeat("db"), chunksize=64)):
            alarm()
""",
        "`any()` stops while the pool still reads the endless input",
        id="endless_input_any",
    ),
    pytest.param(
        """\
from multiprocessing import Pool

with Pool() as pool:
    for r in pool.map(check, (x for x in xs)):
        if not r:
            break
""",
        """\
from multiprocessing import Pool

with Pool() as pool:
    for r in pool.imap(check, (x for x in xs), chunksize=64):
        if not r:
            break
""",
        "`break` (line 6) can stop before the last result",
        id="break_on_finite_input",
    ),
    pytest.param(
        """\
from multiprocessing import Pool

with Pool() as pool:
    ok = all(pool.map(check, open("list.txt")))
""",
        """\
from multiprocessing import Pool

with Pool() as pool:
    ok = all(pool.imap(check, open("list.txt"), chunksize=64))
""",
        "`all()` can stop before the last result",
        id="all_on_finite_input",
    ),
    pytest.param(
        """\
from multiprocessing import Pool


def stream(path):
    with Pool() as pool:
        for r in pool.map(f, open(path)):
            yield r
""",
        """\
from multiprocessing import Pool


def stream(path):
    with Pool() as pool:
        for r in pool.imap(f, open(path), chunksize=64):
            yield r
""",
        "`yield` (line 7) can stop before the last result",
        id="yield_inside_the_pools_block",
    ),
    pytest.param(
        """\
from multiprocessing import Pool

with Pool() as pool:
    for r in pool.map(f, (x for x in todo)):
        todo.append(r)
""",
        """\
from multiprocessing import Pool

with Pool() as pool:
    for r in pool.imap(f, (x for x in todo), chunksize=64):
        todo.append(r)
""",
        "the `for` loop changes `todo`, which the input reads",
        id="loop_changes_what_the_input_reads",
    ),
    pytest.param(
        """\
from multiprocessing import Pool


def run(xs, n):
    with Pool() as pool:
        return sum(pool.map(f, (x for x in xs), n))
""",
        """\
from multiprocessing import Pool


def run(xs, n):
    with Pool() as pool:
        return sum(pool.imap(f, (x for x in xs), n))
""",
        "`imap()` needs a whole number for chunksize, and `n` may be None",
        id="chunksize_may_be_none",
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


# Small, bounded inputs: a generator expression over literals or constant ranges of fewer
# than 10,000 items in all. Each has a twin in BOUNDLESS, of the same shape, that is reported.
SMALL = [
    pytest.param("pool.map(f, (x for x in [1, 2, 3]))", id="generator_over_a_literal"),
    pytest.param("results = pool.map(f, (i * 2 for i in range(120)))", id="generator_over_a_small_range"),
    pytest.param(
        "SIZES = (1, 2)\nresults = pool.map(f, (s for s in SIZES))", id="generator_over_a_name_bound_to_a_literal"
    ),
    pytest.param(
        "results = pool.map(f, (a * b for a in range(99) for b in range(100)))", id="nested_clauses_under_the_bar"
    ),
]
BOUNDLESS = [
    pytest.param("pool.map(f, (x for x in items))", id="generator_over_a_literal"),
    pytest.param("results = pool.map(f, (i * 2 for i in range(10_000)))", id="generator_over_a_small_range"),
    pytest.param(
        "SIZES = sizes()\nresults = pool.map(f, (s for s in SIZES))", id="generator_over_a_name_bound_to_a_literal"
    ),
    pytest.param(
        "results = pool.map(f, (a * b for a in range(100) for b in range(100)))", id="nested_clauses_under_the_bar"
    ),
]


def _in_a_pool(statements: str) -> str:
    body = "".join(f"    {line}\n" for line in statements.splitlines())
    return f"from multiprocessing import Pool\n\nwith Pool() as pool:\n{body}"


@pytest.mark.parametrize("statements", SMALL)
def test_small_bounded_input_is_left_alone(statements: str) -> None:
    CASES.assert_leaves_alone(_in_a_pool(statements))


@pytest.mark.parametrize("statements", BOUNDLESS)
def test_input_of_unknown_or_large_size_is_reported(statements: str) -> None:
    assert [f.code for f in check(_in_a_pool(statements)).findings] == ["MP005"]


def test_only_the_block_that_expects_a_raise_is_left_alone() -> None:
    result = CASES.check(
        """\
import unittest
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import Pool

import pytest


def numbers(total, when):
    for i in range(total):
        if i == when:
            raise ValueError(i)
        yield i


def test_map_warns():
    with Pool(2) as pool:
        with pytest.warns(UserWarning):
            pool.map(abs, numbers(10, 3))
        with pytest.raises(ValueError):
            run_later = lambda: pool.map(abs, numbers(10, 3))
        pool.map(abs, numbers(10, 3))


class MapTest(unittest.TestCase):
    def test_map_raises(self):
        with ProcessPoolExecutor() as executor:
            with self.assertRaises(ValueError):
                executor.map(abs, numbers(10, 3))
            executor.map(abs, numbers(10, 3))
"""
    )
    assert [(finding.code, finding.line) for finding in result.findings] == [
        ("MP005", 18),
        ("MP005", 20),
        ("MP005", 21),
        ("MP005", 29),
    ]


def test_stdin_is_read_as_the_loop_needs_it() -> None:
    CASES.assert_fixes(
        "import sys\nfrom multiprocessing import Pool\n\nwith Pool() as pool:\n"
        "    for word in pool.map(parse, sys.stdin):\n        print(word)\n",
        "import sys\nfrom multiprocessing import Pool\n\nwith Pool() as pool:\n"
        "    for word in pool.imap(parse, sys.stdin, chunksize=64):\n        print(word)\n",
    )


def test_stdin_read_whole_by_the_program_itself_is_left_alone() -> None:
    CASES.assert_leaves_alone(
        "import sys\nfrom multiprocessing import Pool\n\nwith Pool() as pool:\n"
        "    for word in pool.map(parse, sys.stdin.readlines()):\n        print(word)\n"
    )


def test_generator_over_an_endless_input_never_ends() -> None:
    source = _in_a_pool("print(sum(pool.map(f, (n * n for n in itertools.count()))))")
    [finding] = check("import itertools\n" + source).findings
    assert finding.message.startswith(
        "`pool.map()` reads the generator expression into a list before it starts, and it never ends"
    )
    assert "not fixed: `sum()` needs every result of an endless input" in finding.message


# -- a statement that drops the results ---------------------------------------------------

DROPPED = """\
import sys
from multiprocessing import Pool

with Pool() as pool:
    # Touch every file.
    pool.map(touch, (p for p in paths if p.exists()))  # all of them
    pool.map(touch, sys.stdin)
"""


def test_dropped_results_are_read_and_thrown_away_one_by_one_as_an_unsafe_fix() -> None:
    safe_only = check(DROPPED)
    assert [f.fix for f in safe_only.findings] == [Safety.UNSAFE, Safety.UNSAFE] and not safe_only.changed
    assert all("; the fix is unsafe: " + DRAINED_UNSAFE in f.message for f in safe_only.findings)
    assert check(DROPPED, unsafe_fixes=True).fixed == (
        """\
import sys
from multiprocessing import Pool

with Pool() as pool:
    # Touch every file.
    for _ in pool.imap(touch, (p for p in paths if p.exists()), chunksize=64):  # all of them
        pass
    for _ in pool.imap(touch, sys.stdin, chunksize=64):
        pass
"""
    )


def test_dropped_results_message_says_the_list_is_thrown_away() -> None:
    finding = check(DROPPED).findings[0]
    assert finding.message == (
        "`pool.map()` reads all of the generator expression into a list before the first task starts, "
        "and builds a list of every result, which the statement throws away; the fix is unsafe: " + DRAINED_UNSAFE
    )


def test_throwaway_name_collides_with_nothing() -> None:
    source = (
        'import sys\nfrom multiprocessing import Pool\nfrom gettext import gettext as _\n\nwith Pool() as pool:\n'
        '    pool.map(touch, sys.stdin)\n    print(_("done"))\n'
    )
    fixed = check(source, unsafe_fixes=True).fixed
    assert "    for __2 in pool.imap(touch, sys.stdin, chunksize=64):\n        pass\n" in fixed


def test_dropped_results_on_a_shared_line_are_reported() -> None:
    CASES.assert_reports_without_fix(
        "import sys\n" + _in_a_pool("done = False; pool.map(touch, sys.stdin)"),
        "the statement shares its line with others",
    )


def test_dropped_results_of_a_list_are_left_alone() -> None:
    CASES.assert_leaves_alone(_in_a_pool("pool.map(touch, [a, b])"))


_TOUCH = """\
import os
import tempfile
from multiprocessing import Pool


def touch(path):
    if path.endswith("bad.txt"):
        raise ValueError(path)
    with open(path, "w") as f:
        f.write("done")


def paths(folder, names):
    for name in names:
        yield os.path.join(folder, name)


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as folder:
        with Pool(2) as pool:
            pool.map(touch, paths(folder, NAMES))
        print(len(os.listdir(folder)), "files")
"""


@pytest.mark.parametrize("method", START_METHODS)
@pytest.mark.parametrize(
    ("names", "expected"), [("[f'{n}.txt' for n in range(100)]", "100 files\n"), ("['1.txt', 'bad.txt']", None)]
)
def test_drained_results_run_every_task_and_raise_as_map_did(
    tmp_path: Path, method: str, names: str, expected: str | None
) -> None:
    before = _TOUCH.replace("NAMES", names)
    after = check(before, unsafe_fixes=True).fixed
    assert "        for _ in pool.imap(touch, paths(folder, " in after
    for source in (before, after):
        path = tmp_path / "program.py"
        path.write_text(source, encoding="utf-8")
        run = run_program(path, method)
        if expected is None:
            assert run.returncode != 0 and "ValueError: " in run.stderr and "bad.txt" in run.stderr
        else:
            assert (run.returncode, run.stdout) == (0, expected), run.stderr


_FIRST_TASK_FAILS = """\
import os
import tempfile
import time
from multiprocessing import Pool


def touch(path):
    if path.endswith("bad.txt"):
        raise ValueError(path)
    time.sleep(0.01)
    with open(path, "w") as f:
        f.write("done")


def paths(folder):
    yield os.path.join(folder, "bad.txt")
    for n in range(200):
        yield os.path.join(folder, f"{n}.txt")


if __name__ == "__main__":
    folder = tempfile.mkdtemp()
    with Pool(2) as pool:
        try:
            pool.map(touch, paths(folder))
        except ValueError:
            pass
    print(len(os.listdir(folder)))
"""


def test_a_drained_loop_stops_at_the_first_failed_task_where_map_ran_them_all(tmp_path: Path) -> None:
    # Why the fix of a statement that drops map()'s results is unsafe.
    after = check(_FIRST_TASK_FAILS, unsafe_fixes=True).fixed
    assert "            for _ in pool.imap(touch, paths(folder), chunksize=64):" in after
    written = []
    for source in (_FIRST_TASK_FAILS, after):
        path = tmp_path / "program.py"
        path.write_text(source, encoding="utf-8")
        run = run_program(path, "fork")
        assert run.returncode == 0, run.stderr
        written.append(int(run.stdout))
    assert written[0] > written[1]


def test_messages_say_what_map_holds() -> None:
    source = "from multiprocessing import Pool\nwith Pool() as pool:\n    print(max(pool.map(f, range(10**7))))\n"
    [finding] = check(source).findings
    assert finding.message == (
        "`pool.map()` holds every result of `range()` of 10,000,000 numbers in one list until the last one is done"
    )
    assert (finding.line, finding.column) == (3, 15)


# -- the endless input: `map()` runs out of memory, `imap()` gives the answer -------------------

# Run under an address-space limit, so that the original's ever-growing list ends in a
# MemoryError within a second instead of filling the machine.
_LIMITED = """
import multiprocessing, resource, runpy, sys
resource.setrlimit(resource.RLIMIT_AS, (512 * 2**20, 512 * 2**20))
multiprocessing.set_start_method(sys.argv[1])
sys.argv = [sys.argv[2]]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def _run_limited(
    path: Path, method: str, python: str = sys.executable, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [python, "-c", _LIMITED, method, str(path)],
        check=False, capture_output=True, text=True, timeout=timeout, cwd=path.parent,
        env={**os.environ, "PYTHONHASHSEED": "0", "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_AS bounds the address space on Linux")
@pytest.mark.parametrize("method", START_METHODS)
def test_endless_input_exhausts_memory_before_and_finds_the_answer_after(method: str) -> None:
    before = SNIPPETS / "endless.before.py"
    result = check(before.read_text(encoding="utf-8"), unsafe_fixes=True)
    assert result.fixed == (SNIPPETS / "endless.after.py").read_text(encoding="utf-8")
    original = _run_limited(before, method)
    assert original.returncode != 0 and "MemoryError" in original.stderr
    found = "found 6\nfound 28\nfound 496\n"
    try:
        fixed = _run_limited(SNIPPETS / "endless.after.py", method, timeout=30)
    except subprocess.TimeoutExpired as hung:
        # The hang that makes the fix unsafe: the pool's end, while its task thread still
        # reads the input, can wait forever in `terminate()`. The answer came before it.
        output = hung.stdout or b""
        assert (output.decode() if isinstance(output, bytes) else output) == found
        return
    assert (fixed.returncode, fixed.stdout) == (0, found + "the first perfect numbers: [6, 28, 496]\n"), fixed.stderr


# -- `ProcessPoolExecutor.map()`: `buffersize=` where the target version has it (3.14) --------

PY314 = RuleCases("MP005", target_version=TargetVersion.PY314)
PY313 = RuleCases("MP005", target_version=TargetVersion.PY313)
NEEDS_314 = "`map(..., buffersize=64)` reads the input as the results are read from Python 3.14 on, and the target"

# Each has a twin of the same name in EXECUTOR_LEFT_ALONE.
EXECUTOR_FIXES = [
    pytest.param(
        """\
from concurrent.futures import ProcessPoolExecutor

with ProcessPoolExecutor() as executor:
    total = sum(executor.map(size, (p for p in paths if p.endswith(".txt"))))
""",
        """\
from concurrent.futures import ProcessPoolExecutor

with ProcessPoolExecutor() as executor:
    total = sum(executor.map(size, (p for p in paths if p.endswith(".txt")), buffersize=64))
""",
        id="generator_summed",
    ),
    pytest.param(
        """\
import itertools
from concurrent import futures


def first_hit(check):
    with futures.ProcessPoolExecutor(4) as executor:
        for hit in executor.map(check, itertools.count(), chunksize=8):
            if hit:
                return hit
""",
        """\
import itertools
from concurrent import futures


def first_hit(check):
    with futures.ProcessPoolExecutor(4) as executor:
        for hit in executor.map(check, itertools.count(), chunksize=8, buffersize=64):
            if hit:
                return hit
""",
        id="endless_input_left_early",
    ),
]

EXECUTOR_LEFT_ALONE = [
    pytest.param(
        """\
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

with ProcessPoolExecutor() as executor, ThreadPoolExecutor() as threads:
    total = sum(executor.map(size, [p for p in paths if p.endswith(".txt")]))
    total += sum(threads.map(size, (p for p in paths if p.endswith(".txt"))))
""",
        id="generator_summed",
    ),
    pytest.param(
        """\
import itertools
from concurrent import futures


def first_hit(check, names):
    with futures.ProcessPoolExecutor(4) as executor:
        for hit in executor.map(check, itertools.count(), chunksize=8, buffersize=16):
            if hit:
                return hit
        for hit in executor.map(check, itertools.count(), names):
            if hit:
                return hit
""",
        id="endless_input_left_early",
    ),
]


@pytest.mark.parametrize(("before", "after"), EXECUTOR_FIXES)
def test_executor_map_gets_a_buffersize_on_python_3_14(before: str, after: str) -> None:
    PY314.assert_fixes(before, after)
    PY313.assert_reports_without_fix(before, NEEDS_314)


@pytest.mark.parametrize("source", EXECUTOR_LEFT_ALONE)
def test_executor_map_left_alone(source: str) -> None:
    PY314.assert_leaves_alone(source)
    PY313.assert_leaves_alone(source)


def test_executor_results_thrown_away_are_drained_by_an_unsafe_fix() -> None:
    PY314.assert_unsafe_fix_only_on_request(
        "from concurrent.futures import ProcessPoolExecutor\n\nwith ProcessPoolExecutor() as ex:\n"
        "    ex.map(store, open('rows.txt'))\n",
        "from concurrent.futures import ProcessPoolExecutor\n\nwith ProcessPoolExecutor() as ex:\n"
        "    for _ in ex.map(store, open('rows.txt'), buffersize=64):\n        pass\n",
        EXECUTOR_DRAINED_UNSAFE,
    )


def test_another_librarys_executor_gets_no_buffersize() -> None:
    """loky's executor (and joblib's) reads the input eagerly too, but only the standard
    library's map() takes buffersize=; its twin, the standard executor, is fixed."""
    loop = "for row in ex.map(parse, open('rows.txt')):\n    print(row)\n"
    PY314.assert_reports_without_fix(
        "from loky import get_reusable_executor\n\nex = get_reusable_executor()\n" + loop,
        "only `concurrent.futures`' own executors take `buffersize=`; submit the tasks in batches",
    )
    PY314.assert_fixes(
        "from concurrent.futures import ProcessPoolExecutor\n\nex = ProcessPoolExecutor()\n" + loop,
        "from concurrent.futures import ProcessPoolExecutor\n\nex = ProcessPoolExecutor()\n"
        + loop.replace("open('rows.txt'))", "open('rows.txt'), buffersize=64)"),
    )


def test_executor_results_kept_are_reported() -> None:
    PY314.assert_reports_without_fix(
        "from concurrent.futures import ProcessPoolExecutor\n\nwith ProcessPoolExecutor() as ex:\n"
        "    results = ex.map(parse, open('rows.txt'))\n",
        "the results are kept as a list here (assigned, returned or passed on); if they are read only once, "
        "loop over `map(..., buffersize=64)` instead",
    )


def test_an_endless_input_read_to_its_end_is_reported_on_every_target() -> None:
    source = (
        "import itertools\nfrom concurrent.futures import ProcessPoolExecutor\n\n"
        "with ProcessPoolExecutor() as ex:\n    print(sum(ex.map(abs, itertools.count())))\n"
    )
    [finding] = PY314.check(source).findings
    assert finding.message == (
        "`ex.map()` submits a task for every item of `itertools.count()` before it returns, and it never ends: the "
        "call never returns and uses ever more memory; not fixed: `sum()` needs every result of an endless input, "
        "so it would not finish with `map(..., buffersize=64)` either; bound the input, with `itertools.islice()` "
        "for example"
    )


def _python_314() -> str | None:
    """An interpreter that has `Executor.map(buffersize=...)`: this one, or the CI's 3.14."""
    if sys.version_info >= (3, 14):
        return sys.executable
    script = Path(__file__).resolve().parent.parent / ".ci" / "pythons.sh"
    found = subprocess.run(["bash", str(script), "--no-provision", "3.14"], capture_output=True, text=True)
    return found.stdout.split()[1] if found.returncode == 0 and found.stdout else None


def _hangs(path: Path, method: str, python: str, seconds: float) -> bool:
    """Whether ``path`` is still running after ``seconds``, without its answer (the
    whole process group is killed then)."""
    process = subprocess.Popen(
        [python, "-c", _LIMITED, method, str(path)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=path.parent, start_new_session=True,
    )  # fmt: skip
    try:
        stdout, _ = process.communicate(timeout=seconds)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        return True
    return "first zero score" not in stdout


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_AS bounds the address space on Linux")
def test_an_endless_executor_map_never_answers_before_and_finds_the_answer_after() -> None:
    """Before, `map()` submits tasks until memory runs out, and the executor's shutdown
    then waits for every task submitted; after, it finds the answer."""
    python = _python_314()
    if python is None:
        pytest.skip("no Python 3.14 at hand")
    before = SNIPPETS / "first-match.reported.py"
    after = SNIPPETS / "first-match-buffered.unchanged.py"
    assert PY314.check(before.read_text(encoding="utf-8")).fixed == after.read_text(encoding="utf-8")
    assert _hangs(before, "forkserver", python, seconds=20)
    for method in START_METHODS:
        fixed = _run_limited(after, method, python)
        assert (fixed.returncode, fixed.stdout) == (0, "first zero score at reading 9469\n"), fixed.stderr
