"""The `ast` pre-check of fork-with-max-tasks: False only when the rule can find nothing."""

from __future__ import annotations

import ast

from ..analysis.prechecks import AstFacts, keyword_value
from ..libraries import EVERY_API, THREAD_SIDE

APIS: frozenset[str] | None = EVERY_API - THREAD_SIDE


def precheck(facts: AstFacts) -> bool:
    """A call that passes ``max_tasks_per_child=``."""
    return any(keyword_value(call, "max_tasks_per_child") is not None for call in facts.nodes(ast.Call))
