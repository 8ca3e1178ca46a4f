"""Programs of several modules, checked as a user runs `mpfix`: what one module does to
another is found, reported in the module that must change, and correct programs of
several modules get no finding."""

from __future__ import annotations

from pathlib import Path

import pytest
from mpfix.cli import app
from typer.testing import CliRunner

from tests.programs import START_METHODS, run_program

GUARD = 'if __name__ == "__main__":'

WORKERS = """\
import multiprocessing as mp

results = mp.Queue()


def work(n):
    results.put(n * n)
"""
MAIN = f"""\
import multiprocessing as mp

from workers import results, work

{GUARD}
    ps = [mp.Process(target=work, args=(i,)) for i in range(3)]
    for p in ps:
        p.start()
    print(sorted(results.get(timeout=5) for _ in ps))
"""
QUEUE_FINDING = (
    "workers.py:3:11: MP003 `results` (`mp.Queue()`) is created at module level but reaches `work` through a "
    "global, and `work` runs in a child process that main.py starts on line 6: under spawn and forkserver each "
    "child that imports this module creates its own, which no other process shares; not fixed: the children are "
    "started in main.py: pass it to `work` as an argument from the code that starts the process"
)
# As `check .` reports it: `fix .` hands the queue over in both files.
QUEUE_FIXABLE = QUEUE_FINDING.split("; not fixed:")[0] + " [*]"
# The twin: the script creates the queue and hands it to each child.
WORKERS_PASSED = """\
def work(results, n):
    results.put(n * n)
"""
MAIN_PASSES = f"""\
import multiprocessing as mp

from workers import work

{GUARD}
    results = mp.Queue()
    ps = [mp.Process(target=work, args=(results, i)) for i in range(3)]
    for p in ps:
        p.start()
    print(sorted(results.get(timeout=5) for _ in ps))
"""

LAMBDA_HELPERS = "square = lambda x: x * x\n"
DEF_HELPERS = "def square(x):\n    return x * x\n"
POOLED = f"""\
from multiprocessing import Pool

from helpers import square

{GUARD}
    with Pool(2) as pool:
        print(pool.map(square, range(4)))
"""
LAMBDA_FINDING = (
    "main.py:7:24: MP009 `pool.map()` pickles its task under every start method, and cannot pickle `square`, a "
    "lambda that helpers.py binds at line 1: pickle refers to a function by its module and name, and a lambda "
    "has none; not fixed: the lambda is in helpers.py: make it a `def` of the same name there"
)
SENT_LAMBDA_FINDING = (
    "helpers.py:1:1: MP009 `square` is a lambda, and main.py hands it to child processes as a pool task on line 7, "
    "which pickles it: pickle refers to a function by its module and name, and a lambda has none"
)

PRINTING_HELPERS = 'print("loading helpers")\n\n\n' + DEF_HELPERS
QUIET_HELPERS = 'def announce():\n    print("loading helpers")\n\n\n' + DEF_HELPERS
PRINT_FINDING = (
    "helpers.py:1:1: MP013 `print()` prints at module level, and child processes import this module (main.py "
    "imports it on line 3 and starts child processes); under spawn and forkserver each of them repeats it; not "
    "fixed: a `__main__` guard never runs when a module is imported, so move the work into a function that the "
    "script calls, by hand"
)

POOL_HELPERS = "from multiprocessing import Pool\n\n\n" + DEF_HELPERS + "\n\npool = Pool(2)\n"
USES_POOL = f"from helpers import pool, square\n\n{GUARD}\n    print(pool.map(square, range(4)))\n"
POOL_FINDING = (
    'helpers.py:8:8: MP001 `Pool()` starts processes at module level, outside `if __name__ == "__main__":`; '
    "under spawn and forkserver every child process re-runs it; not fixed: main.py imports this module on line 1 "
    "and uses `pool`, which only the code that would move under the guard binds; start the processes in a "
    "function that main.py calls instead"
)


def mpfix(*args: str, stdin: str | None = None) -> tuple[int, list[str]]:
    """Exit code and finding lines of `mpfix <args> --output-format concise`."""
    result = CliRunner().invoke(app, [*args, "--output-format", "concise"], input=stdin)
    return result.exit_code, [line for line in result.output.splitlines() if ": MP" in line]


@pytest.fixture
def program(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write(folder: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def unchanged_by_fix(folder: Path, files: dict[str, str]) -> bool:
    code, _ = mpfix("fix", ".")
    return code == 0 and all((folder / name).read_text(encoding="utf-8") == text for name, text in files.items())


# -- MP003: a module-level queue that a child started elsewhere reads ---------------------


def test_a_queue_created_where_the_worker_lives_is_reported_there(program: Path) -> None:
    write(program, {"workers.py": WORKERS, "main.py": MAIN})
    assert mpfix("check", ".") == (1, [QUEUE_FIXABLE])


def test_checking_one_file_uses_the_files_beside_it(program: Path) -> None:
    write(program, {"workers.py": WORKERS, "main.py": MAIN})
    assert mpfix("check", "workers.py") == (1, [QUEUE_FINDING])
    assert mpfix("check", "--stdin-filename", "workers.py", "-", stdin=WORKERS) == (1, [QUEUE_FINDING])
    assert mpfix("check", "main.py") == (0, [])


def test_a_queue_handed_to_the_children_is_left_alone(program: Path) -> None:
    files = {"workers.py": WORKERS_PASSED, "main.py": MAIN_PASSES}
    write(program, files)
    assert mpfix("check", ".") == (0, [])
    assert unchanged_by_fix(program, files)


def test_children_forked_by_name_share_the_queue(program: Path) -> None:
    forked = MAIN.replace("mp.Process(", 'mp.get_context("fork").Process(')
    write(program, {"workers.py": WORKERS, "main.py": forked})
    assert mpfix("check", ".") == (0, [])


@pytest.mark.parametrize(
    ("imported", "start", "reported"),
    [
        ("from multiprocessing import Process as Start", "Start(", True),
        ("from multiprocessing import get_context as context", 'context("spawn").Process(', True),
        ("from multiprocessing import get_context as context", 'context("fork").Process(', False),
    ],
)
def test_children_started_through_an_alias_or_a_context_are_followed(
    program: Path, imported: str, start: str, reported: bool
) -> None:
    main = MAIN.replace("import multiprocessing as mp", imported).replace("mp.Process(", start)
    write(program, {"workers.py": WORKERS, "main.py": main})
    code, lines = mpfix("check", ".")
    if reported:  # the fix, which passes the queue where the children start, is offered for `mp.Process` only
        assert code == 1 and len(lines) == 1 and lines[0].startswith(QUEUE_FIXABLE.removesuffix(" [*]")), lines
    else:
        assert (code, lines) == (0, [])


def test_a_queue_that_no_child_reads_is_left_alone(program: Path) -> None:
    parent_only = WORKERS + "\n\ndef drain():\n    return results.get()\n"
    write(program, {"workers.py": parent_only, "main.py": MAIN.replace("import results, work", "import work")})
    assert mpfix("check", ".") == (1, [QUEUE_FINDING])
    write(program, {"workers.py": parent_only.replace("    results.put(n * n)", "    return n * n")})
    assert mpfix("check", ".") == (0, [])


def test_a_package_with_relative_imports_in_a_src_layout(program: Path) -> None:
    main = MAIN.replace("from workers import", "from .workers import")
    write(program, {"src/app/__init__.py": "", "src/app/workers.py": WORKERS, "src/app/main.py": main})
    expected = QUEUE_FIXABLE.replace("workers.py:", "src/app/workers.py:", 1)
    assert mpfix("check", ".") == (1, [expected])


def test_a_target_reexported_by_the_package_is_followed(program: Path) -> None:
    main = MAIN.replace("from workers import results, work", "from app import results, work")
    reexport = "from .workers import results, work\n"
    write(program, {"app/__init__.py": reexport, "app/workers.py": WORKERS, "main.py": main})
    expected = QUEUE_FINDING.replace("workers.py:", "app/workers.py:", 1).replace("that main.py", "that ../main.py")
    expected = expected.replace("started in main.py", "started in ../main.py")
    assert mpfix("check", ".") == (1, [expected])


@pytest.mark.parametrize("method", START_METHODS)
def test_the_reported_queue_fails_under_spawn_and_forkserver(program: Path, method: str) -> None:
    write(program, {"workers.py": WORKERS, "main.py": MAIN})
    run = run_program(program / "main.py", method, timeout=60)
    if method == "fork":
        assert run.stdout == "[0, 1, 4]\n"
    else:
        assert run.returncode != 0 and "queue.Empty" in run.stderr


@pytest.mark.parametrize("method", START_METHODS)
def test_its_twin_works_under_every_start_method(program: Path, method: str) -> None:
    write(program, {"workers.py": WORKERS_PASSED, "main.py": MAIN_PASSES})
    assert run_program(program / "main.py", method).stdout == "[0, 1, 4]\n"


# -- MP009: a task that another module binds to a lambda --------------------------------


def test_a_lambda_from_another_module_handed_to_a_pool(program: Path) -> None:
    write(program, {"helpers.py": LAMBDA_HELPERS, "main.py": POOLED})
    # Where the fix is, when the run checks that module; else where it is handed over.
    assert mpfix("check", ".") == (1, [SENT_LAMBDA_FINDING + " [*]"])
    assert mpfix("check", "main.py") == (1, [LAMBDA_FINDING])
    run = run_program(program / "main.py", "fork")
    assert run.returncode != 0 and "PicklingError" in run.stderr


def test_the_lambda_becomes_a_def_in_its_own_module(program: Path) -> None:
    write(program, {"helpers.py": "# the task\nsquare = lambda x: x * x  # squares\n", "main.py": POOLED})
    assert mpfix("fix", ".") == (0, [])
    defined = "# the task\ndef square(x):  # squares\n    return x * x\n"
    assert (program / "helpers.py").read_text(encoding="utf-8") == defined
    assert (program / "main.py").read_text(encoding="utf-8") == POOLED
    assert mpfix("check", ".") == (0, [])
    assert unchanged_by_fix(program, {"helpers.py": (program / "helpers.py").read_text(encoding="utf-8")})


@pytest.mark.parametrize("method", START_METHODS)
def test_the_program_with_the_def_works_under_every_start_method(program: Path, method: str) -> None:
    write(program, {"helpers.py": LAMBDA_HELPERS, "main.py": POOLED})
    mpfix("fix", ".")
    assert run_program(program / "main.py", method).stdout == "[0, 1, 4, 9]\n"


def test_a_lambda_sharing_its_line_is_reported_in_its_own_module(program: Path) -> None:
    write(program, {"helpers.py": "limit = 3; " + LAMBDA_HELPERS, "main.py": POOLED})
    found = SENT_LAMBDA_FINDING.replace("helpers.py:1:1:", "helpers.py:1:12:")
    assert mpfix("check", ".") == (1, [found + "; not fixed: define it with `def square(...)` on a line of its own"])


def test_a_lambda_of_another_module_as_a_process_target(program: Path) -> None:
    started = f"import multiprocessing as mp\n\nfrom helpers import square\n\n{GUARD}\n"
    started += "    p = mp.Process(target=square, args=(3,))\n    p.start()\n    p.join()\n"
    write(program, {"helpers.py": LAMBDA_HELPERS, "main.py": started})
    target = "as a process target on line 6, which pickles it under spawn and forkserver"
    found = SENT_LAMBDA_FINDING.replace("as a pool task on line 7, which pickles it", target)
    assert mpfix("check", ".") == (1, [found + " [*]"])


def test_a_name_bound_again_after_its_lambda_is_left_alone(program: Path) -> None:
    write(program, {"helpers.py": LAMBDA_HELPERS + "square = abs\n", "main.py": POOLED})
    assert mpfix("check", ".") == (0, [])


def test_a_function_from_another_module_handed_to_a_pool(program: Path) -> None:
    files = {"helpers.py": DEF_HELPERS, "main.py": POOLED}
    write(program, files)
    assert mpfix("check", ".") == (0, [])
    assert unchanged_by_fix(program, files)


# -- MP013: import-time work in a module that every child imports -----------------------


def test_a_print_in_a_module_the_children_import(program: Path) -> None:
    write(program, {"helpers.py": PRINTING_HELPERS, "main.py": POOLED})
    runs_there = "`square` runs in child processes that main.py starts on line 7"
    expected = PRINT_FINDING.replace("main.py imports it on line 3 and starts child processes", runs_there)
    assert mpfix("check", ".") == (1, [expected])


@pytest.mark.parametrize("method", START_METHODS)
def test_children_repeat_the_print_under_spawn_and_forkserver(program: Path, method: str) -> None:
    write(program, {"helpers.py": PRINTING_HELPERS, "main.py": POOLED})
    run = run_program(program / "main.py", method)
    # The parent prints it once; a worker that the pool's exit ends before it started
    # up may not, so under spawn and forkserver it is at least one more.
    printed = run.stdout.count("loading helpers")
    assert printed == 1 if method == "fork" else printed >= 2


def test_a_print_in_a_module_the_script_imports(program: Path) -> None:
    tasks = "def square(x):\n    return x * x\n"
    main = POOLED.replace("from helpers import square", "import helpers\nfrom tasks import square")
    write(program, {"helpers.py": 'print("loading helpers")\n', "tasks.py": tasks, "main.py": main})
    assert mpfix("check", ".") == (1, [PRINT_FINDING])


def test_a_print_only_a_function_makes_is_left_alone(program: Path) -> None:
    files = {"helpers.py": QUIET_HELPERS, "main.py": POOLED}
    write(program, files)
    assert mpfix("check", ".") == (0, [])
    assert unchanged_by_fix(program, files)


def test_a_file_read_whose_value_the_children_need_is_left_alone(program: Path) -> None:
    reads = 'with open("factor.txt") as f:\n    FACTOR = int(f.read())\n\n\n'
    helpers = reads + DEF_HELPERS.replace("x * x", "x * x * FACTOR")
    files = {"helpers.py": helpers, "main.py": POOLED, "factor.txt": "1\n"}
    write(program, files)
    assert mpfix("check", ".") == (0, [])
    assert run_program(program / "main.py", "spawn").stdout == "[0, 1, 4, 9]\n"


def test_a_print_in_a_module_no_child_imports_is_left_alone(program: Path) -> None:
    main = f"import helpers\n\n{GUARD}\n    helpers.square(2)\n"
    write(program, {"helpers.py": PRINTING_HELPERS, "main.py": main, "other.py": POOLED.replace("helpers", "tasks")})
    write(program, {"tasks.py": DEF_HELPERS})
    assert mpfix("check", ".") == (0, [])


# -- MP001: a module that others import starts a pool at import -------------------------


@pytest.mark.parametrize(
    "main",
    [
        USES_POOL,
        f"import helpers\n\n{GUARD}\n    print(helpers.pool.map(helpers.square, range(4)))\n",
        f"from helpers import *\n\n{GUARD}\n    print(pool.map(square, range(4)))\n",
    ],
    ids=["from-import", "module-attribute", "star-import"],
)
def test_a_pool_that_an_importer_uses_is_reported_not_moved(program: Path, main: str) -> None:
    files = {"helpers.py": POOL_HELPERS, "main.py": main}
    write(program, files)
    code, found = mpfix("check", "--select", "MP001", ".")
    assert (code, found) == (1, [POOL_FINDING])
    code, _ = mpfix("fix", "--select", "MP001", ".")
    assert code == 1 and (program / "helpers.py").read_text(encoding="utf-8") == POOL_HELPERS


# A module that names multiprocessing but starts nothing is read only when it may import
# a module that does: by its name, or by ``from . import`` in the package.
NAMES_MULTIPROCESSING = (
    "import multiprocessing\n\nfrom {module} import pool, square\n\n{guard}\n"
    "    print(multiprocessing.cpu_count() > 0, pool.map(square, range(4)))\n"
)


@pytest.mark.parametrize(
    ("files", "where"),
    [
        (
            {"helpers.py": POOL_HELPERS, "main.py": NAMES_MULTIPROCESSING.format(module="helpers", guard=GUARD)},
            "helpers.py",
        ),
        (
            {"pkg/__init__.py": POOL_HELPERS, "pkg/main.py": NAMES_MULTIPROCESSING.format(module=".", guard=GUARD)},
            "pkg/__init__.py",
        ),
    ],
    ids=["by-name", "relative"],
)
def test_an_importer_that_names_multiprocessing_only(program: Path, files: dict[str, str], where: str) -> None:
    write(program, files)
    expected = POOL_FINDING.replace("helpers.py:", where + ":").replace("on line 1", "on line 3")
    assert mpfix("check", "--select", "MP001", ".") == (1, [expected])


def test_without_the_importer_the_guard_is_still_added(program: Path) -> None:
    write(program, {"helpers.py": POOL_HELPERS})
    code, found = mpfix("check", "--select", "MP001", ".")
    assert code == 1 and found[0].endswith("re-runs it [*]")


def test_a_pool_made_in_a_function_is_left_alone(program: Path) -> None:
    helpers = "from multiprocessing import Pool\n\n\n" + DEF_HELPERS + "\n\ndef make_pool():\n    return Pool(2)\n"
    main = (
        f"from helpers import make_pool, square\n\n{GUARD}\n"
        "    with make_pool() as pool:\n        print(pool.map(square, range(4)))\n"
    )
    files = {"helpers.py": helpers, "main.py": main}
    write(program, files)
    assert mpfix("check", ".") == (0, [])
    assert unchanged_by_fix(program, files)


# -- MP003 for pool tasks: a module-level counter --------------------------------------

COUNTER = """\
import multiprocessing as mp

hits = mp.Value("i", 0)


def count(n):
    with hits.get_lock():
        hits.value += 1
    return n
"""
COUNTS = f"""\
from multiprocessing import Pool

from counter import count, hits

{GUARD}
    with Pool(2) as pool:
        pool.map(count, range(10))
    print(hits.value)
"""
COUNTER_FINDING = (
    "counter.py:3:8: MP003 `hits` (`mp.Value()`) is created at module level but reaches `count` through a global, "
    "and `count` runs in a child process that main.py starts on line 7: under spawn and forkserver each child that "
    "imports this module creates its own, which no other process shares; not fixed: the children are started in "
    "main.py: create it where the pool is made and hand it to the workers through the pool's `initializer=`"
)


def test_a_counter_in_a_helper_module_that_pool_tasks_update(program: Path) -> None:
    write(program, {"counter.py": COUNTER, "main.py": COUNTS})
    assert mpfix("check", ".") == (1, [COUNTER_FINDING])


@pytest.mark.parametrize("method", START_METHODS)
def test_the_counter_stays_zero_under_spawn_and_forkserver(program: Path, method: str) -> None:
    write(program, {"counter.py": COUNTER, "main.py": COUNTS})
    assert run_program(program / "main.py", method).stdout == ("10\n" if method == "fork" else "0\n")


def test_a_module_imported_under_the_guard_is_not_imported_by_the_children(program: Path) -> None:
    main = POOLED.replace("from helpers import square", "from tasks import square").replace(
        "    with Pool", "    import helpers\n\n    with Pool"
    )
    write(program, {"helpers.py": 'print("loading helpers")\n', "tasks.py": DEF_HELPERS, "main.py": main})
    assert mpfix("check", ".") == (0, [])
    at_load = main.replace("    import helpers\n\n", "").replace("from tasks", "import helpers\nfrom tasks")
    write(program, {"main.py": at_load})
    assert mpfix("check", ".")[0] == 1


# -- MP008: a task changes a global of its module, which the parent then reads --------

COLLECTS = """\
RESULTS = []


def work(n):
    RESULTS.append(n * n)
"""
READS_RESULTS = f"""\
from multiprocessing import Pool

from workers import RESULTS, work

{GUARD}
    with Pool(2) as pool:
        pool.map(work, range(4))
    print(sorted(RESULTS))
"""
LIST_FINDING = (
    "workers.py:5:5: MP008 `work`, a pool task that main.py starts on line 7, changes the module-level `RESULTS` "
    "(`RESULTS.append(n * n)`): under every start method a child process changes its own copy of the module, so "
    "main.py, which reads `RESULTS` on line 8, never sees the change; not fixed: return the value from `work` and "
    "use what the pool returns in main.py"
)
# The twin: the task returns its value and the script uses what the pool returns.
RETURNS = "def work(n):\n    return n * n\n"
USES_RESULTS = f"""\
from multiprocessing import Pool

from workers import work

{GUARD}
    with Pool(2) as pool:
        print(sorted(pool.map(work, range(4))))
"""


def test_a_list_a_task_appends_to_in_another_module(program: Path) -> None:
    write(program, {"workers.py": COLLECTS, "main.py": READS_RESULTS})
    assert mpfix("check", ".") == (1, [LIST_FINDING])
    assert mpfix("check", "workers.py") == (1, [LIST_FINDING])
    assert mpfix("check", "main.py") == (0, [])


@pytest.mark.parametrize("method", START_METHODS)
def test_the_parent_list_stays_empty_under_every_start_method(program: Path, method: str) -> None:
    write(program, {"workers.py": COLLECTS, "main.py": READS_RESULTS})
    assert run_program(program / "main.py", method).stdout == "[]\n"


@pytest.mark.parametrize("method", START_METHODS)
def test_its_returning_twin_is_left_alone_and_works(program: Path, method: str) -> None:
    files = {"workers.py": RETURNS, "main.py": USES_RESULTS}
    write(program, files)
    assert mpfix("check", ".") == (0, [])
    assert unchanged_by_fix(program, files)
    assert run_program(program / "main.py", method).stdout == "[0, 1, 4, 9]\n"


def test_a_list_the_parent_never_reads_is_left_alone(program: Path) -> None:
    main = READS_RESULTS.replace("import RESULTS, work", "import work").replace("sorted(RESULTS)", '"done"')
    files = {"workers.py": COLLECTS, "main.py": main}
    write(program, files)
    assert mpfix("check", ".") == (0, [])
    assert unchanged_by_fix(program, files)


def test_a_queue_the_task_puts_into_is_no_lost_change(program: Path) -> None:
    write(program, {"workers.py": WORKERS, "main.py": MAIN})
    assert mpfix("check", "--select", "MP008", ".") == (0, [])


COUNTS_TOTAL = "total = 0\n\n\ndef add(n):\n    global total\n    total += n\n"
STARTS_ADDERS = f"""\
import multiprocessing as mp

import workers

{GUARD}
    ps = [mp.Process(target=workers.add, args=(i,)) for i in range(5)]
    for p in ps:
        p.start()
    for p in ps:
        p.join()
    print(workers.total)
"""
TOTAL_FINDING = (
    "workers.py:6:5: MP008 `add`, a process target that main.py starts on line 6, assigns the global `total` "
    "(`total += n`): under every start method a child process changes its own copy of the module, so main.py, "
    "which reads `total` on line 11, never sees the change; not fixed: send the value to the parent through a "
    "`multiprocessing.Queue` passed to the process, or keep it in a `Manager()` list or dict in main.py"
)


def test_a_global_a_process_target_rebinds_in_another_module(program: Path) -> None:
    write(program, {"workers.py": COUNTS_TOTAL, "main.py": STARTS_ADDERS})
    assert mpfix("check", ".") == (1, [TOTAL_FINDING])
    for method in START_METHODS:
        assert run_program(program / "main.py", method).stdout == "0\n"


def test_a_list_of_a_third_module(program: Path) -> None:
    workers = "from store import RESULTS\n\n\ndef work(n):\n    RESULTS.append(n * n)\n"
    main = READS_RESULTS.replace("from workers import RESULTS, work", "import store\nfrom workers import work")
    main = main.replace("sorted(RESULTS)", "sorted(store.RESULTS)")
    write(program, {"store.py": "RESULTS = []\n", "workers.py": workers, "main.py": main})
    expected = LIST_FINDING.replace("on line 8", "on line 9").replace("on line 7", "on line 8")
    expected = expected.replace("level `RESULTS`", "level `store.RESULTS`")
    assert mpfix("check", ".") == (1, [expected])
    assert run_program(program / "main.py", "spawn").stdout == "[]\n"


def test_a_forked_child_loses_its_change_too(program: Path) -> None:
    forked = STARTS_ADDERS.replace("mp.Process(", 'mp.get_context("fork").Process(')
    write(program, {"workers.py": COUNTS_TOTAL, "main.py": forked})
    assert mpfix("check", ".") == (1, [TOTAL_FINDING])
    assert run_program(program / "main.py", "spawn").stdout == "0\n"


def test_a_global_of_a_third_module_assigned_through_its_name(program: Path) -> None:
    workers = "import store\n\n\ndef add(n):\n    store.total += n\n"
    main = STARTS_ADDERS.replace("import workers\n", "import store\nimport workers\n").replace(
        "print(workers.total)", "print(store.total)"
    )
    write(program, {"store.py": "total = 0\n", "workers.py": workers, "main.py": main})
    expected = TOTAL_FINDING.replace("6:5", "5:5").replace("line 11", "line 12").replace("line 6", "line 7")
    expected = expected.replace("the global `total` (`total += n`)", "`store.total` (`store.total += n`)")
    assert mpfix("check", ".") == (1, [expected])
    assert run_program(program / "main.py", "spawn").stdout == "0\n"


# -- MP011: a module-level pool that another module uses --------------------------------

UNCLOSED = (
    "helpers.py:8:8: MP011 `pool` (`Pool(2)`) is never closed or terminated: its worker processes live on until it "
    "is garbage-collected or the program exits; not fixed: {why}; close it (`close()`, then `join()`) after its "
    "last use"
)


def test_a_pool_another_module_uses_is_not_called_unused(program: Path) -> None:
    write(program, {"helpers.py": POOL_HELPERS, "main.py": USES_POOL})
    used = UNCLOSED.format(why="main.py imports it on line 1 and uses it there")
    assert mpfix("check", "--select", "MP011", ".") == (1, [used])
    assert mpfix("check", "--select", "MP011", "helpers.py") == (1, [used])


def test_a_pool_no_module_uses_is_still_unused(program: Path) -> None:
    main = USES_POOL.replace("import pool, square", "import square").replace("pool.map", "list(map")
    write(program, {"helpers.py": POOL_HELPERS, "main.py": main.replace("range(4)))", "range(4))))")})
    unused = UNCLOSED.replace("{why}; close it", "it is never used: remove it, or close it").replace(
        " after its last use", ""
    )
    assert unused.endswith("not fixed: it is never used: remove it, or close it (`close()`, then `join()`)")
    assert mpfix("check", "--select", "MP011", ".") == (1, [unused])


# -- MP014: a global of the worker's module that the script sets in the parent ------------

SCALER = """\
CONFIG = None


def work(x):
    return x * CONFIG["factor"]
"""
CONFIGURES = f"""\
from multiprocessing import Pool

import scaler


def main():
    scaler.CONFIG = {{"factor": 3}}
    with Pool(2) as pool:
        print(pool.map(scaler.work, range(5)))


{GUARD}
    main()
"""
CONFIG_FINDING = (
    "scaler.py:5:16: MP014 `work` runs in a child process that main.py starts on line 9 and reads `CONFIG`, which "
    "the parent assigns at run time (main.py:7, in `main()`): under spawn and forkserver the child sees `CONFIG` as "
    "this module's import leaves it; not fixed: hand it over where main.py makes the pool: an `initializer=` that "
    "sets the worker's `CONFIG`, given the value in `initargs=`"
)


def test_a_global_the_script_assigns_through_the_module(program: Path) -> None:
    write(program, {"scaler.py": SCALER, "main.py": CONFIGURES})
    assert mpfix("check", ".") == (1, [CONFIG_FINDING])
    assert mpfix("check", "scaler.py") == (1, [CONFIG_FINDING])
    assert mpfix("fix", ".") == (1, [CONFIG_FINDING])  # reported, not fixed
    assert [(program / name).read_text(encoding="utf-8") for name in ("scaler.py", "main.py")] == [SCALER, CONFIGURES]


@pytest.mark.parametrize("method", START_METHODS)
def test_the_assigned_global_is_none_in_spawned_children(program: Path, method: str) -> None:
    write(program, {"scaler.py": SCALER, "main.py": CONFIGURES})
    run = run_program(program / "main.py", method)
    if method == "fork":
        assert run.stdout == "[0, 3, 6, 9, 12]\n"
    else:
        assert run.returncode != 0 and "TypeError" in run.stderr


def test_a_global_the_module_sets_at_import_is_left_alone(program: Path) -> None:
    files = {"scaler.py": SCALER.replace("CONFIG = None", 'CONFIG = {"factor": 3}'), "main.py": CONFIGURES}
    files["main.py"] = CONFIGURES.replace('    scaler.CONFIG = {"factor": 3}\n', "")
    write(program, files)
    assert mpfix("check", ".") == (0, [])
    assert unchanged_by_fix(program, files)


def test_a_global_the_children_never_read_is_left_alone(program: Path) -> None:
    files = {"scaler.py": SCALER.replace('CONFIG["factor"]', "3"), "main.py": CONFIGURES}
    write(program, files)
    assert mpfix("check", ".") == (0, [])
    assert unchanged_by_fix(program, files)


def test_a_parameter_named_as_the_global_is_left_alone(program: Path) -> None:
    scaler = SCALER.replace("def work(x):", "def work(x, CONFIG={'factor': 3}):")
    write(program, {"scaler.py": scaler, "main.py": CONFIGURES})
    assert mpfix("check", ".") == (0, [])


def test_a_global_set_again_once_the_pool_is_done_is_left_alone(program: Path) -> None:
    main = CONFIGURES.replace('    scaler.CONFIG = {"factor": 3}\n', "").replace(
        "range(5)))\n", 'range(5)))\n    scaler.CONFIG = {"factor": 3}\n'
    )
    write(program, {"scaler.py": SCALER.replace("CONFIG = None", 'CONFIG = {"factor": 3}'), "main.py": main})
    assert mpfix("check", ".") == (0, [])


def test_a_global_set_at_the_scripts_import_is_set_in_every_child(program: Path) -> None:
    main = CONFIGURES.replace('    scaler.CONFIG = {"factor": 3}\n', "").replace(
        "\n\ndef main", '\nscaler.CONFIG = {"factor": 3}\n\n\ndef main'
    )
    write(program, {"scaler.py": SCALER, "main.py": main})
    assert mpfix("check", ".") == (0, [])
    for method in START_METHODS:
        assert run_program(program / "main.py", method).stdout == "[0, 3, 6, 9, 12]\n"


def test_a_global_that_an_initializer_sets_in_each_worker_is_left_alone(program: Path) -> None:
    scaler = SCALER + "\n\ndef setup(config):\n    global CONFIG\n    CONFIG = config\n"
    main = CONFIGURES.replace("Pool(2)", "Pool(2, initializer=scaler.setup, initargs=(scaler.CONFIG,))")
    write(program, {"scaler.py": scaler, "main.py": main})
    assert mpfix("check", ".") == (0, [])
    for method in START_METHODS:
        assert run_program(program / "main.py", method).stdout == "[0, 3, 6, 9, 12]\n"


def test_a_global_of_forked_children_is_left_alone(program: Path) -> None:
    main = CONFIGURES.replace("from multiprocessing import Pool", "import multiprocessing as mp").replace(
        "Pool(2)", 'mp.get_context("fork").Pool(2)'
    )
    write(program, {"scaler.py": SCALER, "main.py": main})
    assert mpfix("check", ".") == (0, [])


LOADER = """\
CONFIG = None


def scale(x):
    return x * CONFIG["factor"]


def load():
    global CONFIG
    CONFIG = {"factor": 3}
"""
LOADS = CONFIGURES.replace('    scaler.CONFIG = {"factor": 3}\n', "    scaler.load()\n").replace(
    "scaler.work", "scaler.scale"
)


def test_a_global_that_a_function_of_its_module_assigns_for_the_script(program: Path) -> None:
    write(program, {"scaler.py": LOADER, "main.py": LOADS})
    expected = CONFIG_FINDING.replace("`work`", "`scale`").replace(
        "(main.py:7, in `main()`)", "(scaler.py:10, in `load()`, which main.py calls on line 7 in `main()`)"
    )
    assert mpfix("check", ".") == (1, [expected])
    assert run_program(program / "main.py", "spawn").returncode != 0


def test_a_global_assigned_by_a_helper_of_the_function_the_script_calls(program: Path) -> None:
    loader = LOADER.replace("def load():", "def setup():\n    load()\n\n\ndef load():")
    write(program, {"scaler.py": loader, "main.py": LOADS.replace("scaler.load()", "scaler.setup()")})
    expected = CONFIG_FINDING.replace("`work`", "`scale`").replace(
        "(main.py:7, in `main()`)",
        "(scaler.py:14, in `load()`, which `setup()` calls, which main.py calls on line 7 in `main()`)",
    )
    assert mpfix("check", ".") == (1, [expected])


def test_a_function_that_the_modules_import_runs_too_is_left_alone(program: Path) -> None:
    files = {"scaler.py": LOADER + "\n\nload()\n", "main.py": LOADS}
    write(program, files)
    assert mpfix("check", ".") == (0, [])
    for method in START_METHODS:
        assert run_program(program / "main.py", method).stdout == "[0, 3, 6, 9, 12]\n"


def test_a_function_of_the_module_that_only_reads_is_left_alone(program: Path) -> None:
    loader = LOADER.replace("    global CONFIG\n    CONFIG = ", "    return ")
    write(program, {"scaler.py": loader, "main.py": LOADS})
    assert mpfix("check", ".") == (0, [])


COLLECTOR = """\
SEEN = []


def count(label):
    print(label, len(SEEN))
"""
EXTENDS = f"""\
import multiprocessing as mp

from collector import SEEN, count

{GUARD}
    SEEN.extend([1, 2, 3])
    p = mp.Process(target=count, args=("seen",))
    p.start()
    p.join()
"""
SEEN_FINDING = (
    "collector.py:5:22: MP014 `count` runs in a child process that main.py starts on line 7 and reads `SEEN`, "
    "which the parent changes at run time (main.py:6, under the `__main__` guard): under spawn and forkserver the "
    "child sees `SEEN` as this module's import leaves it; not fixed: pass it to `count` in `args=` where main.py "
    "starts the process"
)


def test_a_list_the_script_extends_for_a_process_target(program: Path) -> None:
    write(program, {"collector.py": COLLECTOR, "main.py": EXTENDS})
    assert mpfix("check", ".") == (1, [SEEN_FINDING])
    for method in START_METHODS:
        assert run_program(program / "main.py", method).stdout == ("seen 3\n" if method == "fork" else "seen 0\n")


def test_a_list_the_script_rebinds_is_its_own(program: Path) -> None:
    main = EXTENDS.replace("SEEN.extend([1, 2, 3])", "SEEN = [1, 2, 3]")
    write(program, {"collector.py": COLLECTOR, "main.py": main})
    assert mpfix("check", ".") == (0, [])


# -- sys.path: a script that adds a folder before it imports from it ---------------------

ADDS_TO_PATH = 'import os\nimport sys\n\nsys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))\n\n'
ADDS_LIB = CONFIGURES.replace("import scaler\n", ADDS_TO_PATH + "import scaler\n")
LIB_FINDING = CONFIG_FINDING.replace("scaler.py:", "lib/scaler.py:", 1).replace("main.py", "../main.py")
LIB_FINDING = LIB_FINDING.replace("on line 9", "on line 14").replace(":7,", ":12,")


@pytest.mark.parametrize(
    "adds",
    [
        'sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))',
        'sys.path.insert(0, str(Path(__file__).resolve().parent / "lib"))',
        'sys.path.append("lib")',
    ],
)
def test_a_folder_the_script_adds_to_sys_path_is_searched(program: Path, adds: str) -> None:
    main = ADDS_LIB.replace('sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))', adds)
    main = main.replace("import os\n", "import os\nfrom pathlib import Path\n" if "Path" in adds else "import os\n")
    write(program, {"lib/scaler.py": SCALER, "main.py": main})
    shift = 1 if "Path" in adds else 0
    expected = LIB_FINDING.replace("on line 14", f"on line {14 + shift}").replace(":12,", f":{12 + shift},")
    assert mpfix("check", ".") == (1, [expected])
    assert run_program(program / "main.py", "spawn").returncode != 0


def test_without_the_sys_path_change_the_folder_is_not_searched(program: Path) -> None:
    main = ADDS_LIB.replace('sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))', "")
    write(program, {"lib/scaler.py": SCALER, "main.py": main})
    assert mpfix("check", ".") == (0, [])


def test_a_folder_computed_otherwise_is_not_followed(program: Path) -> None:
    main = ADDS_LIB.replace('os.path.join(os.path.dirname(__file__), "lib")', 'os.environ.get("LIB", "lib")')
    write(program, {"lib/scaler.py": SCALER, "main.py": main})
    assert mpfix("check", ".") == (0, [])


@pytest.mark.parametrize(
    ("data", "starts", "adds"),
    [
        (b"from multiprocessing import Process\n", True, False),
        (b"with ProcessPoolExecutor() as ex:\n    pass\n", True, False),
        (b"class MyProcessor:\n    pool_size = 2  # a Pooled thing\n", False, False),
        (b"import sys\nsys.path.insert(0, here)\n", False, True),
        (b"from sys import path as p\n", False, True),
        (b"sys . path\n  .append(here)\n", False, True),
        (b"classpath.insert(0, x)\nmypath as_list\n", False, False),
        (b"Process", True, False),
        (b"path.append", False, True),
    ],
)
def test_the_model_reads_a_module_that_names_an_api_or_adds_to_sys_path_as_a_word(
    data: bytes, starts: bool, adds: bool
) -> None:
    from mpfix.analysis.project.summary import may_start
    from mpfix.analysis.project.syspath import may_add_to_path

    assert (may_start(data), may_add_to_path(data)) == (starts, adds)


# -- The modules that children import, summarised a level at a time ------------------

CHAIN = {
    "main.py": "from multiprocessing import Pool\n\nimport alpha\nimport beta\nfrom tasks import work\n\n"
    'if __name__ == "__main__":\n    with Pool(2) as pool:\n        pool.map(work, range(3))\n',
    "tasks.py": "def work(n):\n    return n\n",
    "alpha.py": 'print("alpha loaded")\n',
    "beta.py": 'print("beta loaded")\n',
}


def test_the_modules_children_import_are_summarised_together_with_the_same_findings(
    program: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mpfix.analysis.project.model import Project
    from mpfix.run import project

    write(program, CHAIN)
    one_by_one: list[str] = []
    add = project.Summaries.add

    def counted(self: project.Summaries, path: str, data: bytes) -> object:
        one_by_one.append(Path(path).name)
        return add(self, path, data)

    monkeypatch.setattr(project.Summaries, "add", counted)
    imported = {"alpha.py", "beta.py"}
    together = mpfix("check", ".")
    assert not imported & set(one_by_one)  # the modules the children import: summarised in batches
    assert [line.split(":")[0] for line in together[1]] == ["alpha.py", "beta.py"]
    monkeypatch.setattr(Project, "prefetch", lambda self, paths: None)
    one_by_one.clear()
    assert mpfix("check", ".") == together  # asked for one after the other: the same findings
    assert imported <= set(one_by_one)


def test_a_module_is_found_where_its_folder_lists_it(tmp_path: Path) -> None:
    """The model finds an imported module's file as the import does: ``name.py`` first,
    then the package ``name/__init__.py``, under the first root that has either; a folder
    named like a module file, or a root that does not exist, is no module."""
    from mpfix.analysis.project.paths import locate

    first, second = tmp_path / "first", tmp_path / "second"
    (first / "pkg").mkdir(parents=True)
    (first / "pkg" / "__init__.py").write_text("")
    (first / "pkg" / "tasks.py").write_text("")
    (first / "odd.py").mkdir()  # a folder, not a module
    (second / "pkg").mkdir(parents=True)
    (second / "pkg" / "other.py").write_text("")
    (second / "odd.py").write_text("")
    (second / "solo").mkdir()
    (second / "solo" / "__init__.py").write_text("")
    roots = [str(tmp_path / "missing"), str(first), str(second)]
    listings: dict[str, frozenset[str]] = {}
    assert locate("pkg.tasks", roots, listings) == str(first / "pkg" / "tasks.py")
    assert locate("pkg", roots, listings) == str(first / "pkg" / "__init__.py")
    assert locate("pkg.other", roots, listings) == str(second / "pkg" / "other.py")
    assert locate("odd", roots, listings) == str(second / "odd.py")
    assert locate("solo", roots, listings) == str(second / "solo" / "__init__.py")
    assert locate("pkg.absent", roots, listings) is None
    assert locate("", roots, listings) is None
    (first / "late.py").write_text("")  # a listing is read once per run
    assert locate("late", roots, listings) is None
    assert locate("late", roots) == str(first / "late.py")
