"""What a script's parent code does to other modules' globals: the facts by which MP014
sees a child read a name of its module that the script set only in the parent.

Parent code is the body of the ``__main__`` guard and the top-level functions that only
it calls (directly or through each other): a child skips the guard, so it never runs
them. A function that module-level code outside the guard names, or that a child runs,
is no parent code: a child's import repeats what it does.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable, Iterator, Set
from typing import Any, TypeVar

from ...libraries import canonical
from . import changes
from .apis import POOLS
from .nodes import FUNCTIONS

T = TypeVar("T")

_LOOPS = (ast.For, ast.AsyncFor, ast.While)


def parent_statements(
    body: list[ast.stmt], per_statement: list[list[ast.AST]], guards: set[int], handed: set[str]
) -> dict[int, str]:
    """The indices of the top-level statements that only the parent runs, each with the
    name of its function ("" for a guard). ``guards``: the indices of the ``__main__``
    guards; ``handed``: the names of the functions handed to children."""
    functions = {s.name: i for i, s in enumerate(body) if isinstance(s, FUNCTIONS)}
    named = [
        {functions[n.id] for n in nodes if isinstance(n, ast.Name) and n.id in functions} for nodes in per_statement
    ]
    at_import = {i for i in range(len(body)) if i not in guards and i not in functions.values()}
    in_children = {functions[name] for name in handed if name in functions}
    others = closure(at_import | in_children, named.__getitem__)
    return {i: getattr(body[i], "name", "") for i in sorted(closure(guards, named.__getitem__) - others)}


def closure(start: Iterable[T], edges: Callable[[T], Set[T]]) -> set[T]:
    """``start`` and everything ``edges`` leads to from it, transitively."""
    found, pending = set(start), list(start)
    while pending:
        for reached in edges(pending.pop()) - found:
            found.add(reached)
            pending.append(reached)
    return found


def parent_sets(
    statement: ast.stmt, nodes: list[ast.AST], function: str, imported: set[str], qualified: changes.Qualify
) -> list[list[Any]]:
    """[dotted name, line, what, the function ("" for the guard), spans] of each change
    that the parent code ``statement`` (whose nodes are ``nodes``) makes to another
    module's name (``store.CONFIG = v``, ``store.DATA.extend(...)``, ``DATA[k] = v``
    through ``from store import DATA``), and of each call of another module's function
    (what: "calls"), which may set that module's globals. ``spans``: [first, last] lines
    of the pools' ``with`` statements that surely ended before it."""
    assert isinstance(statement, (ast.If, *FUNCTIONS)), "a guard or a function, as parent_statements gives"
    body = statement.body
    first, last = body[0].lineno, body[-1].end_lineno or body[-1].lineno
    nodes = [n for n in nodes if first <= getattr(n, "lineno", first) <= last]  # a guard's ``else`` runs in children
    local = {n.id for n in nodes if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    local -= {name for node in nodes if isinstance(node, ast.Global) for name in node.names}
    outside = imported if isinstance(statement, ast.If) else imported - local
    found = [[name, line, what] for name, line, what in changes.changes(nodes, set(), outside, qualified)]
    found += [[name, node.lineno, "calls"] for node, name in _foreign_calls(nodes, outside, qualified)]
    ended = _ended_pools(body, qualified)
    return [
        [name, line, what, function, [span for start, end, spans in ended if start <= line <= end for span in spans]]
        for name, line, what in found
        if "." in name
    ]


def _foreign_calls(
    nodes: list[ast.AST], imported: set[str], qualified: changes.Qualify
) -> Iterator[tuple[ast.Call, str]]:
    for node in nodes:
        if not isinstance(node, ast.Call):
            continue
        root = node.func
        while isinstance(root, ast.Attribute):
            root = root.value
        name = qualified(node.func) if isinstance(root, ast.Name) and root.id in imported else None
        if name is not None:
            yield node, name


def _ended_pools(body: list[ast.stmt], qualified: changes.Qualify) -> list[tuple[int, int, list[list[int]]]]:
    """(first line, last line, spans) of each statement of ``body`` and of its blocks:
    the spans of the ``with`` statements that make a pool and end before it in a block
    that holds both, so that the pool's tasks are all done when it runs (not in a loop,
    whose next round comes after)."""
    found: list[tuple[int, int, list[list[int]]]] = []
    _ended_in(body, False, qualified, found)
    return found


def _ended_in(
    statements: list[ast.stmt], looping: bool, qualified: changes.Qualify, found: list[tuple[int, int, list[list[int]]]]
) -> None:
    """:func:`_ended_pools` of one block, added to ``found``. (Not a closure that calls
    itself: that is a cycle, which would keep the module's tree alive until the cycle
    collector walks it.)"""
    ended: list[list[int]] = []
    for child in statements:
        last = child.end_lineno or child.lineno
        if ended:
            found.append((child.lineno, last, list(ended)))
        for inner in _blocks(child):
            _ended_in(inner, looping or isinstance(child, _LOOPS), qualified, found)
        if not looping and _makes_pool(child, qualified):
            ended.append([child.lineno, last])


def _blocks(statement: ast.stmt) -> Iterator[list[ast.stmt]]:
    """The blocks of a compound statement, but those of nested functions and classes
    (their code runs at another time)."""
    if isinstance(statement, (*FUNCTIONS, ast.ClassDef)):
        return
    for field in ("body", "orelse", "finalbody"):
        inner = getattr(statement, field, None)
        if isinstance(inner, list) and inner and isinstance(inner[0], ast.stmt):
            yield inner
    for handler in getattr(statement, "handlers", ()):
        yield handler.body
    for case in getattr(statement, "cases", ()):
        yield case.body


def _makes_pool(statement: ast.stmt, qualified: changes.Qualify) -> bool:
    if not isinstance(statement, (ast.With, ast.AsyncWith)):
        return False
    for item in statement.items:
        made = item.context_expr
        name = qualified(made.func) if isinstance(made, ast.Call) else None
        if name is not None and canonical(name) in POOLS:
            return True
    return False
