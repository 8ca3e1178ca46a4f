"""The `ast` pre-check of parent-pid-assumption: False only when the rule can find nothing."""

from __future__ import annotations

import ast

from ..analysis.prechecks import AstFacts, callee_name
from ..libraries import EVERY_API, THREAD_SIDE


def _ast_getppid(node: ast.expr, names: frozenset[str]) -> bool:
    return isinstance(node, ast.Call) and callee_name(node) in names


def _ast_lists_children(facts: AstFacts) -> bool:
    """An ``x.children()`` call inside a function."""
    calls = facts.nodes(ast.Call, levels=(2,))
    return any(isinstance(call.func, ast.Attribute) and call.func.attr == "children" for call in calls)


APIS: frozenset[str] | None = EVERY_API - THREAD_SIDE


def precheck(facts: AstFacts) -> bool:
    """A comparison of a call spelled like ``getppid()`` inside a function."""
    names = facts.aliases({"getppid"})
    compares = facts.nodes(ast.Compare, levels=(2,))
    if any(_ast_getppid(side, names) for c in compares for side in [c.left, *c.comparators]):
        return True
    return _ast_lists_children(facts) and bool(facts.calls_to(names) or facts.method_calls({"parent"}))
