"""The `ast` pre-check of map-materializes-iterable: False only when the rule can find nothing."""

from __future__ import annotations

import ast

from ..analysis.prechecks import AstFacts, keyword_value, may_be_instance, unpacks
from ..libraries import EVERY_API, THREAD_SIDE, spellings

METHODS = frozenset({"map", "starmap"})
POOLS = frozenset({"Pool"})  # process pools only; ThreadPool.map does the same, see the page
EXECUTORS = frozenset({"ProcessPoolExecutor"})


def _ast_lazy_map(call: ast.Call, pools: frozenset[str]) -> bool:
    if unpacks(call) or not may_be_instance(call.func.value, pools):  # type: ignore[attr-defined]
        return False
    iterable = call.args[1] if len(call.args) > 1 else keyword_value(call, "iterable")
    return isinstance(iterable, (ast.GeneratorExp, ast.Call, ast.Name, ast.Attribute))


APIS: frozenset[str] | None = EVERY_API - THREAD_SIDE


def precheck(facts: AstFacts) -> bool:
    """``pool.map(f, it)`` or ``pool.starmap(f, it)``, without unpacked arguments, on a
    name or a call spelled like ``Pool``, whose ``it`` may be lazy: a generator
    expression, a call, a name or an attribute such as ``sys.stdin`` (see
    mpfix.analysis.lazy_input)."""
    pools = facts.aliases(spellings(POOLS | EXECUTORS))
    return any(_ast_lazy_map(call, pools) for call in facts.method_calls(METHODS))
