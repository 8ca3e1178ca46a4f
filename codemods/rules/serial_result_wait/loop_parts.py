"""The parts of a loop that the plan walks: a block's statements, a comprehension's
clauses and elements."""

from __future__ import annotations

import libcst as cst


def flat_statements(body: cst.BaseSuite) -> list[cst.CSTNode]:
    """A block's statements, each small statement of a line on its own."""
    if isinstance(body, cst.SimpleStatementSuite):
        return list(body.body)
    flat: list[cst.CSTNode] = []
    for statement in body.body:  # type: ignore[attr-defined]
        flat += statement.body if isinstance(statement, cst.SimpleStatementLine) else [statement]
    return flat


def clauses_of(comprehension: cst.BaseComp) -> list[cst.CompFor]:
    clauses, clause = [], comprehension.for_in
    while clause is not None:
        clauses.append(clause)
        clause = clause.inner_for_in
    return clauses


def elements_of(comprehension: cst.BaseComp) -> list[cst.BaseExpression]:
    if isinstance(comprehension, cst.DictComp):
        return [comprehension.key, comprehension.value]
    return [comprehension.elt]  # type: ignore[attr-defined]
