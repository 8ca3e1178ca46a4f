"""What a module's functions change of module-level state, and which imported names its
other code reads: the facts by which MP008 sees a task in one module change a global that
the parent, in another, then reads (and never sees change: the task ran in a child).
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator
from typing import Any

from .apis import CONTAINER_CALLS, MUTATORS

_CONTAINERS = (ast.List, ast.Dict, ast.Set, ast.ListComp, ast.DictComp, ast.SetComp)

# The dotted name an expression stands for through the module's imports, or None.
Qualify = Callable[[ast.expr], "str | None"]


def containers(body: list[ast.stmt], qualified: Qualify) -> list[str]:
    """The names that module-level statements bind to a list, dict, set or deque."""
    return sorted(
        {
            target.id
            for statement in body
            if isinstance(statement, ast.Assign)
            and (
                isinstance(statement.value, _CONTAINERS)
                or (isinstance(statement.value, ast.Call) and qualified(statement.value.func) in CONTAINER_CALLS)
            )
            for target in statement.targets
            if isinstance(target, ast.Name)
        }
    )


# The node types that ``changes`` reads: it may be given a statement's nodes of these alone.
CHANGING = (ast.Global, ast.Name, ast.Call, ast.Subscript, ast.Attribute)


def changes(nodes: list[ast.AST], module_names: set[str], imported: set[str], qualified: Qualify) -> list[list[Any]]:
    """[name, line, what is done] for each change a top-level function (whose nodes are
    ``nodes``) makes to module-level state: ``global x`` then ``x = ...`` gives ``x``;
    ``X.append(...)``, ``X[k] = v``, ``del X[k]`` of a module-level ``X`` give ``X``, of
    an imported one its dotted name (``store.RESULTS``), as does ``store.total = v``."""
    declared = {name for node in nodes if isinstance(node, ast.Global) for name in node.names}
    local = {n.id for n in nodes if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)} - declared
    found: list[list[Any]] = []
    for node, changed, what in _changed(nodes):
        if isinstance(changed, ast.Name) and what == "assigns the global":
            name: str | None = changed.id if changed.id in declared else None
        elif isinstance(changed, ast.Name):
            own = changed.id in module_names and changed.id not in local
            name = changed.id if own else (qualified(changed) if changed.id in imported else None)
        else:
            root = changed
            while isinstance(root, ast.Attribute):
                root = root.value
            name = qualified(changed) if isinstance(root, ast.Name) and root.id in imported else None
        if name is not None and [name, node.lineno, what] not in found:
            found.append([name, node.lineno, what])
    return sorted(found, key=lambda change: (change[1], change[0], change[2]))  # in the order of the source


def _changed(nodes: list[ast.AST]) -> Iterator[tuple[ast.expr, ast.expr, str]]:
    """(the node, the name or attribute changed, what is done to it)."""
    for node in nodes:
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in MUTATORS:
            yield node, node.func.value, "changes"
        elif isinstance(node, ast.Subscript) and isinstance(node.ctx, (ast.Store, ast.Del)):
            yield node, node.value, "stores into" if isinstance(node.ctx, ast.Store) else "deletes from"
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            yield node, node, "assigns the global"
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            yield node, node, "assigns"


def imported_reads(
    per_statement: list[list[ast.AST]], skipped: set[int], imported: set[str], qualified: Qualify
) -> dict[str, int]:
    """The dotted name of each imported name (``workers.RESULTS``, through ``from workers
    import RESULTS`` or ``import workers``) that the module reads, with the last line (the
    read most likely to come after the children ran), outside the top-level statements
    numbered in ``skipped`` (the functions it hands to children)."""
    reads: dict[str, int] = {}
    for index, nodes in enumerate(per_statement):
        if index in skipped:
            continue
        for node in nodes:
            if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load):
                base = node.value
                if isinstance(base, ast.Name) and base.id in imported:
                    _last(reads, qualified(node), node.lineno)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id in imported:
                _last(reads, qualified(node), node.lineno)
    return reads


def _last(reads: dict[str, int], name: str | None, line: int) -> None:
    if name is not None and line < reads.get(name, line + 1):
        reads[name] = line
