"""The `ast` pre-check of missing-main-guard: False only when the rule can find nothing."""

from __future__ import annotations

import ast

from ..analysis.ast_api import UNSURE
from ..analysis.prechecks import AstFacts, base_name, callee_name, calls_one_of
from ..analysis.project.apis import TRIGGERS, WORKER_CLASSES, WORKER_KEYWORDS
from ..libraries import spellings


def may_start_workers(call: ast.Call) -> bool:
    """A call spelled like a ``DataLoader``, or given ``num_proc``: one that may make what
    mpfix.analysis.worker_starts finds."""
    return callee_name(call) in WORKER_CLASSES or any(k.arg in WORKER_KEYWORDS for k in call.keywords)


APIS = None


def precheck(facts: AstFacts) -> bool:
    """A call at module level, outside the guard, of something spelled like a trigger
    (a bare name only when the module does not define it: ``mp.Pool()`` still counts
    next to a ``class Pool``) that may resolve to one, of a ``Process`` subclass, or of a
    top-level function that leads to one."""
    triggers = facts.aliases(spellings(TRIGGERS))
    names = triggers - facts.locally_defined
    calls = [call for _, call in facts.import_time_calls]
    api = facts.api("MP001")
    if any(calls_one_of(call, names, triggers) and api.call_api(call) in (UNSURE, *TRIGGERS) for call in calls):
        return True
    if any(may_start_workers(call) for call in calls):
        return True
    # A subclass of a class the module defines itself (``class _Main(BaseProcess)`` next
    # to ``class BaseProcess``) is no ``Process`` subclass to the rule.
    process = facts.aliases(spellings({"Process"}))
    classes = frozenset(
        node.name
        for node in facts.tree.body
        if isinstance(node, ast.ClassDef)
        and any(
            base_name(base) in process and not (isinstance(base, ast.Name) and base.id in facts.locally_defined)
            for base in node.bases
        )
    )
    local = {call.func.id for call in calls if isinstance(call.func, ast.Name)} & (classes | set(facts.functions))
    return bool(local) and bool(local & (classes | facts.top_level_callers(names | classes, triggers)))
