"""The `ast` pre-check of fork-pinned-with-threads: False only when the rule can find nothing."""

from __future__ import annotations

import ast

from ..analysis.prechecks import AstFacts, base_name, keyword_value, positional_args
from ..analysis.project.apis import THREAD_CALLS
from ..libraries import EVERY_API, THREAD_SIDE, spellings

PINS = frozenset({"set_start_method", "get_context"})
THREAD_POOLS = frozenset({"ThreadPool", "ThreadPoolExecutor"})


def _ast_pins_fork(call: ast.Call) -> bool:
    args = positional_args(call)
    method = args[0] if args else keyword_value(call, "method")
    return isinstance(method, ast.Constant) and method.value == "fork"


APIS: frozenset[str] | None = EVERY_API - THREAD_SIDE


def precheck(facts: AstFacts) -> bool:
    """A ``set_start_method("fork")`` or ``get_context("fork")``, and a call or a base
    class spelled like a thread or a thread pool."""
    if not any(_ast_pins_fork(call) for call in facts.calls_to(PINS)):
        return False
    last_names = {name.rsplit(".", 1)[-1] for name in THREAD_CALLS}
    threads = facts.aliases(last_names | spellings(THREAD_POOLS))
    bases = (base for node in facts.nodes(ast.ClassDef) for base in node.bases)
    return bool(facts.calls_to(threads)) or any(base_name(base) in threads for base in bases)
