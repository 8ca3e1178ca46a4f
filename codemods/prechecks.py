"""Cheap structural pre-checks on Python's own ``ast``, run before libcst's analysis.

Python's C parser is an order of magnitude faster than libcst with scope metadata, so a
rule whose findings need a shape that the ``ast`` does not have skips the file. Every
check here over-approximates: it may let a file through that the rule then finds clean,
never the reverse (a test runs each rule with and without its pre-check over a corpus).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator


def base_name(node: ast.expr) -> str | None:
    """The last name of a dotted expression: ``Pool`` for ``mp.get_context("spawn").Pool``."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def callee_name(call: ast.Call) -> str | None:
    return base_name(call.func)


def locally_defined(tree: ast.Module) -> set[str]:
    """Names the module defines itself with ``def`` or ``class`` and never imports."""
    defined = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}
    imported = {
        (alias.asname or alias.name).split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, (ast.Import, ast.ImportFrom))
        for alias in node.names
    }
    return defined - imported


def aliases_of(tree: ast.Module, names: frozenset[str]) -> set[str]:
    """``names`` plus every name they are imported as (``from m import Pool as P``)."""
    found = set(names)
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                if alias.name.rsplit(".", 1)[-1] in names and alias.asname:
                    found.add(alias.asname)
    return found


def _is_main_string(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value == "__main__"


def is_main_guard_test(test: ast.expr) -> bool:
    """The ``ast`` twin of :func:`codemods.guard.is_main_test`."""
    if not isinstance(test, ast.Compare) or len(test.ops) != 1:
        return False
    left, right, op = test.left, test.comparators[0], test.ops[0]
    is_name = lambda node: isinstance(node, ast.Name) and node.id == "__name__"  # noqa: E731
    if isinstance(op, ast.Eq):
        return (is_name(left) and _is_main_string(right)) or (is_name(right) and _is_main_string(left))
    if isinstance(op, ast.In) and is_name(left) and isinstance(right, (ast.Tuple, ast.List, ast.Set)):
        return bool(right.elts) and all(_is_main_string(e) for e in right.elts)
    return False


def import_time_calls(node: ast.AST) -> Iterator[ast.Call]:
    """Calls that run when a module-level statement runs: not those in function bodies,
    lambdas or ``__main__`` guards (decorators, defaults and class bodies do run)."""
    if isinstance(node, ast.Call):
        yield node
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        children: list[ast.AST] = [*node.decorator_list, node.args]
    elif isinstance(node, ast.Lambda):
        children = [node.args]
    elif isinstance(node, ast.If) and is_main_guard_test(node.test):
        children = list(node.orelse)
    else:
        children = list(ast.iter_child_nodes(node))
    for child in children:
        yield from import_time_calls(child)


def top_level_callers(tree: ast.Module, targets: set[str]) -> set[str]:
    """Top-level functions that call one of ``targets`` (by last name), directly or through
    each other: ``main`` in ``def main(): run()`` with ``def run(): Pool()``."""
    bodies = {
        node.name: {callee_name(c) for c in ast.walk(node) if isinstance(c, ast.Call)}
        for node in tree.body
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
    }
    found: set[str] = set()
    changed = True
    while changed:
        changed = False
        for name, callees in bodies.items():
            if name not in found and callees & (targets | found):
                found.add(name)
                changed = True
    return found
