"""Small builders: nodes swapped by identity, statements moved into a block."""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst


class ReplaceNodes(cst.CSTTransformer):
    """Swap nodes by identity."""

    def __init__(self, replacements: dict[int, cst.CSTNode]) -> None:
        super().__init__()
        self.replacements = replacements

    def on_leave(self, original_node: cst.CSTNode, updated_node: cst.CSTNode):  # type: ignore[override]
        return self.replacements.get(id(original_node), updated_node)


def as_block_statement(statement: cst.BaseStatement) -> cst.BaseStatement:
    """Blank lines moving into the guard's block get no trailing indentation, and a run
    of them (two between top-level definitions) becomes one, as inside any block."""
    lines: list[cst.EmptyLine] = []
    for line in statement.leading_lines:
        if line.comment:
            lines.append(line)
        elif not lines or lines[-1].comment:
            lines.append(line.with_changes(indent=False, whitespace=cst.SimpleWhitespace("")))
    return statement.with_changes(leading_lines=lines)


def split_blank_prefix(lines: Sequence[cst.EmptyLine]) -> tuple[list[cst.EmptyLine], list[cst.EmptyLine]]:
    """The blank lines before a statement's first comment line, and the rest."""
    count = 0
    while count < len(lines) and lines[count].comment is None:
        count += 1
    return list(lines[:count]), list(lines[count:])
