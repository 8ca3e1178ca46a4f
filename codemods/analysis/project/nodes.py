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
    """A module's nodes by type, and those of each top-level statement; which statements
    run when the module is imported (all but its functions and the guard)."""

    def __init__(self, tree: ast.Module, index: ModuleIndex | None = None) -> None:
        index = index or ModuleIndex(tree)
        self._levels = index.levels
        self.statements = index.statements
        self.at_import = [not (isinstance(s, FUNCTIONS) or is_main_guard(s)) for s in tree.body]

    def of(self, *types: type) -> list[Any]:
        return [node for found in self._levels for kind in types for node in found.get(kind, ())]

    def in_statement(self, index: int, *types: type, at_load: bool = False) -> list[Any]:
        """The nodes of ``types`` in top-level statement number ``index``; ``at_load``:
        only those that run when the module is imported (outside functions, lambdas and
        the guard)."""
        if at_load and not self.at_import[index]:
            return []
        levels = self.statements[index][:FUNCTION] if at_load else self.statements[index]
        return [node for found in levels for kind in types for node in found.get(kind, ())]

    def every(self, index: int) -> list[ast.AST]:
        """Every node of top-level statement number ``index``."""
        return [node for found in self.statements[index] for nodes in found.values() for node in nodes]
