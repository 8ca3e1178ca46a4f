"""import-side-effects (MP013): module-level work that every child process repeats."""

from __future__ import annotations

import pytest
from mpfix import registry
from mpfix.engine import analyze
from mpfix.model import Safety
from programs import START_METHODS, run_program
from rule_cases import RuleCases

MP013 = [registry.BY_CODE["MP013"]]
CASES = RuleCases("MP013")
GUARD = '`if __name__ == "__main__":`'


def check(source: str):
    return analyze(source, rules=MP013)


# Iterating a DataLoader with workers under the guard starts processes.
DATA_LOADER = """\
from torch.utils.data import DataLoader

print("loading the data")
loader = DataLoader(list(range(8)), batch_size=2, num_workers=2)

if __name__ == "__main__":
    for batch in loader:
        print(batch)
"""

FIXES = [
    pytest.param(
        """\
import multiprocessing as mp


def work(x):
    return x


print("starting")
if __name__ == "__main__":
    with mp.Pool() as pool:
        pool.map(work, [1])
""",
        """\
import multiprocessing as mp


def work(x):
    return x


if __name__ == "__main__":
    print("starting")
    with mp.Pool() as pool:
        pool.map(work, [1])
""",
        id="print-right-before-guard",
    ),
    pytest.param(
        """\
from concurrent.futures import ProcessPoolExecutor


def count(line):
    return len(line)


with open("input.txt") as handle:
    lines = handle.read().splitlines()

if __name__ == "__main__":
    with ProcessPoolExecutor() as executor:
        print(sum(executor.map(count, lines)))
""",
        """\
from concurrent.futures import ProcessPoolExecutor


def count(line):
    return len(line)


if __name__ == "__main__":
    with open("input.txt") as handle:
        lines = handle.read().splitlines()

    with ProcessPoolExecutor() as executor:
        print(sum(executor.map(count, lines)))
""",
        id="read-file-for-the-script",
    ),
    pytest.param(
        """\
import subprocess
import time
from multiprocessing import Process

time.sleep(0.1)
subprocess.run(["true"], check=False)


class Job:
    '''A unit of work.'''

    size = 3


def run():
    print(Job.size)


if __name__ == "__main__":
    Process(target=run).start()
""",
        """\
import subprocess
import time
from multiprocessing import Process


class Job:
    '''A unit of work.'''

    size = 3


def run():
    print(Job.size)


if __name__ == "__main__":
    time.sleep(0.1)
    subprocess.run(["true"], check=False)
    Process(target=run).start()
""",
        id="sleep-and-command-pass-a-class",
    ),
    pytest.param(
        """\
import urllib.request as request
import multiprocessing

page = request.urlopen("http://localhost:8000").read()


def parse(chunk):
    return chunk.strip()


if __name__ == "__main__":
    with multiprocessing.Pool(2) as pool:
        print(pool.map(parse, page.split()))
""",
        """\
import urllib.request as request
import multiprocessing


def parse(chunk):
    return chunk.strip()


if __name__ == "__main__":
    page = request.urlopen("http://localhost:8000").read()
    with multiprocessing.Pool(2) as pool:
        print(pool.map(parse, page.split()))
""",
        id="network-read",
    ),
    pytest.param(
        """\
import multiprocessing as mp

name = input("Your name: ")


def greet(who):
    return "hello " + who


if __name__ == "__main__":
    with mp.Pool(1) as pool:
        print(pool.apply(greet, (name,)))
""",
        """\
import multiprocessing as mp


def greet(who):
    return "hello " + who


if __name__ == "__main__":
    name = input("Your name: ")
    with mp.Pool(1) as pool:
        print(pool.apply(greet, (name,)))
""",
        id="input-prompt",
    ),
    pytest.param(
        DATA_LOADER,
        """\
from torch.utils.data import DataLoader

if __name__ == "__main__":
    print("loading the data")
    loader = DataLoader(list(range(8)), batch_size=2, num_workers=2)

    for batch in loader:
        print(batch)
""",
        id="data-loader-with-workers",
    ),
]


@pytest.mark.parametrize(("before", "after"), FIXES)
def test_fixes(before: str, after: str) -> None:
    CASES.assert_fixes(before, after)


LEFT_ALONE = [
    pytest.param(
        """\
print("a module that starts no process")
""",
        id="no-processes",
    ),
    pytest.param(
        """\
from multiprocessing.pool import ThreadPool

print("threads share the interpreter")
with ThreadPool(2) as pool:
    pool.map(print, [1])
""",
        id="thread-pool-only",
    ),
    pytest.param(
        """\
import multiprocessing as mp


def work(x):
    print("in a task", x)


if __name__ == "__main__":
    print("starting")
    mp.Process(target=work, args=(1,)).start()
""",
        id="prints-in-function-and-guard",
    ),
    pytest.param(
        """\
import logging
import multiprocessing as mp

logging.basicConfig(level=logging.INFO)


def work(x):
    logging.info("task %s", x)


if __name__ == "__main__":
    mp.Process(target=work, args=(1,)).start()
""",
        id="logging-configured-for-children-too",
    ),
    pytest.param(
        """\
import multiprocessing as mp

NOTE = "print('not a call')"


def work():
    pass


if __name__ == "__main__":
    mp.Process(target=work).start()
""",
        id="text-that-looks-like-a-call",
    ),
    pytest.param(
        DATA_LOADER.replace("num_workers=2", "num_workers=0"),
        id="data-loader-without-workers",
    ),
]


@pytest.mark.parametrize("source", LEFT_ALONE)
def test_leaves_alone(source: str) -> None:
    CASES.assert_leaves_alone(source)


REPORTED = [
    pytest.param(
        """\
import multiprocessing as mp


def work():
    pass


if __name__ == "__main__":
    mp.Process(target=work).start()
print("done")
""",
        id="after-the-guard",
    ),
    pytest.param(
        """\
import multiprocessing as mp
import sys

print("starting", file=sys.stderr)
sys.path.insert(0, "plugins")
import plugin


def work():
    plugin.run()


if __name__ == "__main__":
    mp.Process(target=work).start()
""",
        id="cannot-pass-an-import",
    ),
    # A call of a function of a module the workers use changes nothing they read.
    pytest.param(
        """\
import multiprocessing as mp
import sys
import time

time.sleep(0)
sys.path.insert(0, "plugins")
import plugin


def work(x):
    return time.time() + plugin.run(x)


if __name__ == "__main__":
    with mp.Pool(2) as pool:
        print(pool.map(work, [1]))
""",
        id="workers-use-the-module-it-calls",
    ),
]


@pytest.mark.parametrize("source", REPORTED)
def test_reports_without_fix(source: str) -> None:
    result = analyze(source, rules=MP013, unsafe_fixes=True)
    assert result.findings and all(f.fix is Safety.NONE for f in result.findings)
    assert all("not fixed: move it under" in f.message for f in result.findings)
    assert not result.changed


# A name that code which may run in a child reads: moving what makes it would leave the
# children without it, so the advice is to hand the value over.
HANDED_OVER = [
    pytest.param(
        """\
import multiprocessing as mp

with open("words.txt") as file:
    WORDS = file.read().split()


def pick(i):
    return WORDS[i]


if __name__ == "__main__":
    with mp.Pool(2) as pool:
        print(pool.map(pick, [0, 1]))
""",
        "`open()` opens a file at module level",
        "pick",
        "WORDS",
        id="workers-read-what-it-binds",
    ),
    pytest.param(
        """\
import argparse
import multiprocessing as mp
import os

parser = argparse.ArgumentParser()
parser.add_argument("--root", default=".")
args = parser.parse_args()
root = args.root


def size(name):
    return os.path.getsize(os.path.join(root, name))


if __name__ == "__main__":
    with mp.Pool(2) as pool:
        print(pool.map(size, sorted(os.listdir(root))))
""",
        "`parser.parse_args()` parses the command line at module level",
        "size",
        "root",
        id="task-reads-what-the-command-line-gives",
    ),
]


@pytest.mark.parametrize(("source", "finding", "reader", "name"), HANDED_OVER)
def test_advice_hands_what_a_child_reads_to_the_workers(source: str, finding: str, reader: str, name: str) -> None:
    result = analyze(source, rules=MP013, unsafe_fixes=True)
    assert [f.message for f in result.findings] == [
        f"{finding}, in a module that starts processes: under spawn and forkserver every child process "
        f"repeats it; not fixed: `{reader}`, which may run in a child process, reads `{name}`, which comes from "
        f"this statement; moving it under {GUARD} would leave the children without `{name}`, so hand the value "
        "to the workers instead (the pool's `initializer=` and `initargs=`, or an argument)"
    ]
    assert not result.changed


@pytest.mark.parametrize("source", REPORTED)
def test_advice_moves_what_no_child_reads(source: str) -> None:
    [finding] = analyze(source, rules=MP013, unsafe_fixes=True).findings
    assert finding.message.endswith(
        ": under spawn and forkserver every child process repeats it; "
        f"not fixed: move it under {GUARD} (or into a function) by hand"
    )


def test_unguarded_start_is_left_to_missing_main_guard() -> None:
    source = "import multiprocessing as mp\nprint('starting')\nmp.Process(target=print).start()\n"
    assert check(source).findings == []


def test_composes_with_missing_main_guard() -> None:
    source = (
        "import multiprocessing as mp\n"
        "print('loading')\n"
        "N = 3\n\n\n"
        "def f(x):\n    return x * N\n\n\n"
        "with mp.Pool(2) as pool:\n    print(pool.map(f, range(N)))\n"
    )
    result = analyze(source)
    assert [f.code for f in result.findings] == ["MP001"]
    assert [f.code for f in result.applied] == ["MP001", "MP013"]
    assert result.fixed == (
        "import multiprocessing as mp\n"
        "N = 3\n\n\n"
        "def f(x):\n    return x * N\n\n\n"
        'if __name__ == "__main__":\n'
        "    print('loading')\n"
        "    with mp.Pool(2) as pool:\n        print(pool.map(f, range(N)))\n"
    )


PINNED_ON_LINUX = 'import sys\n    if sys.platform == "linux":\n        mp.set_start_method("fork")'
FORKED_PROCESS = 'mp.get_context("fork").Process(target=work).start()'
FORKED = """\
import multiprocessing as mp

import torch.multiprocessing

print("loading")


def work(rank):
    print(rank)


class Worker(mp.Process):
    pass


class Child(Worker):
    pass


if __name__ == "__main__":
    {start}
"""


@pytest.mark.parametrize(
    ("start", "reported"),
    [
        ('mp.get_context("fork").Process(target=work, args=(0,)).start()', False),
        ('torch.multiprocessing.start_processes(work, nprocs=2, start_method="fork")', False),
        ('mp.set_start_method("fork")\n    with mp.Pool(2) as pool:\n        pool.map(work, [0, 1])', False),
        ('torch.multiprocessing.start_processes(work, nprocs=2, start_method="spawn")', True),
        ("torch.multiprocessing.start_processes(work, nprocs=2)", True),
        ('mp.set_start_method("fork")\n    torch.multiprocessing.spawn(work, nprocs=2)', True),
        ('mp.get_context("fork").Process(target=work).start()\n    mp.Process(target=work).start()', True),
        ('mp.get_context("fork").Process(target=work).start()\n    Worker().start()', True),
        ('mp.set_start_method("fork")\n    Worker().start()', False),
        ('mp.get_context("fork").Process(target=work).start()\n    Child().start()', True),
        ('mp.set_start_method("fork")\n    Child().start()', False),
        (PINNED_ON_LINUX + "\n    mp.Process(target=work).start()", True),
        (FORKED_PROCESS + "\n    from mpire import WorkerPool\n    WorkerPool(2).map(work, [0])", True),
    ],
)
def test_a_module_whose_children_are_all_forked_is_left_alone(start: str, reported: bool) -> None:
    # A forked child does not import the module again: what it did at import, it did once.
    result = check(FORKED.format(start=start))
    assert [(f.code, f.line) for f in result.findings] == ([("MP013", 5)] if reported else [])


def test_message_names_the_effect() -> None:
    source = "import multiprocessing as mp\nimport time\ntime.sleep(1)\nif __name__ == '__main__':\n    mp.Pool()\n"
    [finding] = check(source).findings
    assert finding.message.startswith("`time.sleep()` sleeps at module level, in a module that starts processes")


# -- output on the way out -------------------------------------------------------------

ON_THE_WAY_OUT = """\
import multiprocessing as mp
import os
import sys

{code}


def work(x):
    return x


if __name__ == "__main__":
    with mp.Pool() as pool:
        print(pool.map(work, [1]))
"""


@pytest.mark.parametrize(
    "code",
    [
        pytest.param(
            'try:\n    import json\nexcept ImportError:\n    print("install json")\n    sys.exit(1)', id="sys-exit"
        ),
        pytest.param(
            'try:\n    import json\nexcept ImportError:\n    print("install json", file=sys.stderr)\n    raise',
            id="re-raise",
        ),
        pytest.param(
            'if sys.version_info < (3, 8): print("too old"); raise SystemExit(1)', id="raise-systemexit-one-line"
        ),
        pytest.param(
            'if not os.environ.get("HOME"):\n    if sys.stdin.isatty():\n        print("no HOME")\n    exit(2)',
            id="exit-after-nested-print",
        ),
        pytest.param('if not sys.argv:\n    input("press enter")\n    quit()', id="quit"),
        pytest.param('if os.name == "nt":\n    print("not on Windows")\n    os._exit(3)', id="os-exit"),
    ],
)
def test_output_on_a_path_that_ends_the_program_is_left_alone(code: str) -> None:
    result = check(ON_THE_WAY_OUT.format(code=code))
    assert result.findings == [] and not result.changed


PRINTS = (
    "`print()` prints at module level, in a module that starts processes: under spawn and forkserver every child "
    "process repeats it"
)


@pytest.mark.parametrize(
    "code",
    [
        pytest.param('try:\n    import json\nexcept ImportError:\n    print("no json: slower")', id="no-exit"),
        pytest.param(
            'try:\n    import json\nexcept ImportError:\n    sys.exit(1)\nelse:\n    print("json found")',
            id="else-goes-on",
        ),
        pytest.param('try:\n    print("checking")\n    sys.exit(1)\nexcept SystemExit:\n    pass', id="exit-caught"),
        pytest.param(
            'for name in ["json"]:\n    print("trying", name)\n    if name:\n        break\n    sys.exit(1)',
            id="loop-broken-out-of",
        ),
        pytest.param('if sys.argv:\n    sys.exit(1) if not os.name else print("goes on")', id="exit-not-last"),
    ],
)
def test_output_on_a_path_that_goes_on_is_reported(code: str) -> None:
    result = check(ON_THE_WAY_OUT.format(code=code))
    line = 5 + code[: code.index("print")].count("\n")
    assert [(f.line, f.message.partition("; not fixed: ")[0]) for f in result.findings] == [(line, PRINTS)]


def test_lazy_import_stays_where_it_is() -> None:
    """Python 3.15: a lazy import binds its name at module level, which workers read."""
    before = """\
import multiprocessing as mp
lazy import json

print("loading")


def work(text):
    return json.loads(text)


if __name__ == "__main__":
    with mp.Pool() as pool:
        print(pool.map(work, ["1"]))
"""
    after = """\
import multiprocessing as mp
lazy import json


def work(text):
    return json.loads(text)


if __name__ == "__main__":
    print("loading")
    with mp.Pool() as pool:
        print(pool.map(work, ["1"]))
"""
    assert check(before).fixed == after


def test_a_line_that_a_backslash_continues_moves_into_the_guard_with_its_statement() -> None:
    source = (
        "import multiprocessing as mp\n\n\ndef work(x):\n    return x\n\n\n"
        'print("starting", \\\n      "now")\n'
        'if __name__ == "__main__":\n    with mp.Pool() as pool:\n        pool.map(work, [1])\n'
    )
    assert check(source).fixed == (
        "import multiprocessing as mp\n\n\ndef work(x):\n    return x\n\n\n"
        'if __name__ == "__main__":\n    print("starting", \\\n          "now")\n'
        "    with mp.Pool() as pool:\n        pool.map(work, [1])\n"
    )


def test_the_blank_line_before_the_guard_stays_between_the_moved_code_and_the_guards_own() -> None:
    source = (
        "import multiprocessing as mp\n\n\ndef work(x):\n    return x\n\n\n"
        'print("starting")\n\n'
        'if __name__ == "__main__":\n    # the pool\n    with mp.Pool() as pool:\n        pool.map(work, [1])\n'
    )
    assert check(source).fixed == (
        "import multiprocessing as mp\n\n\ndef work(x):\n    return x\n\n\n"
        'if __name__ == "__main__":\n    print("starting")\n\n'
        "    # the pool\n    with mp.Pool() as pool:\n        pool.map(work, [1])\n"
    )


DOTTED_DEFAULT = """\
import argparse
import os
from concurrent.futures import ProcessPoolExecutor

parser = argparse.ArgumentParser()
parser.add_argument("--n", type=int, default=2)
args = parser.parse_args()


def work(i, sep=os.sep):
    return f"{i}{sep}"


if __name__ == "__main__":
    with ProcessPoolExecutor() as executor:
        print(list(executor.map(work, range(args.n))))
"""


def test_a_default_that_reads_a_modules_attribute_lets_the_script_move_past_it() -> None:
    # `os.sep` is read alike before and after the command line is parsed.
    fixed = check(DOTTED_DEFAULT).fixed
    assert fixed.index("def work") < fixed.index('if __name__ == "__main__":') < fixed.index("parser = ")
    # Its twin changes `os.sep` first: that line stays above the def whose default reads it.
    changed = DOTTED_DEFAULT.replace("args = parser", 'os.sep = "|"\nargs = parser')
    fixed = check(changed).fixed
    assert fixed.index('os.sep = "|"') < fixed.index("def work") < fixed.index("args = parser.parse_args()")


# A constant made of what the command line gives (`count`): it moves with the code it is made of.
DERIVED_CONSTANT = """\
import argparse
from multiprocessing import Pool

parser = argparse.ArgumentParser()
parser.add_argument("--n", type=int, default=4)
args = parser.parse_args()
print("squaring", args.n, "numbers")
numbers = list(range(args.n))
count = len(numbers)


def square(x):
    return x * x


if __name__ == "__main__":
    with Pool(2) as pool:
        print(count, pool.map(square, numbers))
"""

DERIVED_CONSTANT_FIXED = """\
import argparse
from multiprocessing import Pool


def square(x):
    return x * x


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=4)
    args = parser.parse_args()
    print("squaring", args.n, "numbers")
    numbers = list(range(args.n))
    count = len(numbers)
    with Pool(2) as pool:
        print(count, pool.map(square, numbers))
"""


def test_a_constant_made_of_what_the_script_computes_moves_with_it() -> None:
    result = check(DERIVED_CONSTANT)
    assert [(f.code, f.line, f.fix) for f in result.findings] == [("MP013", 6, Safety.SAFE), ("MP013", 7, Safety.SAFE)]
    assert result.fixed == DERIVED_CONSTANT_FIXED
    assert check(DERIVED_CONSTANT_FIXED).findings == []


def test_a_constant_made_of_constants_stays_while_the_script_moves() -> None:
    # `LIMIT` reads nothing the script computes: it stays a module constant, as before.
    source = DERIVED_CONSTANT.replace("count = len(numbers)\n", "count = len(numbers)\nLIMIT = len(\"abcd\")\n")
    fixed = check(source).fixed
    assert fixed == DERIVED_CONSTANT_FIXED.replace(
        "from multiprocessing import Pool\n\n", 'from multiprocessing import Pool\n\nLIMIT = len("abcd")\n\n'
    )


def test_a_constant_that_a_child_reads_keeps_what_it_is_made_of_in_place() -> None:
    # `square` reads `count` in the children: neither it nor `numbers` may move.
    source = DERIVED_CONSTANT.replace("return x * x", "return x * count")
    parsed, printed = check(source).findings
    assert (parsed.line, parsed.fix, printed.line, printed.fix) == (6, Safety.NONE, 7, Safety.NONE)
    assert "`square`, which may run in a child process, reads `count`, which comes from this statement" in (
        parsed.message
    )


@pytest.mark.parametrize("method", START_METHODS)
def test_a_constant_made_of_what_the_script_computes_fixed_prints_once(method: str, tmp_path) -> None:
    # Before the fix, each spawned child parses the command line and prints again.
    program = tmp_path / "squares.py"
    program.write_text(DERIVED_CONSTANT_FIXED, encoding="utf-8")
    run = run_program(program, method, timeout=60)
    assert (run.returncode, run.stdout) == (0, "squaring 4 numbers\n4 [0, 1, 4, 9]\n"), run.stderr
