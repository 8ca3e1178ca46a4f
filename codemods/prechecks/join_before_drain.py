"""The `ast` pre-check of join-before-drain: False only when the rule can find nothing."""

from __future__ import annotations

import ast

from ..analysis.prechecks import AstFacts, keyword_value
from ..libraries import EVERY_API, THREAD_SIDE, spellings


def _ast_join(call: ast.Call) -> bool:
    """The ``ast`` twin of ``_join_call``: ``p.join()`` or ``p.join(None)``."""
    if (
        call.keywords
        or len(call.args) > 1
        or any(not (isinstance(a, ast.Constant) and a.value is None) for a in call.args)
    ):
        return False
    return isinstance(call.func, ast.Attribute) and isinstance(call.func.value, ast.Name)


def _ast_reads(statement: ast.stmt) -> bool:
    """``q.get()`` and the other reads of a queue, or a call that hands something on."""
    return any(
        isinstance(n, ast.Call)
        and (
            (isinstance(n.func, ast.Attribute) and n.func.attr in READS)
            or (isinstance(n.func, ast.Name) and bool(n.args or n.keywords))
        )
        for n in ast.walk(statement)
    )


READS = frozenset({"get", "get_nowait", "empty", "qsize"})

APIS: frozenset[str] | None = EVERY_API - THREAD_SIDE


def precheck(facts: AstFacts) -> bool:
    """A call spelled like ``Process`` with ``target=f``, a ``put()``, and a block in
    which a statement that joins (``p.join()``) comes before one that reads a queue
    (``q.get()``...) or hands something to a function (which may read it)."""
    joins = {id(call) for call in facts.method_calls(["join"]) if _ast_join(call)}
    if not joins or not facts.method_calls(["put", "put_nowait"]):
        return False
    starts = facts.calls_to(facts.aliases(spellings({"Process"})))
    if not any(isinstance(keyword_value(call, "target"), ast.Name) for call in starts):
        return False
    for block in facts.blocks():
        first = next((i for i, s in enumerate(block) if any(id(n) in joins for n in ast.walk(s))), None)
        if first is not None and any(_ast_reads(s) for s in block[first + 1 :]):
            return True
    return False
