"""One walk over a module's ``ast`` that files its nodes by type and by how deep in
definitions they sit, and the walks that ask for a node's children and parents: for the
pre-checks (mpfix.analysis.prechecks) and the project model's summaries alike.
Standard library only, and nothing of mpfix's own."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from functools import cached_property

# How deep in definitions a node sits: outside every def, class and lambda (module-level
# code, the ``__main__`` guard included); in class bodies only; in a function or lambda
# (a def's decorators and defaults count as its inside: no statement lives there).
MODULE, CLASS, FUNCTION = 0, 1, 2
EVERYWHERE = (MODULE, CLASS, FUNCTION)
_INSIDE = {ast.ClassDef: CLASS, ast.FunctionDef: FUNCTION, ast.AsyncFunctionDef: FUNCTION, ast.Lambda: FUNCTION}
Levels = tuple[dict[type[ast.AST], list[ast.AST]], ...]

# A node type's signature in Python's grammar (ASDL), which ``ast`` gives as the type's
# doc string: ``FunctionDef(identifier name, arguments args, stmt* body, ...)``.
_SIGNATURE = re.compile(r"\w+(?:\((.*)\))?")
# The grammar's types that are no nodes (names, numbers, constants), and the Load/Store/Del marker.
_NOT_NODES = frozenset({"identifier", "int", "string", "constant", "object", "bytes", "singleton", "expr_context"})
# Per node type, its fields that may hold nodes, in order, each with whether it holds a
# list: None when a field may hold either (the grammar was not read), so each value is looked at.
_SHAPES: dict[type, tuple[tuple[str, bool | None], ...]] = {}


def _shape(kind: type[ast.AST]) -> tuple[tuple[str, bool | None], ...]:
    shape = _SHAPES.get(kind)
    if shape is None:
        shape = _SHAPES[kind] = _read_shape(kind)
    return shape


def _read_shape(kind: type[ast.AST]) -> tuple[tuple[str, bool | None], ...]:
    """The fields of ``kind`` that may hold nodes, from its grammar; every field but the
    marker when the grammar does not name exactly its fields."""
    match = _SIGNATURE.fullmatch((kind.__doc__ or "").split("\n", 1)[0].strip())
    declared = [part.split() for part in match.group(1).split(",")] if match and match.group(1) else []
    if [words[-1] for words in declared] != list(kind._fields) or any(len(words) != 2 for words in declared):
        return tuple((name, None) for name in kind._fields if name != "ctx")
    return tuple((name, grammar.endswith("*")) for grammar, name in declared if grammar.rstrip("*?") not in _NOT_NODES)


def index_of(root: ast.AST) -> Levels:
    """The nodes of ``root``'s tree by level and type, ``root`` itself at the module's level:
    one walk, without ``ast.walk``'s overhead."""
    levels: Levels = ({}, {}, {})
    stacks: tuple[list[ast.AST | None], ...] = ([root], [], [])
    for level, found in enumerate(levels):
        stack = stacks[level]
        pop = stack.pop
        while stack:
            node = pop()
            if node is None:  # an empty field, a ``**`` item's key, a keyword-only argument without default
                continue
            kind = node.__class__
            nodes = found.get(kind)
            if nodes is None:
                found[kind] = [node]
            else:
                nodes.append(node)
            inner = _INSIDE.get(kind)
            stack_of = stacks[level if inner is None or inner < level else inner]
            shape = _SHAPES.get(kind)  # () for most nodes: names and constants hold none
            for name, many in shape if shape is not None else _shape(kind):
                value = getattr(node, name, None)
                if many:
                    stack_of.extend(value or ())
                elif many is False or isinstance(value, ast.AST):
                    stack_of.append(value)
                elif isinstance(value, list):
                    stack_of.extend(item for item in value if isinstance(item, ast.AST))
    return levels


class ModuleIndex:
    """A module's nodes by level and type (see :func:`index_of`), and those of each of its
    top-level statements: one walk, for the pre-checks and the project model's summary."""

    def __init__(self, tree: ast.Module) -> None:
        self.tree = tree
        self.statements = [index_of(statement) for statement in tree.body]

    @cached_property
    def levels(self) -> Levels:
        levels: Levels = ({ast.Module: [self.tree]}, {}, {})
        if self.tree.type_ignores:
            levels[MODULE][ast.TypeIgnore] = list(self.tree.type_ignores)
        for statement in self.statements:
            for merged, found in zip(levels, statement, strict=True):
                for kind, nodes in found.items():
                    have = merged.get(kind)
                    if have is None:
                        merged[kind] = nodes.copy()
                    else:
                        have.extend(nodes)
        return levels


def children(node: ast.AST) -> list[ast.AST]:
    """``ast.iter_child_nodes`` (in the same order, but for the Load/Store/Del markers), as a list."""
    found: list[ast.AST] = []
    shape = _SHAPES.get(node.__class__)
    for name, many in shape if shape is not None else _shape(node.__class__):
        value = getattr(node, name, None)
        if many:
            found.extend(item for item in value or () if item is not None)
        elif isinstance(value, ast.AST):
            found.append(value)
        elif many is None and isinstance(value, list):
            found.extend(item for item in value if isinstance(item, ast.AST))
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
    push = todo.append
    for node in todo:  # grows while it is read
        shape = _SHAPES.get(node.__class__)
        for name, many in shape if shape is not None else _shape(node.__class__):
            value = getattr(node, name, None)
            if many:
                for item in value or ():
                    if item is not None:
                        parents[id(item)] = node
                        push(item)
            elif isinstance(value, ast.AST):
                parents[id(value)] = node
                push(value)
            elif many is None and isinstance(value, list):
                for item in value:
                    if isinstance(item, ast.AST):
                        parents[id(item)] = node
                        push(item)
    return parents
