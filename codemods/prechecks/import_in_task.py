"""The `ast` pre-check of import-in-task: False only when the rule can find nothing."""

from __future__ import annotations

import ast

from ..analysis.ast_walk import walk
from ..analysis.prechecks import AstFacts
from ..libraries import EVERY_API, THREAD_SIDE

APIS: frozenset[str] | None = EVERY_API - THREAD_SIDE


def precheck(facts: AstFacts) -> bool:
    """A pool task with an import statement in it (a process target runs once per
    process: the rule leaves its imports alone)."""
    return any(
        isinstance(inner, (ast.Import, ast.ImportFrom))
        for name in facts.entries.tasks
        for inner in walk(facts.functions[name])
    )
