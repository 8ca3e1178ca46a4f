"""One walk over a module's ``ast`` that files its nodes by type and by how deep in
definitions they sit, for the pre-checks (mpfix.analysis.prechecks) to ask of."""

from __future__ import annotations

import ast
from bisect import bisect_right
from collections.abc import Iterator

# How deep in definitions a node sits: outside every def, class and lambda (module-level
# code, the ``__main__`` guard included); in class bodies only; in a function or lambda
# (a def's decorators and defaults count as its inside: no statement lives there).
MODULE, CLASS, FUNCTION = 0, 1, 2
EVERYWHERE = (MODULE, CLASS, FUNCTION)
_INSIDE = {ast.ClassDef: CLASS, ast.FunctionDef: FUNCTION, ast.AsyncFunctionDef: FUNCTION, ast.Lambda: FUNCTION}
_FIELDS: dict[type, tuple[str, ...]] = {}  # each node type's fields, but for the Load/Store/Del marker


def index_of(tree: ast.Module) -> tuple[dict[type[ast.AST], list[ast.AST]], ...]:
    """The nodes of ``tree`` by level and type: one walk, without ``ast.walk``'s overhead."""
    levels: tuple[dict[type[ast.AST], list[ast.AST]], ...] = ({}, {}, {})
    stacks: tuple[list[ast.AST], ...] = ([tree], [], [])
    for level, found in enumerate(levels):
        stack = stacks[level]
        while stack:
            node = stack.pop()
            kind = node.__class__
            nodes = found.get(kind)
            if nodes is None:
                found[kind] = [node]
            else:
                nodes.append(node)
            push = stacks[max(level, _INSIDE.get(kind, MODULE))].append
            fields = _FIELDS.get(kind)
            if fields is None:
                fields = _FIELDS[kind] = tuple(f for f in kind._fields if f != "ctx")
            for name in fields:
                value = getattr(node, name, None)
                if isinstance(value, list):
                    for item in value:
                        if isinstance(item, ast.AST):
                            push(item)
                elif isinstance(value, ast.AST):
                    push(value)
    return levels


def _fields(kind: type[ast.AST]) -> tuple[str, ...]:
    fields = _FIELDS.get(kind)
    if fields is None:
        fields = _FIELDS[kind] = tuple(f for f in kind._fields if f != "ctx")
    return fields


def children(node: ast.AST) -> list[ast.AST]:
    """``ast.iter_child_nodes`` (in the same order, but for the Load/Store/Del markers), as a list."""
    found: list[ast.AST] = []
    for name in _fields(node.__class__):
        value = getattr(node, name, None)
        if isinstance(value, list):
            found.extend(item for item in value if isinstance(item, ast.AST))
        elif isinstance(value, ast.AST):
            found.append(value)
    return found


def walk(node: ast.AST) -> Iterator[ast.AST]:
    """``ast.walk`` (the same nodes, in the same order, but for the Load/Store/Del markers),
    without its generators' overhead."""
    todo = [node]
    for current in todo:
        yield current
        todo.extend(children(current))


def parents_of(tree: ast.AST) -> dict[int, ast.AST]:
    """The parent of every node of ``tree`` but the root, by the child's id: one pass
    over each node's fields."""
    parents: dict[int, ast.AST] = {}
    todo = [tree]
    for node in todo:  # grows while it is read
        for name in _fields(node.__class__):
            value = getattr(node, name, None)
            if isinstance(value, list):
                for item in value:
                    if isinstance(item, ast.AST):
                        parents[id(item)] = node
                        todo.append(item)
            elif isinstance(value, ast.AST):
                parents[id(value)] = node
                todo.append(value)
    return parents


class TopLevel:
    """The statements of a module's body in the order they start (a def's or class's
    decorators first): the one that holds a node, told by its position, without parents."""

    def __init__(self, tree: ast.Module) -> None:
        self.body = tree.body
        self.starts = [_start(statement) for statement in tree.body]

    def at(self, node: ast.expr | ast.stmt) -> ast.stmt | None:
        index = bisect_right(self.starts, (node.lineno, node.col_offset)) - 1
        return self.body[index] if index >= 0 else None


def _start(statement: ast.stmt) -> tuple[int, int]:
    decorators = getattr(statement, "decorator_list", None)
    first = decorators[0] if decorators else statement
    return first.lineno, first.col_offset
