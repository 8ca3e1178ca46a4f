"""The statements of a module's body by position, for the pre-checks
(mpfix.analysis.prechecks) to ask which one holds a node, and the nodes in each."""

from __future__ import annotations

import ast
from bisect import bisect_right
from typing import Any

from .ast_walk import ModuleIndex, walk


class TopLevel:
    """The statements of a module's body in the order they start (a def's or class's
    decorators first): the one that holds a node, told by its position, without parents."""

    def __init__(self, tree: ast.Module, index: ModuleIndex | None = None) -> None:
        self.body = tree.body
        self.starts = [_start(statement) for statement in tree.body]
        self._index = index  # the module's, when the caller has made one
        self._places: dict[int, int] | None = None  # id(statement) -> its place in the body

    def at(self, node: ast.expr | ast.stmt) -> ast.stmt | None:
        index = bisect_right(self.starts, (node.lineno, node.col_offset)) - 1
        return self.body[index] if index >= 0 else None

    def inside(self, statement: ast.AST, *types: type[ast.AST]) -> list[Any]:
        """The nodes of a statement of the body (itself included) of ``types``, or of every
        type: those ``walk`` gives, in another order; from the module's index, when there
        is one, without a walk."""
        if self._index is None:
            return [node for node in walk(statement) if not types or isinstance(node, types)]
        if self._places is None:
            self._places = {id(each): place for place, each in enumerate(self.body)}
        levels = self._index.statements[self._places[id(statement)]]
        if not types:
            return [node for level in levels for nodes in level.values() for node in nodes]
        return [node for level in levels for kind in types for node in level.get(kind, ())]


def _start(statement: ast.stmt) -> tuple[int, int]:
    decorators = getattr(statement, "decorator_list", None)
    first = decorators[0] if decorators else statement
    return first.lineno, first.col_offset
