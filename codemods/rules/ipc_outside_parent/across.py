"""MP003 across modules: an IPC object created at import in a module whose functions
another module runs in child processes.

The module that starts the children is another file, so no single-file rewrite can hand
the object over: the finding is reported, at the creation, naming where the children
are started.
"""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from ...analysis.project.model import ChildStart
from .ipc_plan import IpcModule, Placed

_HOW = {
    "target": "pass it to `{function}` as an argument from the code that starts the process",
    "task": "create it where the pool is made and hand it to the workers through the pool's `initializer=`",
    "initializer": "create it where the pool is made and pass it through the pool's `initargs=`",
}


def shared_across(ipc: IpcModule, starts: tuple[ChildStart, ...]) -> Iterator[tuple[Placed, list[str], ChildStart]]:
    """Each module-level creation (outside the guard) that a function started in a child
    by another module reads, with the names it reads and the first such start."""
    by_function: dict[str, ChildStart] = {}
    for each in starts:
        by_function.setdefault(each.function, each)
    reach = ipc.reach
    for placed in ipc.parent_creations():
        if placed.in_guard or placed.creation.kind == "Manager":
            continue
        read: list[str] = []
        first: ChildStart | None = None
        for name in placed.creation.names:
            for assignment in reach.global_scope.assignments[name]:
                for access in assignment.references:
                    reader = _top_level_function(ipc, access.node)
                    if reader in by_function:
                        read += [name] if name not in read else []
                        first = first or by_function[reader]
        if first is not None:
            yield placed, read, first


def _top_level_function(ipc: IpcModule, node: cst.CSTNode) -> str | None:
    index = ipc.reach.owner.get(id(node))
    statement = ipc.body[index] if index is not None else None
    return statement.name.value if isinstance(statement, cst.FunctionDef) else None


def advice(start: ChildStart) -> str:
    """How to fix it by hand, in the module that starts the children."""
    return f"the children are started in {start.by}: " + _HOW[start.kind].format(function=start.function)
