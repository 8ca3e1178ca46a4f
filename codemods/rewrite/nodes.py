"""Small builders: nodes swapped by identity, statements moved into a block."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
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


def swap_nodes(
    root: Node, swaps: Mapping[cst.CSTNode, cst.CSTNode], parents: Mapping[cst.CSTNode, cst.CSTNode]
) -> Node:
    """``root`` with each node of ``swaps`` put in its place, as :class:`ReplaceNodes`
    makes it, but rebuilding only the nodes above a swapped one instead of every node of
    the tree. ``parents``: each node's parent in ``root``'s tree. No swapped node holds
    another, and each is swapped for one of the same kind."""
    new: dict[int, cst.CSTNode] = {id(old): replacement for old, replacement in swaps.items()}
    above: dict[int, cst.CSTNode] = {}
    for old in swaps:
        node = old
        while (parent := parents.get(node)) is not None and id(parent) not in above:
            above[id(parent)] = parent
            node = parent
    for parent in sorted(above.values(), key=lambda node: -_depth(node, parents)):  # the deepest first
        new[id(parent)] = _with_children(parent, new)
    return cast(Node, new.get(id(root), root))


def _depth(node: cst.CSTNode, parents: Mapping[cst.CSTNode, cst.CSTNode]) -> int:
    depth = 0
    while (node := parents.get(node)) is not None:  # type: ignore[assignment]
        depth += 1
    return depth


def _with_children(node: cst.CSTNode, new: Mapping[int, cst.CSTNode]) -> cst.CSTNode:
    """``node`` with those of its children that ``new`` holds (by id) replaced."""
    changes: dict[str, object] = {}
    for field in dataclasses.fields(node):
        value = getattr(node, field.name)
        if isinstance(value, cst.CSTNode):
            if id(value) in new:
                changes[field.name] = new[id(value)]
        elif isinstance(value, (tuple, list)) and any(id(item) in new for item in value):
            changes[field.name] = type(value)(new.get(id(item), item) for item in value)
    return node.with_changes(**changes)


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


# A backslash that continues a line, and the line break after it: only whitespace holds
# one (in a string, it is the string's own text).
_CONTINUATION = re.compile(r"\\(?:\r\n|\r|\n)")


class _Continued(cst.CSTTransformer):
    def __init__(self, indent: str) -> None:
        super().__init__()
        self.indent = indent

    def leave_SimpleWhitespace(
        self, original_node: cst.SimpleWhitespace, updated_node: cst.SimpleWhitespace
    ) -> cst.SimpleWhitespace:
        if "\\" not in updated_node.value:
            return updated_node
        value = _CONTINUATION.sub(lambda found: found.group(0) + self.indent, updated_node.value)
        return updated_node.with_changes(value=value)


class _Continues(cst.CSTVisitor):
    def __init__(self) -> None:
        super().__init__()
        self.found = False

    def visit_SimpleWhitespace(self, node: cst.SimpleWhitespace) -> None:
        self.found = self.found or "\\" in node.value


def one_level_deeper(node: Node, indent: str) -> Node:
    """``node``, about to move into a block one ``indent`` deeper: libcst re-indents its
    lines, and here the lines that a backslash continues move along, so that they keep
    their place relative to the line they continue. A string's text is left alone. A
    node without such a line is given back as it is (the analysis knows it by identity)."""
    continues = _Continues()
    node.visit(continues)
    return cast(Node, node.visit(_Continued(indent))) if continues.found else node


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
