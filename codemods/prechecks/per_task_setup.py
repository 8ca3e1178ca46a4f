"""The `ast` pre-check of per-task-setup: False only when the rule can find nothing."""

from __future__ import annotations

import ast

from ..analysis.prechecks import AstFacts, callee_name
from ..libraries import EVERY_API, THREAD_SIDE

SPELLINGS = frozenset({"connect", "Connect", "Session", "session", "Client", "client", "resource", "load", "read"})

APIS: frozenset[str] | None = EVERY_API - THREAD_SIDE


def precheck(facts: AstFacts) -> bool:
    """A pool task that calls something spelled like a setup call."""
    names = facts.aliases(SPELLINGS)
    return any(
        isinstance(call, ast.Call) and callee_name(call) in names
        for task in facts.entries.tasks
        for call in facts.top_level.inside(facts.functions[task], ast.Call)
    )
