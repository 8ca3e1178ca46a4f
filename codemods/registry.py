"""The rule registry: the rule table, selection by code or name, and each rule's needles.

One entry per rule; the rule's code lives in ``codemods/rules/<snake_case name>.py`` (or a
package of that name), which defines ``RULE``, its visitor class. Keeping the specs here,
apart from the rule modules, lets the CLI list and select rules and prefilter files
without importing libcst. Standard library only.
"""

from __future__ import annotations

import collections
import difflib
import functools
import re
from collections.abc import Callable, Iterable

from .libraries import needles
from .model import RuleSpec, Safety

Needles = tuple[tuple[bytes, ...], ...]


def holds(data: bytes, needle: bytes) -> bool:
    """Whether ``data`` holds ``needle``. A needle that ends in ``(`` is a call: its word,
    then the call's parenthesis, with nothing but what Python lets stand between two tokens
    (spaces, line breaks, comments, backslashes that continue a line)."""
    if needle[-1:] != b"(":
        return needle in data
    return needle[:-1] in data and _call(needle).search(data) is not None


@functools.cache
def _call(needle: bytes) -> re.Pattern[bytes]:
    # One way to match each character: a comment runs to the end of its line, so that a
    # banner of hashes is not split in every way before the search gives up on it.
    return re.compile(re.escape(needle[:-1]) + rb"(?:[ \t\f\r\n\\]|#[^\r\n]*(?![^\r\n]))*\(")


def _any(*needles: bytes) -> Needles:
    return tuple((needle,) for needle in needles)


def _every(*parts: Needles) -> Needles:
    """Groups that hold one group of each part: ``_every(a, b)`` needs ``a`` and ``b``."""
    groups: list[tuple[bytes, ...]] = [()]
    for part in parts:
        groups = [(*group, *other) for group in groups for other in part]
    return tuple(groups)


# The rules resolve every API through the module's imports, and an import spells what it
# imports: an API of a library of mpfix.libraries needs the library's needle in the file
# (`multiprocess` of `multiprocessing`, `torch.multiprocessing` and `pathos.multiprocessing`,
# `billiard`...), and the API's own last name (`Pool` of `mp.get_context("spawn").Pool`,
# `ProcessingPool`, `WorkerPool`, `Value` of `from multiprocessing import Value as V`); a
# `concurrent.futures` executor needs its class name.
_MP = _any(*needles())
_PROCESS = _every(_MP, _any(b"Process"))  # also BaseProcess
# also ThreadPool, ProcessingPool, WorkerPool, loky's get_reusable_executor
_POOL = (*_every(_MP, _any(b"Pool", b"executor")), (b"ProcessPoolExecutor",))
# A function reaches a child as `Process(target=f)` or `pool.map(f, ...)` (or apply,
# apply_async, imap, starmap, submit...), see mpfix.analysis.entries.
_TARGET = _every(_PROCESS, _any(b"target"))
_TASK = _every(_POOL, _any(b"map", b"apply", b"submit"))
# What MP001 and MP013 count as starting processes (mpfix.analysis.names.TRIGGERS).
_STARTS = _every(
    _MP,
    _any(
        b"Process", b"Pool", b"Manager", b"set_start_method", b"freeze_support", b"spawn", b"start_processes",
        b"Parallel", b"executor", b"DataLoader", b"num_proc",
    ),
)  # fmt: skip
# The last names of the factories of inter-process objects (mpfix.analysis.ipc.IPC_FACTORIES).
_FACTORIES = _any(
    b"Queue", b"Pipe", b"Lock", b"Semaphore", b"Condition", b"Event", b"Barrier", b"Value", b"Array", b"Manager"
)

RULES: tuple[RuleSpec, ...] = (
    RuleSpec(
        code="MP001",
        name="missing-main-guard",
        summary='Module-level code starts processes outside an `if __name__ == "__main__":` guard',
        safety=Safety.SAFE,
        needles=_STARTS,
    ),
    RuleSpec(
        code="MP002",
        name="serial-result-wait",
        summary="A loop submits one task and waits for its result before submitting the next",
        safety=Safety.SAFE,
        # `X.apply_async(...).get()` and `X.submit(...).result()` on any receiver, each a
        # call; `apply()` on a proven pool only.
        needles=(
            (b"apply_async(", b"get("), (b"submit(", b"result("), *_every(_MP, _any(b"Pool"), _any(b"apply"))
        ),
    ),
    RuleSpec(
        code="MP003",
        name="ipc-outside-parent",
        summary="A queue, lock or shared value is created where the processes that use it cannot share it",
        safety=Safety.SAFE,
        needles=_every(_MP, _FACTORIES, _any(b"Process", b"Pool")),
        fixes_across_files=True,
    ),
    RuleSpec(
        code="MP004",
        name="unlocked-shared-value",
        summary="`v.value += 1` on a shared `Value` or `Array` without holding its lock loses updates",
        safety=Safety.SAFE,
        needles=_every(_MP, _any(b"Value", b"Array")),  # also RawValue, RawArray
    ),
    RuleSpec(
        code="MP005",
        name="map-materializes-iterable",
        summary="`Pool.map()` reads a generator, file or endless iterable into a list and holds every result",
        safety=Safety.SAFE,
        needles=_every(_POOL, _any(b"map")),  # also starmap
    ),
    RuleSpec(
        code="MP006",
        name="import-in-task",
        summary="An `import` statement inside a pool task or process target runs every time the task runs",
        safety=Safety.UNSAFE,
        needles=(*_TARGET, *_TASK),
    ),
    RuleSpec(
        code="MP007",
        name="per-task-setup",
        summary="A pool task opens a connection, creates a client or loads a file on every call",
        safety=Safety.UNSAFE,
        # A pool task that calls connect/Connect, Session/session, Client/client, resource,
        # load or read (per_task_setup.SPELLINGS).
        needles=_every(_TASK, _any(b"onnect", b"ession", b"lient", b"resource", b"load", b"read")),
    ),
    RuleSpec(
        code="MP008",
        name="global-mutation-in-task",
        summary="A pool task or process target changes a module-level name that the parent never sees change",
        safety=Safety.NONE,
        needles=(*_TARGET, *_TASK),
    ),
    RuleSpec(
        code="MP009",
        name="unpicklable-task",
        summary="A lambda, nested function or local class's method is sent to a process that must pickle it",
        safety=Safety.SAFE,
        # A pool task, a process target given by keyword or by position, torch's spawned
        # function, a pool's initializer, a DataLoader's callbacks.
        needles=(
            *_PROCESS,
            *_every(_MP, _any(b"spawn", b"start_processes")),
            *_TASK,
            *_every(_POOL, _any(b"initializer")),
            *_every(_any(b"DataLoader"), _any(b"collate_fn", b"worker_init_fn")),
        ),
    ),
    RuleSpec(
        code="MP010",
        name="join-before-drain",
        summary="A process is joined before the queue it puts into is read, which can deadlock",
        safety=Safety.SAFE,
        # A `Process(target=f, ...)` whose `f` puts into a queue, later joined.
        needles=_every(_TARGET, _any(b"Queue"), _any(b"put"), _any(b"join")),
    ),
    RuleSpec(
        code="MP011",
        name="pool-not-closed",
        summary="A pool or executor bound to a name is never closed, so its workers outlive their use",
        safety=Safety.SAFE,
        needles=_POOL,
    ),
    RuleSpec(
        code="MP012",
        name="lost-async-result",
        summary="A task is submitted and its result, with any exception it raised, is never read",
        safety=Safety.NONE,
        # `apply_async`, `map_async` and `starmap_async` on any receiver; `submit` and
        # `map` on a proven executor (`concurrent.futures`, or a multiprocessing context's).
        needles=(
            *_any(b"apply_async", b"map_async"),  # also starmap_async
            *_every(_any(b"submit", b"map"), _any(b"PoolExecutor", b"executor"), _any(b"concurrent", *needles())),
        ),
    ),
    RuleSpec(
        code="MP013",
        name="import-side-effects",
        summary="Module-level work (output, input, files, the command line) that every child process repeats",
        safety=Safety.SAFE,
        needles=_STARTS,
    ),
    RuleSpec(
        code="MP014",
        name="stale-global-read",
        summary="Code that runs in a child reads a module-level name that the parent sets at run time",
        safety=Safety.SAFE,
        # A process target, pool task or pool initializer, as MP009 finds them.
        needles=(*_PROCESS, *_TASK, *_every(_POOL, _any(b"initializer"))),
    ),
    RuleSpec(
        code="MP015",
        name="unjoined-process-with-ipc",
        summary="Processes handed a lock, queue or shared value are never joined, so a parent done first removes it",
        safety=Safety.SAFE,
        # A `Process(...)`, its `start()`, and a lock, queue or shared value (a factory's name).
        needles=_every(_PROCESS, _FACTORIES, _any(b"start")),
    ),
    RuleSpec(
        code="MP016",
        name="pool-pickled-with-self",
        summary="A method of an object that holds a pool is sent to a pool, which pickles the object and its pool",
        safety=Safety.SAFE,
        needles=_TASK,
    ),
    RuleSpec(
        code="MP017",
        name="library-sets-start-method",
        summary="A module that is imported sets the start method of the whole program",
        safety=Safety.UNSAFE,
        needles=_every(_MP, _any(b"set_start_method")),
    ),
    RuleSpec(
        code="MP018",
        name="fork-with-max-tasks",
        summary="`ProcessPoolExecutor(max_tasks_per_child=...)` is given a fork context, which raises `ValueError`",
        safety=Safety.UNSAFE,
        needles=((b"ProcessPoolExecutor", b"max_tasks_per_child", b"get_context"),),
    ),
    RuleSpec(
        code="MP019",
        name="fork-pinned-with-threads",
        summary="The start method is pinned to `fork` in a program that also starts threads",
        safety=Safety.NONE,
        # `set_start_method("fork")` or `get_context("fork")`, and `Thread`, `Timer`,
        # `ThreadPool`, `ThreadPoolExecutor`, `multiprocessing.dummy.Pool` or `start_new_thread`.
        needles=_every(_MP, _any(b"fork"), _any(b"Thread", b"Timer", b"dummy", b"start_new")),
    ),
    RuleSpec(
        code="MP020",
        name="parent-pid-assumption",
        summary=(
            "Code that runs in a child takes its parent process (`os.getppid()`, psutil's `children()`) "
            "for the process that started it"
        ),
        safety=Safety.NONE,
        # `os.getppid()` or `psutil.Process(...).children()` in a process target or a process pool's task.
        needles=_every(_any(b"getppid", b"psutil"), _any(b"multiprocessing", b"ProcessPoolExecutor")),
    ),
    RuleSpec(
        code="MP021",
        name="terminate-with-ipc",
        summary="A process or pool is terminated or killed while a queue, pipe or lock handed to it stays in use",
        safety=Safety.NONE,
        # `terminate()`, `kill()`, `terminate_workers()` or `kill_workers()`, and a queue,
        # pipe or lock of multiprocessing's.
        needles=_every(_MP, _any(b"terminate", b"kill"), _FACTORIES),
    ),
)

BY_CODE = {spec.code: spec for spec in RULES}
BY_NAME = {spec.name: spec for spec in RULES}


class UnknownRuleError(ValueError):
    """A selector that names no rule."""


def did_you_mean(word: str) -> str:
    """A hint at the rules that ``word`` may have meant (a typo, or part of a name), as
    `` (did you mean missing-main-guard (MP001)?)``; empty when none is close."""
    word = word.strip().lower()
    close = [spec for spec in RULES if word and word in spec.name] if len(word) >= 3 else []
    if not close:
        keys = difflib.get_close_matches(word, [*BY_NAME, *(code.lower() for code in BY_CODE)], n=2)
        close = [BY_NAME.get(key) or BY_CODE[key.upper()] for key in keys]
    unique = list(dict.fromkeys(close))[:3]
    if not unique:
        return ""
    return " (did you mean " + " or ".join(f"{spec.name} ({spec.code})" for spec in unique) + "?)"


def lookup(code_or_name: str) -> RuleSpec:
    """The rule with this code (``MP001``) or name (``missing-main-guard``)."""
    spec = BY_CODE.get(code_or_name.upper()) or BY_NAME.get(code_or_name.lower())
    if spec is None:
        raise UnknownRuleError(f"unknown rule {code_or_name!r}{did_you_mean(code_or_name)}")
    return spec


def _matches(spec: RuleSpec, selector: str) -> bool:
    selector = selector.strip()
    if selector.upper() == "ALL":
        return True
    return spec.code.startswith(selector.upper()) or spec.name == selector.lower()


def select(selectors: Iterable[str] | None = None, ignore: Iterable[str] | None = None) -> tuple[RuleSpec, ...]:
    """Rules chosen by code prefixes or names, as ruff's ``--select``/``--ignore``.

    ``None`` selects every rule. A selector that matches no rule is an error, so a typo
    never silently turns a check off.
    """
    selectors = list(selectors) if selectors is not None else ["ALL"]
    if not selectors:
        raise UnknownRuleError("no rule selected: give at least one code, prefix or name")
    ignore = list(ignore or [])
    for selector in [*selectors, *ignore]:
        if not any(_matches(spec, selector) for spec in RULES):
            raise UnknownRuleError(f"unknown rule selector {selector!r}{did_you_mean(selector)}")
    return tuple(
        spec
        for spec in RULES
        if any(_matches(spec, s) for s in selectors) and not any(_matches(spec, s) for s in ignore)
    )


def matching(data: bytes, specs: Iterable[RuleSpec], found: dict[bytes, bool] | None = None) -> list[RuleSpec]:
    """The rules of ``specs`` whose needles ``data`` holds: the only ones that can match it.
    ``found``: whether ``data`` holds each of some needles, as far as the caller looked."""
    found = {} if found is None else found  # the rules share needles: each is looked for once

    def has(needle: bytes) -> bool:
        if needle not in found:
            found[needle] = holds(data, needle)
        return found[needle]

    specs = tuple(specs)
    # Most files hold none of the few needles that every group needs one of: one look for
    # each of those settles them, instead of walking the thousands of groups.
    if not any(map(has, _gate(specs))):
        return []
    return [spec for spec in specs if _held(_trie(spec), has)]


# A rule's groups of needles as a tree: each path from the root is a group (the libraries'
# needles first, then those most groups share), so that a needle the file lacks rules out
# every group below it at once. A node: whether a group ends there, and its children.
Trie = tuple[bool, tuple[tuple[bytes, "Trie"], ...]]


def _held(node: Trie, has: Callable[[bytes], bool]) -> bool:
    ends, children = node
    return ends or any(has(needle) and _held(child, has) for needle, child in children)


@functools.cache
def _trie(spec: RuleSpec) -> Trie:
    shared = collections.Counter(needle for group in spec.needles for needle in set(group))
    root: dict = {}
    for group in spec.needles:
        node = root
        for needle in sorted(set(group), key=lambda n: (n not in SCOPE, -shared[n], n)):
            node = node.setdefault(needle, {})
        node[None] = {}

    def frozen(node: dict) -> Trie:
        return None in node, tuple((needle, frozen(child)) for needle, child in node.items() if needle is not None)

    return frozen(root)


@functools.lru_cache(maxsize=64)
def _gate(specs: tuple[RuleSpec, ...]) -> tuple[bytes, ...]:
    """Needles of which every group of ``specs`` holds one: a file holding none of them
    matches no rule of ``specs``. The libraries' needles first (rare in files that do not
    use them), then, greedily, those that most of the other groups hold."""
    open_groups = [frozenset(group) for spec in specs for group in spec.needles]
    every = frozenset().union(*open_groups)
    gate: list[bytes] = [needle for needle in SCOPE if needle in every]
    # A group is held by a file only if each of its needles is: one needle that holds a
    # gate needle (``multiprocessing`` holds ``multiprocess``) is as good as the gate's.
    holding = {needle for needle in every if any(g in needle for g in gate)}
    open_groups = [group for group in open_groups if group.isdisjoint(holding)]
    while open_groups:
        counts = collections.Counter(needle for group in open_groups for needle in group)
        needle = min(counts, key=lambda n: (-counts[n], n))
        gate.append(needle)
        holding = {other for other in every if needle in other}
        open_groups = [group for group in open_groups if group.isdisjoint(holding)]
    return tuple(gate)


# A file that names one of these is read and parsed even when no rule's needles match it,
# so that a broken file that uses multiprocessing is reported rather than passed over.
SCOPE = needles()
