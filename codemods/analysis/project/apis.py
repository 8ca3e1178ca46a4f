"""The canonical names of the ``multiprocessing`` and ``concurrent.futures`` APIs, and
which of them create inter-process objects or take tasks.

Standard library only: the project model, which the runner builds without libcst, names
the APIs as the rules do.
"""

from __future__ import annotations

# Canonical names of the process-side API. Thread-side lookalikes get their own names
# (ThreadPool, ThreadPoolExecutor) or none at all (multiprocessing.dummy.Process).
MP_TOP_LEVEL = frozenset(
    {
        "Process", "Pool", "Manager", "set_start_method", "freeze_support", "get_context",
        "Queue", "JoinableQueue", "SimpleQueue", "Pipe", "Lock", "RLock", "Semaphore",
        "BoundedSemaphore", "Condition", "Event", "Barrier", "Value", "Array",
        "RawValue", "RawArray", "cpu_count", "active_children", "current_process",
    }
)  # fmt: skip

EXACT_NAMES = {
    "multiprocessing.pool.Pool": "Pool",
    "multiprocessing.pool.ThreadPool": "ThreadPool",
    "multiprocessing.dummy.Pool": "ThreadPool",
    "multiprocessing.managers.SyncManager": "Manager",
    "multiprocessing.process.BaseProcess": "Process",
    "multiprocessing.context.Process": "Process",
    "multiprocessing.sharedctypes.Value": "Value",
    "multiprocessing.sharedctypes.Array": "Array",
    "multiprocessing.sharedctypes.RawValue": "RawValue",
    "multiprocessing.sharedctypes.RawArray": "RawArray",
    "multiprocessing.queues.Queue": "Queue",
    "multiprocessing.queues.JoinableQueue": "JoinableQueue",
    "multiprocessing.queues.SimpleQueue": "SimpleQueue",
    "concurrent.futures.ProcessPoolExecutor": "ProcessPoolExecutor",
    "concurrent.futures.process.ProcessPoolExecutor": "ProcessPoolExecutor",
    "concurrent.futures.ThreadPoolExecutor": "ThreadPoolExecutor",
    "concurrent.futures.thread.ThreadPoolExecutor": "ThreadPoolExecutor",
    # Python 3.14: each worker is a subinterpreter of the same process. Tasks are pickled,
    # but nothing re-imports the main module and nothing starts a process.
    "concurrent.futures.InterpreterPoolExecutor": "InterpreterPoolExecutor",
    "concurrent.futures.interpreter.InterpreterPoolExecutor": "InterpreterPoolExecutor",
}

# A context object: ``multiprocessing.get_context(...)`` or a name bound to one.
CONTEXT_PREFIX = "multiprocessing.get_context."


def canonical(qualified_name: str) -> str | None:
    """The canonical API name of a fully qualified name, or None if it is not ours."""
    if qualified_name in EXACT_NAMES:
        return EXACT_NAMES[qualified_name]
    for prefix in (CONTEXT_PREFIX, "multiprocessing."):
        if qualified_name.startswith(prefix):
            rest = qualified_name[len(prefix) :]
            return rest if rest in MP_TOP_LEVEL else None
    return None


# Canonical names (see codemods.analysis.names) of the factories of inter-process objects.
IPC_FACTORIES = frozenset(
    {
        "Queue", "JoinableQueue", "SimpleQueue", "Pipe", "Lock", "RLock", "Semaphore",
        "BoundedSemaphore", "Condition", "Event", "Barrier", "Value", "Array", "RawValue",
        "RawArray", "Manager",
    }
)  # fmt: skip

# Sharing one of these where each call made its own only adds mutual exclusion: the
# results of a program that was correct without it stay the same.
EXCLUSIVE = frozenset({"Lock", "RLock", "Semaphore", "BoundedSemaphore"})

# Methods of a running SyncManager that create proxies (its Pool is no shared object).
MANAGER_PROXIES = frozenset(
    {
        "Queue", "JoinableQueue", "Event", "Lock", "RLock", "Semaphore", "BoundedSemaphore",
        "Condition", "Barrier", "Value", "Array", "Namespace", "dict", "list",
    }
)  # fmt: skip

POOLS = frozenset({"Pool", "ProcessPoolExecutor"})
# Pool and executor methods whose first argument runs in a worker.
TASK_METHODS = frozenset(
    {"apply", "apply_async", "map", "map_async", "imap", "imap_unordered", "starmap", "starmap_async", "submit"}
)
