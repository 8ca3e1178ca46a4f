"""Small builders: nodes swapped by identity, statements moved into a block."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar, cast

import libcst as cst

Node = TypeVar("Node", bound=cst.CSTNode)


class ReplaceNodes(cst.CSTTransformer):
    """Swap nodes by identity."""

    def __init__(self, replacements: dict[int, cst.CSTNode]) -> None:
        super().__init__()
        self.replacements = replacements

    def on_leave(self, original_node: cst.CSTNode, updated_node: cst.CSTNode):
        return self.replacements.get(id(original_node), updated_node)

    def apply(self, node: Node) -> Node:
        """``node`` with the swaps made. Each swap puts a node where one of the same kind
        stood (an expression for an expression), never a removal, so the result is of
        ``node``'s declared kind, which libcst's ``visit`` does not promise."""
        return cast(Node, node.visit(self))


def as_block_statement(statement: cst.BaseStatement) -> cst.BaseStatement:
    """Blank lines moving into the guard's block get no trailing indentation, and a run
    of them (two between top-level definitions) becomes one, as inside any block."""
    lines: list[cst.EmptyLine] = []
    for line in leading_lines(statement):
        if line.comment:
            lines.append(line)
        elif not lines or lines[-1].comment:
            lines.append(line.with_changes(indent=False, whitespace=cst.SimpleWhitespace("")))
    return statement.with_changes(leading_lines=lines)


def leading_lines(statement: cst.BaseStatement) -> Sequence[cst.EmptyLine]:
    """The comment and blank lines above a statement; libcst declares them on each kind
    of statement (a simple line, a compound statement), not on their common base."""
    if not isinstance(statement, (cst.SimpleStatementLine, cst.BaseCompoundStatement)):
        raise TypeError(f"not a statement: {type(statement).__name__}")
    return statement.leading_lines


def split_blank_prefix(lines: Sequence[cst.EmptyLine]) -> tuple[list[cst.EmptyLine], list[cst.EmptyLine]]:
    """The blank lines before a statement's first comment line, and the rest."""
    count = 0
    while count < len(lines) and lines[count].comment is None:
        count += 1
    return list(lines[:count]), list(lines[count:])
