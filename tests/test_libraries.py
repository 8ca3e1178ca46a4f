"""The libraries of mpfix.libraries, on their real installs: their pitfalls are found
and fixed, the fixed programs print the same under every start method, and the rules that
a library makes moot stay silent."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from mpfix.analysis.names import canonical
from mpfix.engine import analyze
from mpfix.libraries import LIBRARIES
from programs import START_METHODS, run_program
from rule_cases import RuleCases

MISSING_GUARD = RuleCases("MP001")
UNPICKLABLE = RuleCases("MP009")
NOT_CLOSED = RuleCases("MP011")

SQUARES = "[0, 1, 4, 9]\n"
BATCHES = "[0, 1]\n[4, 9]\n[16, 25]\n[36, 49]\n"


def _installed(*libraries: str) -> list[pytest.MarkDecorator]:
    missing = [name for name in libraries if importlib.util.find_spec(name) is None]
    return [pytest.mark.skipif(bool(missing), reason=f"{', '.join(missing)} not installed")]


# (library, the program, its fix, what the fix prints under every start method)
GUARDED = [
    pytest.param(
        ("torch",),
        """\
import torch.multiprocessing as mp


def square(x):
    return x * x


with mp.Pool(2) as pool:
    print(pool.map(square, range(4)))
""",
        """\
import torch.multiprocessing as mp


def square(x):
    return x * x


if __name__ == "__main__":
    with mp.Pool(2) as pool:
        print(pool.map(square, range(4)))
""",
        SQUARES,
        id="torch-pool",
        marks=_installed("torch"),
    ),
    pytest.param(
        ("multiprocess",),
        """\
import multiprocess as mp


def square(x):
    return x * x


with mp.Pool(2) as pool:
    print(pool.map(square, range(4)))
""",
        """\
import multiprocess as mp


def square(x):
    return x * x


if __name__ == "__main__":
    with mp.Pool(2) as pool:
        print(pool.map(square, range(4)))
""",
        SQUARES,
        id="multiprocess-pool",
        marks=_installed("multiprocess"),
    ),
    pytest.param(
        ("billiard",),
        """\
import billiard as mp


def square(x):
    return x * x


with mp.Pool(2) as pool:
    print(pool.map(square, range(4)))
""",
        """\
import billiard as mp


def square(x):
    return x * x


if __name__ == "__main__":
    with mp.Pool(2) as pool:
        print(pool.map(square, range(4)))
""",
        SQUARES,
        id="billiard-pool",
        marks=_installed("billiard"),
    ),
    pytest.param(
        ("torch",),
        """\
from torch.utils.data import DataLoader


def square(x):
    return x * x


data = [square(i) for i in range(8)]
loader = DataLoader(data, batch_size=2, num_workers=2)
for batch in loader:
    print(batch.tolist())
""",
        """\
from torch.utils.data import DataLoader


def square(x):
    return x * x


data = [square(i) for i in range(8)]
if __name__ == "__main__":
    loader = DataLoader(data, batch_size=2, num_workers=2)
    for batch in loader:
        print(batch.tolist())
""",
        BATCHES,
        id="torch-dataloader",
        marks=_installed("torch"),
    ),
    pytest.param(
        ("multiprocess",),
        """\
from pathos.multiprocessing import ProcessingPool


def square(x):
    return x * x


pool = ProcessingPool(2)
print(pool.map(square, range(4)))
pool.close()
pool.join()
pool.clear()
""",
        """\
from pathos.multiprocessing import ProcessingPool


def square(x):
    return x * x


if __name__ == "__main__":
    pool = ProcessingPool(2)
    print(pool.map(square, range(4)))
    pool.close()
    pool.join()
    pool.clear()
""",
        SQUARES,
        id="pathos-pool",
        marks=_installed("pathos"),
    ),
]


@pytest.mark.parametrize(("libraries", "before", "after", "printed"), GUARDED)
def test_module_level_work_of_each_library_is_guarded(
    libraries: tuple[str, ...], before: str, after: str, printed: str, tmp_path: Path
) -> None:
    MISSING_GUARD.assert_fixes(before, after)
    program = tmp_path / "program.py"
    program.write_text(after, encoding="utf-8")
    for method in START_METHODS:
        run = run_program(program, method, libraries=tuple(n for n in libraries if n != "torch"))
        assert (method, run.returncode, run.stdout) == (method, 0, printed), run.stderr


FIXED_ELSEWHERE = [
    pytest.param(
        """\
from joblib import Parallel, delayed


def square(x):
    return x * x


print(Parallel(n_jobs=2, backend="multiprocessing")(delayed(square)(i) for i in range(4)))
""",
        """\
from joblib import Parallel, delayed


def square(x):
    return x * x


if __name__ == "__main__":
    print(Parallel(n_jobs=2, backend="multiprocessing")(delayed(square)(i) for i in range(4)))
""",
        id="joblib-multiprocessing-backend",
    ),
    pytest.param(
        """\
from datasets import load_dataset

rows = load_dataset("csv", data_files="rows.csv")
rows = rows.map(lambda row: {"size": len(row["text"])}, num_proc=4)
""",
        """\
from datasets import load_dataset

rows = load_dataset("csv", data_files="rows.csv")
if __name__ == "__main__":
    rows = rows.map(lambda row: {"size": len(row["text"])}, num_proc=4)
""",
        id="datasets-map-with-num-proc",
    ),
    pytest.param(
        """\
import torch.multiprocessing as mp


def work(rank, size):
    print(rank, size)


mp.spawn(work, args=(2,), nprocs=2)
""",
        """\
import torch.multiprocessing as mp


def work(rank, size):
    print(rank, size)


if __name__ == "__main__":
    mp.spawn(work, args=(2,), nprocs=2)
""",
        id="torch-spawn",
    ),
    pytest.param(
        """\
from mpire import WorkerPool


def square(x):
    return x * x


with WorkerPool(n_jobs=2, start_method="spawn") as pool:
    print(pool.map(square, range(4)))
""",
        """\
from mpire import WorkerPool


def square(x):
    return x * x


if __name__ == "__main__":
    with WorkerPool(n_jobs=2, start_method="spawn") as pool:
        print(pool.map(square, range(4)))
""",
        id="mpire-worker-pool",
    ),
    pytest.param(
        """\
import billiard

ctx = billiard.get_context("spawn")
with ctx.Pool(2) as pool:
    print(pool.map(abs, [-1]))
""",
        """\
import billiard

if __name__ == "__main__":
    ctx = billiard.get_context("spawn")
    with ctx.Pool(2) as pool:
        print(pool.map(abs, [-1]))
""",
        id="billiard-context",
    ),
]


@pytest.mark.parametrize(("before", "after"), FIXED_ELSEWHERE)
def test_other_ways_to_start_processes_are_guarded(before: str, after: str) -> None:
    MISSING_GUARD.assert_fixes(before, after)


def test_a_dataloader_callback_that_cannot_be_pickled_is_moved_to_module_level() -> None:
    UNPICKLABLE.assert_fixes(
        """\
from torch.utils.data import DataLoader


def main():
    loader = DataLoader(range(8), num_workers=2, collate_fn=lambda batch: batch, multiprocessing_context="spawn")
    print(list(loader))
""",
        """\
from torch.utils.data import DataLoader


def _main_collate_fn(batch):
    return batch


def main():
    loader = DataLoader(range(8), num_workers=2, collate_fn=_main_collate_fn, multiprocessing_context="spawn")
    print(list(loader))
""",
    )


def test_a_function_that_torch_spawns_is_moved_out_of_its_function() -> None:
    UNPICKLABLE.assert_fixes(
        """\
import torch.multiprocessing as mp


def main():
    def work(rank, size):
        print(rank, size)

    mp.spawn(work, args=(2,), nprocs=2)
""",
        """\
import torch.multiprocessing as mp


def work(rank, size):
    print(rank, size)


def main():
    mp.spawn(work, args=(2,), nprocs=2)
""",
    )


def test_a_module_level_function_that_torch_spawns_is_left_alone() -> None:
    UNPICKLABLE.assert_leaves_alone(
        """\
import torch.multiprocessing as mp


def work(rank, size):
    print(rank, size)


if __name__ == "__main__":
    mp.spawn(work, args=(2,), nprocs=2)
""",
    )


def test_a_billiard_task_that_cannot_be_pickled_is_found() -> None:
    # billiard's pool hangs, silently, on a task that pickle refuses.
    UNPICKLABLE.assert_fixes(
        """\
import billiard

if __name__ == "__main__":
    with billiard.Pool(2) as pool:
        print(pool.map(lambda x: x * x, range(4)))
""",
        """\
import billiard

def _main_task(x):
    return x * x

if __name__ == "__main__":
    with billiard.Pool(2) as pool:
        print(pool.map(_main_task, range(4)))
""",
    )


def test_a_pathos_pool_left_open_is_closed_in_pathos_words() -> None:
    NOT_CLOSED.assert_reports_without_fix(
        """\
from pathos.multiprocessing import ProcessingPool


def main():
    pool = ProcessingPool(2)
    print(pool.map(abs, [-1]))
""",
        "its `with` block would close nothing; close it (`close()`, `join()`, then `clear()`) after its last use",
    )


# Programs that every rule leaves alone: the library makes the rule moot, or starts no process.
MOOT = [
    pytest.param(
        """\
from loky import get_reusable_executor

executor = get_reusable_executor(max_workers=2)
print(list(executor.map(lambda x: x * x, range(4))))
""",
        id="loky-executor-without-guard-with-lambda",
    ),
    pytest.param(
        """\
import loky

with loky.ProcessPoolExecutor(2) as executor:
    print(executor.submit(lambda: 1).result())
""",
        id="loky-executor-class-without-guard",
    ),
    pytest.param(
        """\
from joblib import Parallel, delayed

print(Parallel(n_jobs=2)(delayed(lambda x: x * x)(i) for i in range(4)))
""",
        id="joblib-default-backend",
    ),
    pytest.param(
        """\
import multiprocess as mp

if __name__ == "__main__":
    with mp.get_context("spawn").Pool(2) as pool:
        print(pool.map(lambda x: x * x, range(4)))
""",
        id="multiprocess-pickles-lambdas-with-dill",
    ),
    pytest.param(
        """\
from pathos.multiprocessing import ProcessingPool

if __name__ == "__main__":
    pool = ProcessingPool(2)
    print(pool.map(lambda x: x * x, range(4)))
    pool.close()
    pool.join()
    pool.clear()
""",
        id="pathos-pickles-lambdas-with-dill",
    ),
    pytest.param(
        """\
from torch.utils.data import DataLoader

loader = DataLoader(list(range(8)), batch_size=2, num_workers=0, collate_fn=lambda batch: batch)
for batch in loader:
    print(batch)
""",
        id="dataloader-without-workers",
    ),
    pytest.param(
        """\
from torch.utils.data import DataLoader

loader = DataLoader(list(range(8)), batch_size=2, num_workers=2)

if __name__ == "__main__":
    for batch in loader:
        print(batch)
""",
        id="dataloader-made-at-module-level-iterated-under-the-guard",
    ),
    pytest.param(
        """\
from torch.utils.data import DataLoader


def main():
    loader = DataLoader(range(8), num_workers=2, collate_fn=lambda b: b, multiprocessing_context="fork")
    print(list(loader))
""",
        id="dataloader-callback-under-fork",
    ),
    pytest.param(
        """\
rows = [1, 2]
rows = list(map(abs, rows))
print(rows)
""",
        id="map-without-num-proc",
    ),
    pytest.param(
        """\
from datasets import load_dataset

rows = load_dataset("csv", data_files="rows.csv")
rows = rows.map(lambda row: {"size": len(row["text"])}, num_proc=None)
sizes = rows.map(lambda row: {"size": len(row["text"])})
""",
        id="datasets-map-in-this-process",
    ),
]


@pytest.mark.parametrize("source", MOOT)
def test_rules_that_a_library_makes_moot_stay_silent(source: str) -> None:
    result = analyze(source, unsafe_fixes=True)
    assert result.findings == []
    assert not result.changed


@pytest.mark.parametrize(
    ("qualified", "api"),
    [
        ("torch.multiprocessing.Pool", "Pool"),
        ("torch.multiprocessing.spawn", "spawn"),
        ("multiprocess.Pool", "Pool"),
        ("multiprocess.pool.Pool", "Pool"),
        ("billiard.Pool", "Pool"),
        ("billiard.context.Process", "Process"),
        ("pathos.multiprocessing.ProcessingPool", "ProcessingPool"),
        ("pathos.pools.ProcessPool", "ProcessingPool"),
        ("mpire.WorkerPool", "WorkerPool"),
        ("loky.get_reusable_executor", "ProcessPoolExecutor"),
        ("joblib.Parallel", "Parallel"),
        ("torch.utils.data.DataLoader", "DataLoader"),
        ("multiprocessing.dummy.Pool", "ThreadPool"),
        ("torch.Pool", None),
        ("dill.Pool", None),
    ],
)
def test_the_table_resolves_each_library(qualified: str, api: str | None) -> None:
    assert canonical(qualified) == api


def test_each_library_is_silenced_by_what_it_does() -> None:
    moot = {library.name: sorted(library.moot) for library in LIBRARIES}
    assert moot["multiprocess"] == moot["pathos"] == ["MP009"]
    assert moot["loky"] == ["MP001", "MP009", "MP011", "MP013"]
    assert moot["joblib"] == ["MP001", "MP009", "MP013"]
    assert moot["billiard"] == moot["torch.multiprocessing"] == moot['joblib (backend="multiprocessing")'] == []


LIBRARIES_PAGE = Path(__file__).resolve().parent.parent / "docs" / "libraries.md"
TABLE_HEADER = (
    "| Library | Imported as | Pools and processes | Tasks go in with | Results come back with "
    "| Default start method (Linux) | Serializer | Needs the guard | Rules it makes moot |"
)


def _names(names: tuple[str, ...], call: bool = False) -> str:
    return ", ".join(f"`{name}()`" if call else f"`{name}`" for name in names) or "-"


def library_table() -> str:
    """The table of the Libraries page, made from mpfix.libraries."""
    rows = [TABLE_HEADER, "|" + " --- |" * TABLE_HEADER.count(" | ") + " --- |"]
    for library in LIBRARIES:
        cells = [
            library.name.replace('"', "&quot;") if " " in library.name else f"`{library.name}`",
            _names(library.modules),
            _names(library.pools + library.processes),
            _names(library.submits, call=True),
            _names(library.waits, call=True),
            library.start_method,
            library.serializer,
            "yes" if library.needs_main_guard else "no",
            ", ".join(sorted(library.moot)) or "-",
        ]
        rows.append("| " + " | ".join(cells) + " |")
    notes = [f"- **{library.name}**: {library.note}." for library in LIBRARIES if library.note]
    return "\n".join([*rows, "", *notes]) + "\n"


def test_the_libraries_page_shows_the_table() -> None:
    assert library_table() in LIBRARIES_PAGE.read_text(encoding="utf-8")
