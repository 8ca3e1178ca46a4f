"""map-materializes-iterable (MP005): `Pool.map()` over lazy, large and endless inputs,
fixed, left alone and reported."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest
from programs import START_METHODS
from rule_cases import RuleCases

from codemods import rules
from codemods.engine import analyze

MP005 = [rules.BY_CODE["MP005"]]
RULE = rules.BY_CODE["MP005"].load()
CASES = RuleCases("MP005")
SNIPPETS = Path(__file__).resolve().parent.parent / "docs" / "snippets" / "map-materializes-iterable"


def check(source: str, *, unsafe_fixes: bool = False):
    return analyze(source, rules=MP005, unsafe_fixes=unsafe_fixes)


# Each fixed case has a twin of the same name in LEFT_ALONE.
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
        id="endless_input_any",
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
from concurrent.futures import ProcessPoolExecutor

with ProcessPoolExecutor() as executor:
    total = sum(executor.map(size, (p for p in paths)))
""",
        id="executor_map",
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
    print(sum(pool.starmap(pow, ((n, 2) for n in range(10)))))
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


@pytest.mark.parametrize("source", [p.values[0] for p in FIXES + REPORTED] + [p.values[0] for p in UNSAFE])
def test_precheck_lets_through_every_module_with_a_finding(source: str) -> None:
    assert RULE.precheck(ast.parse(source))


def test_precheck_skips_modules_without_a_map_call() -> None:
    assert not RULE.precheck(ast.parse("from multiprocessing import Pool\nwith Pool() as p:\n    p.imap(f, g())\n"))


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


def _run_limited(path: Path, method: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", _LIMITED, method, str(path)],
        check=False, capture_output=True, text=True, timeout=60, cwd=path.parent,
        env={**os.environ, "PYTHONHASHSEED": "0"},
    )  # fmt: skip


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_AS bounds the address space on Linux")
@pytest.mark.parametrize("method", START_METHODS)
def test_endless_input_exhausts_memory_before_and_finds_the_answer_after(method: str) -> None:
    before = SNIPPETS / "endless.before.py"
    result = check(before.read_text(encoding="utf-8"))
    assert result.fixed == (SNIPPETS / "endless.after.py").read_text(encoding="utf-8")
    original = _run_limited(before, method)
    assert original.returncode != 0 and "MemoryError" in original.stderr
    fixed = _run_limited(SNIPPETS / "endless.after.py", method)
    assert (fixed.returncode, fixed.stdout) == (0, "the first perfect numbers: [6, 28, 496]\n"), fixed.stderr
