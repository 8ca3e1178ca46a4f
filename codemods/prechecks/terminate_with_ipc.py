"""The `ast` pre-check of terminate-with-ipc: False only when the rule can find nothing."""

from __future__ import annotations

import ast

from ..analysis.prechecks import AstFacts
from ..analysis.project.apis import IPC_FACTORIES
from ..libraries import spellings

# What stops each kind of worker, by its canonical API name.
STOPPING = {
    "Process": frozenset({"terminate", "kill"}),
    "Pool": frozenset({"terminate"}),
    "ProcessPoolExecutor": frozenset({"terminate_workers", "kill_workers"}),  # Python 3.14
}
# The objects that a stopped process can leave broken or locked (raw shared memory has no lock).
SHARED = IPC_FACTORIES - {"RawValue", "RawArray", "Manager"}

APIS = SHARED


def precheck(facts: AstFacts) -> bool:
    """A ``w.terminate()``, ``w.kill()``, ``w.terminate_workers()`` or
    ``w.kill_workers()`` call, and a name assigned a call spelled like a queue, pipe or
    lock that is mentioned on the stop's last line or after it, or twice among the
    arguments of calls spelled like a process or pool (``_used_after``'s two ways)."""
    stops = [
        call
        for call in facts.method_calls(set().union(*STOPPING.values()))
        if isinstance(call.func.value, ast.Name) and not call.args and not call.keywords  # type: ignore[attr-defined]
    ]
    if not stops:
        return False
    made = {id(call) for call in facts.calls_to(facts.aliases(spellings(SHARED)))}
    shared = {
        name.id
        for node in facts.nodes(ast.Assign)
        if id(node.value) in made
        for target in node.targets
        for name in ast.walk(target)
        if isinstance(name, ast.Name)
    }
    if not shared:
        return False
    first_stop = min(call.end_lineno or call.lineno for call in stops)
    makers = {id(call) for call in facts.calls_to(facts.aliases(spellings(STOPPING)))}
    handed: dict[str, int] = {}
    for name in facts.nodes(ast.Name):
        if name.id not in shared:
            continue
        if name.lineno >= first_stop:
            return True
        outer = facts.scopes.parent(name)
        while outer is not None:
            handed[name.id] = handed.get(name.id, 0) + (id(outer) in makers)
            outer = facts.scopes.parent(outer)
        if handed.get(name.id, 0) >= 2:
            return True
    return False
