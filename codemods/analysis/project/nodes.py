"""The facts the project model reads from a module's ``ast``, from one walk of it."""

from __future__ import annotations

import ast
from typing import Any

from ..ast_walk import FUNCTION, ModuleIndex

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
    """A module's nodes by type, the nodes of each top-level statement, and which nodes
    run when the module is imported (outside functions, lambdas and the guard)."""

    def __init__(self, tree: ast.Module, index: ModuleIndex | None = None) -> None:
        index = index or ModuleIndex(tree)
        self._levels = index.levels
        self.per_statement: list[list[ast.AST]] = []
        self.at_load: set[int] = set()
        for statement, levels in zip(tree.body, index.statements, strict=True):
            self.per_statement.append([node for found in levels for nodes in found.values() for node in nodes])
            if not (isinstance(statement, FUNCTIONS) or is_main_guard(statement)):
                # What runs at import: the statement's nodes outside functions and lambdas.
                outside = levels[:FUNCTION]
                self.at_load.update(id(node) for found in outside for nodes in found.values() for node in nodes)

    def of(self, *types: type) -> list[Any]:
        return [node for found in self._levels for kind in types for node in found.get(kind, ())]
