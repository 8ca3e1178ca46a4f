"""The statements of a module's body by position, for the pre-checks
(mpfix.analysis.prechecks) to ask which one holds a node."""

from __future__ import annotations

import ast
from bisect import bisect_right


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
