"""Which canonical APIs (see mpfix.libraries) create inter-process objects or take tasks.

Standard library only: the project model, which the runner builds without libcst, names
the APIs as the rules do.
"""

from __future__ import annotations

from ...libraries import LIBRARIES, spellings

# Canonical names (see mpfix.analysis.names) of the factories of inter-process objects.
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

# Methods that change a list, dict, set or deque in place.
MUTATORS = frozenset(
    {
        "append", "extend", "insert", "remove", "pop", "clear", "sort", "reverse", "update",
        "setdefault", "popitem", "add", "discard", "difference_update", "intersection_update",
        "symmetric_difference_update", "appendleft", "extendleft", "popleft",
    }
)  # fmt: skip
# The qualified names of the calls that make such a container.
CONTAINER_CALLS = frozenset(
    {"builtins.list", "builtins.dict", "builtins.set", "collections.defaultdict", "collections.Counter",
     "collections.OrderedDict", "collections.deque"}
)  # fmt: skip

# Calls whose effect a reader sees or waits for, by qualified name (MP013 names the same).
SIDE_EFFECTS = {
    "builtins.print": "prints",
    "builtins.input": "reads input",
    "builtins.open": "opens a file",
    "time.sleep": "sleeps",
    "os.system": "runs a command",
    "subprocess.run": "runs a command",
    "subprocess.call": "runs a command",
    "subprocess.check_call": "runs a command",
    "subprocess.check_output": "runs a command",
    "subprocess.Popen": "runs a command",
    "urllib.request.urlopen": "reads from the network",
    "requests.get": "reads from the network",
    "requests.post": "writes to the network",
    "socket.create_connection": "opens a network connection",
    "shutil.rmtree": "deletes files",
    "os.remove": "deletes a file",
}

# Calls that must run only in the parent, and what they do there.
TRIGGERS = {
    "Process": "starts processes",
    "spawn": "starts processes",
    "Pool": "starts processes",
    "ProcessingPool": "starts processes",
    "WorkerPool": "starts processes",
    "Parallel": "starts processes",
    "Manager": "starts processes",
    "ProcessPoolExecutor": "starts processes",
    "set_start_method": "sets the start method",
    "freeze_support": "prepares a frozen executable",
}

# Calls that start a thread (qualified names).
THREAD_CALLS = frozenset({"threading.Thread", "threading.Timer", "_thread.start_new_thread", "_thread.start_new"})

# What the pre-checks look for: the classes and keywords that ask for workers.
WORKER_KEYWORDS = frozenset(library.workers_keyword for library in LIBRARIES if library.workers_keyword)
WORKER_CLASSES = spellings({api for library in LIBRARIES if library.workers_keyword for api in library.apis.values()})

# Methods of dict, list and set that change their object.
MUTATING_METHODS = frozenset(
    {
        "add", "append", "clear", "difference_update", "discard", "extend", "insert", "intersection_update",
        "pop", "popitem", "remove", "reverse", "setdefault", "sort", "symmetric_difference_update", "update",
        "__delitem__", "__setitem__",
    }
)  # fmt: skip

# What a DataLoader's workers call, and so receive pickled under spawn and forkserver.
LOADER_CALLBACKS = ("collate_fn", "worker_init_fn")

# A range() with fewer numbers is a small input for Pool.map() (map-materializes-iterable).
LARGE_RANGE = 1_000_000

# Calls on a pool that may wait for its tasks (``pool.join()``, ``future.result()``...),
# besides ``wait()`` and ``as_completed()``; and the methods that stop a pool's tasks
# (``shutdown(cancel_futures=True)`` too): lost-async-result lets a handle go before a stop.
POOL_WAITS = ("join", "get", "wait", "result", "exception", "shutdown", "map", "starmap", "apply")
POOL_STOPS = frozenset({"terminate", "terminate_workers", "kill_workers"})
