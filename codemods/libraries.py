"""The libraries that start processes, as data: what they are imported as, what their
pools and processes are called, how tasks go in and results come out, how they start and
pickle, and which rules they make moot.

``mpfix.analysis.names`` resolves every callee through this table, the registry builds
its byte needles from it, and the Libraries docs page shows it. Adding a library is one
entry here plus its tests. Standard library only: the registry imports it.
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field

# MP001 and MP013: the main module is re-run in each child; MP009: tasks go through pickle.
GUARD_RULES = frozenset({"MP001", "MP013"})
PICKLE_RULES = frozenset({"MP009"})

# The canonical names of multiprocessing's process-side API. Thread-side lookalikes get
# their own names (ThreadPool, ThreadPoolExecutor) or none (multiprocessing.dummy.Process).
MP_TOP_LEVEL = frozenset(
    {
        "Process", "Pool", "Manager", "set_start_method", "freeze_support", "get_context",
        "Queue", "JoinableQueue", "SimpleQueue", "Pipe", "Lock", "RLock", "Semaphore",
        "BoundedSemaphore", "Condition", "Event", "Barrier", "Value", "Array",
        "RawValue", "RawArray", "cpu_count", "active_children", "current_process",
    }
)  # fmt: skip

# The qualified names below a multiprocessing-like package, without that package's name.
MP_EXACT = {
    "pool.Pool": "Pool",
    "pool.ThreadPool": "ThreadPool",
    "dummy.Pool": "ThreadPool",
    "managers.SyncManager": "Manager",
    "process.BaseProcess": "Process",
    "context.Process": "Process",
    "sharedctypes.Value": "Value",
    "sharedctypes.Array": "Array",
    "sharedctypes.RawValue": "RawValue",
    "sharedctypes.RawArray": "RawArray",
    "queues.Queue": "Queue",
    "queues.JoinableQueue": "JoinableQueue",
    "queues.SimpleQueue": "SimpleQueue",
}

MP_SUBMITS = ("apply", "apply_async", "map", "map_async", "imap", "imap_unordered", "starmap", "starmap_async")
MP_WAITS = ("get", "wait", "join")


@dataclass(frozen=True)
class Library:
    """One library's process-starting API."""

    name: str  # as the docs name it; ``distribution`` is what pip installs
    modules: tuple[str, ...]  # what it is imported as
    needle: bytes  # a byte string that every file using it holds
    pools: tuple[str, ...] = ()  # pool and executor classes or factories
    processes: tuple[str, ...] = ()  # process classes and process-starting functions
    submits: tuple[str, ...] = ()  # methods that hand tasks to workers
    waits: tuple[str, ...] = ()  # methods that wait for results
    start_method: str = "fork"  # the default on Linux
    serializer: str = "pickle"  # what sends tasks to workers: pickle, dill or cloudpickle
    needs_main_guard: bool = True  # the children re-run the main module under spawn
    closes: tuple[str, ...] = ("close", "join")  # how a pool that is done is cleaned up
    # Its executors' ``map()`` takes ``buffersize=`` (Python 3.14's concurrent.futures).
    map_buffersize: bool = False
    # Qualified names of its API and their canonical names. A library that copies
    # multiprocessing's API (``mirrors``) also has every name of that API under each module.
    apis: Mapping[str, str] = field(default_factory=dict)
    mirrors: bool = False
    workers_keyword: str | None = None  # the argument that asks for worker processes
    backends: Mapping[str, str] = field(default_factory=dict)  # keyword value -> library name
    backend_keyword: str | None = None
    also_moot: frozenset[str] = frozenset()  # rules it makes moot for reasons of its own
    note: str = ""

    @property
    def distribution(self) -> str:
        """What ``pip`` installs: ``torch`` for ``torch.multiprocessing``."""
        return self.name.split(" ")[0].split(".")[0]

    @property
    def moot(self) -> frozenset[str]:
        """The rules that stay silent on this library's pools and processes: those that it
        makes moot (it pickles with dill or cloudpickle, or its children do not re-run the
        main module), and ``also_moot``."""
        guard = frozenset() if self.needs_main_guard else GUARD_RULES
        pickle = PICKLE_RULES if self.serializer != "pickle" else frozenset()
        return guard | pickle | self.also_moot

    def qualified_apis(self) -> Iterator[tuple[str, str]]:
        """(qualified name, canonical name) of every API of the library."""
        yield from self.apis.items()
        if self.mirrors:
            for module in self.modules:
                yield from ((f"{module}.{name}", name) for name in MP_TOP_LEVEL)
                yield from ((f"{module}.{rest}", name) for rest, name in MP_EXACT.items())


LIBRARIES: tuple[Library, ...] = (
    Library(
        "multiprocessing",
        ("multiprocessing",),
        b"multiprocessing",
        pools=("Pool",),
        processes=("Process",),
        start_method="fork (forkserver from Python 3.14; spawn on macOS and Windows)",
        submits=MP_SUBMITS,
        waits=MP_WAITS,
        mirrors=True,
        apis={"multiprocessing.dummy.Pool": "ThreadPool"},
    ),
    Library(
        "concurrent.futures",
        ("concurrent.futures",),
        b"ProcessPoolExecutor",
        pools=("ProcessPoolExecutor",),
        submits=("submit", "map"),
        waits=("result", "exception", "wait", "as_completed"),
        start_method="multiprocessing's",
        closes=("shutdown",),
        map_buffersize=True,
        apis={
            "concurrent.futures.ProcessPoolExecutor": "ProcessPoolExecutor",
            "concurrent.futures.process.ProcessPoolExecutor": "ProcessPoolExecutor",
            "concurrent.futures.ThreadPoolExecutor": "ThreadPoolExecutor",
            "concurrent.futures.thread.ThreadPoolExecutor": "ThreadPoolExecutor",
            # Python 3.14: each worker is a subinterpreter of the same process. Tasks are
            # pickled, but nothing re-imports the main module and nothing starts a process.
            "concurrent.futures.InterpreterPoolExecutor": "InterpreterPoolExecutor",
            "concurrent.futures.interpreter.InterpreterPoolExecutor": "InterpreterPoolExecutor",
        },
    ),
    Library(
        "torch.multiprocessing",
        ("torch.multiprocessing",),
        b"multiprocessing",
        pools=("Pool",),
        processes=("Process", "spawn", "start_processes"),
        start_method="multiprocessing's; `spawn()` always spawns",
        submits=MP_SUBMITS,
        waits=MP_WAITS,
        mirrors=True,
        apis={"torch.multiprocessing.spawn": "spawn", "torch.multiprocessing.start_processes": "spawn"},
        note="`spawn(fn, args, nprocs)` calls `fn(i, *args)` in fresh processes; CUDA needs spawn or forkserver",
    ),
    Library(
        "torch.utils.data",
        ("torch.utils.data",),
        b"DataLoader",
        pools=("DataLoader",),
        submits=("__iter__",),
        start_method="multiprocessing's, or `multiprocessing_context=`",
        closes=(),
        apis={
            "torch.utils.data.DataLoader": "DataLoader",
            "torch.utils.data.dataloader.DataLoader": "DataLoader",
        },
        workers_keyword="num_workers",
        note="iterating a `DataLoader` whose `num_workers` is not 0 starts its worker processes",
    ),
    Library(
        "multiprocess",
        ("multiprocess",),
        b"multiprocess",
        pools=("Pool",),
        processes=("Process",),
        serializer="dill",
        submits=MP_SUBMITS,
        waits=MP_WAITS,
        mirrors=True,
        note="a fork of multiprocessing that pickles with dill; Hugging Face `datasets` runs on it",
    ),
    Library(
        "billiard",
        ("billiard",),
        b"billiard",
        pools=("Pool",),
        processes=("Process",),
        submits=MP_SUBMITS,
        waits=MP_WAITS,
        mirrors=True,
        note="Celery's fork of multiprocessing; a task that cannot be pickled hangs the pool, silently",
    ),
    Library(
        "pathos",
        ("pathos.multiprocessing", "pathos.pools"),
        b"pathos",
        pools=("ProcessingPool", "ProcessPool"),
        submits=("map", "imap", "uimap", "amap", "pipe", "apipe"),
        waits=("get", "ready"),
        serializer="dill",
        closes=("close", "join", "clear"),
        apis={
            "pathos.multiprocessing.ProcessingPool": "ProcessingPool",
            "pathos.multiprocessing.ProcessPool": "ProcessingPool",
            "pathos.pools.ProcessPool": "ProcessingPool",
        },
        note="pools are cached per configuration: `close()`, `join()`, then `clear()` (not `terminate()`)",
    ),
    Library(
        "mpire",
        ("mpire",),
        b"mpire",
        pools=("WorkerPool",),
        submits=("map", "map_unordered", "imap", "imap_unordered", "apply", "apply_async"),
        waits=("get", "wait", "stop_and_join"),
        serializer="pickle (dill with `use_dill=True`)",
        closes=("stop_and_join",),
        apis={"mpire.WorkerPool": "WorkerPool", "mpire.pool.WorkerPool": "WorkerPool"},
    ),
    Library(
        "loky",
        ("loky",),
        b"loky",
        pools=("ProcessPoolExecutor", "get_reusable_executor"),
        submits=("submit", "map"),
        waits=("result", "exception"),
        start_method="loky (spawn without re-running the main module)",
        serializer="cloudpickle",
        needs_main_guard=False,
        closes=("shutdown",),
        apis={
            "loky.ProcessPoolExecutor": "ProcessPoolExecutor",
            "loky.process_executor.ProcessPoolExecutor": "ProcessPoolExecutor",
            "loky.get_reusable_executor": "ProcessPoolExecutor",
            "loky.reusable_executor.get_reusable_executor": "ProcessPoolExecutor",
        },
        # A reusable executor is meant to outlive its use: the next call hands it out again.
        also_moot=frozenset({"MP011"}),
    ),
    Library(
        "joblib",
        ("joblib",),
        b"joblib",
        pools=("Parallel",),
        submits=("__call__",),
        waits=("__call__",),
        start_method="loky",
        serializer="cloudpickle",
        needs_main_guard=False,
        closes=(),
        apis={"joblib.Parallel": "Parallel", "joblib.parallel.Parallel": "Parallel"},
        backend_keyword="backend",
        backends={"multiprocessing": 'joblib (backend="multiprocessing")'},
    ),
    Library(
        'joblib (backend="multiprocessing")',
        ("joblib",),
        b"joblib",
        pools=("Parallel",),
        submits=("__call__",),
        waits=("__call__",),
        start_method="multiprocessing's",
        closes=(),
        note="the tasks go through `multiprocessing.Pool`",
    ),
    Library(
        "datasets",
        ("datasets",),
        b"num_proc",
        submits=("map", "filter"),
        start_method="multiprocess's: fork",
        serializer="dill",
        closes=(),
        workers_keyword="num_proc",
        note="`Dataset.map(..., num_proc=N)` runs on a `multiprocess` pool",
    ),
)

BY_NAME = {library.name: library for library in LIBRARIES}


def _by_qualified_name() -> dict[str, tuple[str, Library]]:
    table: dict[str, tuple[str, Library]] = {}
    for library in LIBRARIES:
        for qualified, api in library.qualified_apis():
            table.setdefault(qualified, (api, library))
    return table


BY_QUALIFIED_NAME = _by_qualified_name()
# Every canonical API name of the table, and those that start no process.
EVERY_API = frozenset(api for api, _ in BY_QUALIFIED_NAME.values())
THREAD_SIDE = frozenset({"ThreadPool", "ThreadPoolExecutor", "InterpreterPoolExecutor"})
# The library that makes a context: ``get_context`` of each multiprocessing-like module.
CONTEXT_MAKERS = {
    f"{module}.get_context": library for library in LIBRARIES if library.mirrors for module in library.modules
}


def resolve(qualified_name: str) -> tuple[str, Library] | None:
    """The canonical API name of a fully qualified name, and its library; None if it is
    no library's."""
    return BY_QUALIFIED_NAME.get(qualified_name)


def through_context(name: str) -> str:
    """``multiprocess.Pool`` for ``multiprocess.get_context.Pool``, the qualified name of
    ``multiprocess.get_context("spawn").Pool``."""
    for maker in CONTEXT_MAKERS:
        if name.startswith(maker + "."):
            return maker.rsplit(".", 1)[0] + name[len(maker) :]
    return name


def canonical(qualified_name: str) -> str | None:
    """The canonical API name of a fully qualified name (through a context too), or None
    if it is no library's."""
    found = resolve(through_context(qualified_name))
    return found[0] if found is not None else None


def spellings(apis: Collection[str]) -> frozenset[str]:
    """Every last name a callee resolving to one of ``apis`` can have in source, before
    aliasing: ``Manager`` and ``SyncManager`` both mean the API "Manager"."""
    return _spellings(frozenset(apis))


@functools.cache
def _spellings(apis: frozenset[str]) -> frozenset[str]:
    # The pre-checks ask for the same few sets in every module.
    found = {qualified.rsplit(".", 1)[-1] for qualified, (api, _) in BY_QUALIFIED_NAME.items() if api in apis}
    return apis | found


def needles() -> tuple[bytes, ...]:
    """Byte strings one of which every file that uses one of the libraries holds
    (``multiprocess`` also stands for ``multiprocessing``)."""
    every = {library.needle for library in LIBRARIES}
    return tuple(sorted(n for n in every if not any(other != n and other in n for other in every)))
