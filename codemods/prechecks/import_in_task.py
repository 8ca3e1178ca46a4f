"""The `ast` pre-check of import-in-task: False only when the rule can find nothing."""

from __future__ import annotations

import ast

from ..analysis.prechecks import AstFacts
from ..libraries import EVERY_API, THREAD_SIDE

APIS: frozenset[str] | None = EVERY_API - THREAD_SIDE


def precheck(facts: AstFacts) -> bool:
    """A pool task with an import statement in it (a process target runs once per
    process: the rule leaves its imports alone)."""
    inside = facts.top_level.inside
    return any(inside(facts.functions[name], ast.Import, ast.ImportFrom) for name in facts.entries.tasks)
