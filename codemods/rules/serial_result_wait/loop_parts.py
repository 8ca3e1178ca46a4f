"""The parts of a loop that the plan walks: a block's statements, a comprehension's
clauses and elements, the statements that may have side effects, a finite iterable."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import libcst as cst

from ...analysis.loop_body import first_side_effect, target_names

# Builtins whose result is a finite collection (when they return at all).
FINITE_CALLS = frozenset({"range", "list", "tuple", "sorted", "set", "frozenset", "dict", "reversed"})


def flat_statements(body: cst.BaseSuite) -> list[cst.CSTNode]:
    """A block's statements, each small statement of a line on its own."""
    if isinstance(body, cst.SimpleStatementSuite):
        return list(body.body)
    flat: list[cst.CSTNode] = []
    for statement in body.body:
        flat += statement.body if isinstance(statement, cst.SimpleStatementLine) else [statement]
    return flat


def clauses_of(comprehension: cst.BaseComp) -> list[cst.CompFor]:
    clauses: list[cst.CompFor] = []
    clause: cst.CompFor | None = comprehension.for_in
    while clause is not None:
        clauses.append(clause)
        clause = clause.inner_for_in
    return clauses


def elements_of(comprehension: cst.BaseComp) -> list[cst.BaseExpression]:
    if isinstance(comprehension, cst.DictComp):
        return [comprehension.key, comprehension.value]
    return [comprehension.elt]  # type: ignore[attr-defined]


def noisy_statement(statement: cst.CSTNode, skip: Sequence[cst.CSTNode]) -> cst.CSTNode | None:
    """The part of a statement that may have a side effect (a call, a store into an
    object), or None when it only computes local names."""
    if isinstance(statement, (cst.Pass, cst.Break, cst.Continue, cst.Raise)):
        return None
    if isinstance(statement, (cst.Expr, cst.Return)):
        return None if statement.value is None else first_side_effect(statement.value, skip)
    if isinstance(statement, (cst.Assign, cst.AnnAssign, cst.AugAssign)):
        targets = [t.target for t in statement.targets] if isinstance(statement, cst.Assign) else [statement.target]
        if any(target_names(t) is None for t in targets):
            return statement
        return None if statement.value is None else first_side_effect(statement.value, skip)
    if isinstance(statement, cst.If):
        branches = [statement.body] + ([statement.orelse.body] if statement.orelse is not None else [])
        inner = (noisy_statement(s, skip) for b in branches for s in flat_statements(b))
        return first_side_effect(statement.test, skip) or next((n for n in inner if n is not None), None)
    return statement


def finite(
    node: cst.BaseExpression, single_value: Callable[[cst.Name], cst.BaseExpression | None], depth: int = 0
) -> bool:
    """``node`` is provably a finite collection: a literal, a comprehension, ``range()``,
    ``list()`` and friends, or a name bound once (``single_value``) to one of those."""
    if isinstance(node, (cst.List, cst.Tuple, cst.Set, cst.Dict, cst.ListComp, cst.SetComp, cst.DictComp)):
        return True
    if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
        return True
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and node.args:
        if node.func.value in FINITE_CALLS:
            return True
        if node.func.value in ("enumerate", "zip"):
            counted = node.args[: 1 if node.func.value == "enumerate" else None]
            return any(finite(arg.value, single_value, depth) for arg in counted)
    if isinstance(node, cst.Name) and depth < 3:
        value = single_value(node)
        return value is not None and finite(value, single_value, depth + 1)
    return False
