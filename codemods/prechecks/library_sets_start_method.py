"""The `ast` pre-check of library-sets-start-method: False only when the rule can find nothing."""

from __future__ import annotations

from ..analysis.prechecks import AstFacts
from ..libraries import EVERY_API, THREAD_SIDE, spellings

APIS: frozenset[str] | None = EVERY_API - THREAD_SIDE


def precheck(facts: AstFacts) -> bool:
    """A call spelled like ``set_start_method``, in a module with no main guard (with
    one, the module is a script)."""
    surely_guarded, _ = facts.guards
    return not surely_guarded and bool(facts.calls_to(facts.aliases(spellings({"set_start_method"}))))
