"""One walk of a module's ``ast``: the facts the project model reads come from it."""

from __future__ import annotations

import ast
from collections.abc import Callable
from typing import Any

FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)


def is_main_guard(statement: ast.stmt) -> bool:
    if not (isinstance(statement, ast.If) and isinstance(statement.test, ast.Compare)):
        return False
    test = statement.test
    sides = [test.left, *test.comparators]
    return (
        len(sides) == 2
        and isinstance(test.ops[0], ast.Eq)
        and any(isinstance(s, ast.Name) and s.id == "__name__" for s in sides)
        and any(isinstance(s, ast.Constant) and s.value == "__main__" for s in sides)
    )


class Nodes:
    """One walk of a module: its nodes by type, the nodes of each top-level statement, and
    which nodes run when the module is imported (outside functions, lambdas and the guard)."""

    def __init__(self, tree: ast.Module) -> None:
        self.by_type: dict[type, list[ast.AST]] = {}
        self.per_statement: list[list[ast.AST]] = []
        self.at_load: set[int] = set()
        for statement in tree.body:
            own: list[ast.AST] = []
            _walk(statement, own.append)
            for node in own:
                self.by_type.setdefault(node.__class__, []).append(node)
            if not (isinstance(statement, FUNCTIONS) or is_main_guard(statement)):
                _walk(statement, lambda node: self.at_load.add(id(node)), stop=(*FUNCTIONS, ast.Lambda))
            self.per_statement.append(own)

    def of(self, *types: type) -> list[Any]:
        return [node for kind in types for node in self.by_type.get(kind, ())]


_FIELDS: dict[type, tuple[str, ...]] = {}


def _walk(root: ast.AST, visit: Callable[[ast.AST], None], stop: tuple[type, ...] = ()) -> None:
    """Visit ``root`` and the nodes below it, but below those of the types ``stop``, in
    the order of a stack (the model's hottest loop)."""
    stack = [root]
    pop, push = stack.pop, stack.append
    while stack:
        node = pop()
        visit(node)
        kind = node.__class__
        if stop and issubclass(kind, stop):
            continue
        fields = _FIELDS.get(kind)
        if fields is None:
            fields = _FIELDS[kind] = tuple(f for f in kind._fields if f != "ctx")
        for name in fields:
            value = getattr(node, name, None)
            if value.__class__ is list:
                for item in value:
                    if isinstance(item, ast.AST):
                        push(item)
            elif isinstance(value, ast.AST):
                push(value)
