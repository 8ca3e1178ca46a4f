"""What ``multiprocessing`` and ``concurrent.futures`` names resolve to.

Rules never match text: a callee is resolved through libcst's QualifiedNameProvider (so
``import multiprocessing as mp``, ``from multiprocessing import Pool as P`` and
``from concurrent import futures`` all resolve) and then mapped to one canonical API name.
Names bound to ``multiprocessing.get_context(...)`` are followed as contexts.
"""

from __future__ import annotations

from collections.abc import Collection

import libcst as cst
import libcst.matchers as m
from libcst.metadata import QualifiedNameProvider

from codemods.analysis.facts import ModuleFacts, findall
from codemods.analysis.project.apis import CONTEXT_PREFIX, EXACT_NAMES, canonical


def spellings(apis: Collection[str]) -> frozenset[str]:
    """Every last name a callee resolving to one of ``apis`` can have in source, before
    aliasing: ``Manager`` and ``SyncManager`` both mean the API "Manager"."""
    exact = {name.rsplit(".", 1)[-1] for name, api in EXACT_NAMES.items() if api in apis}
    return frozenset(apis) | exact


class ApiResolver:
    """Resolves expressions of one module to canonical API names.

    ``get_metadata`` is the owning visitor's, so QualifiedNameProvider must be among the
    visitor's metadata dependencies.
    """

    def __init__(self, visitor: cst.MetadataDependent, module: cst.Module) -> None:
        self._visitor = visitor
        self.context_names = self._context_names(module)

    def qualified_names(self, node: cst.CSTNode) -> set[str]:
        found = self._visitor.get_metadata(QualifiedNameProvider, node, set())
        return {q.name for q in found}

    def _context_names(self, module: cst.Module) -> set[str]:
        """Plain names assigned from ``get_context(...)`` anywhere in the module."""
        names: set[str] = set()
        for assign in findall(module, m.Assign(value=m.Call()) | m.AnnAssign(value=m.Call())):
            value = assign.value  # type: ignore[union-attr]
            if "multiprocessing.get_context" not in self.qualified_names(value.func):
                continue
            targets = (
                [t.target for t in assign.targets] if isinstance(assign, cst.Assign) else [assign.target]
            )
            names.update(t.value for t in targets if isinstance(t, cst.Name))
        return names

    def api(self, node: cst.CSTNode) -> str | None:
        """The canonical name of the API that ``node`` (a callee) refers to."""
        for name in self.qualified_names(node):
            head, _, rest = name.partition(".")
            if head in self.context_names and rest:
                name = CONTEXT_PREFIX + rest
            found = canonical(name)
            if found is not None:
                return found
        return None

    def call_api(self, node: cst.CSTNode) -> str | None:
        """The canonical API name called by ``node`` when it is a call."""
        return self.api(node.func) if isinstance(node, cst.Call) else None


def api_of(facts: ModuleFacts) -> ApiResolver:
    """The module's resolver, shared by every rule."""
    return facts.memo(ApiResolver, lambda: ApiResolver(facts, facts.module))


# Calls that exit the interpreter.
EXIT_CALLS = frozenset({"sys.exit", "builtins.exit", "builtins.quit", "os._exit", "os.abort"})

# Calls that must run only in the parent, and what they do there.
TRIGGERS = {
    "Process": "starts processes",
    "Pool": "starts processes",
    "Manager": "starts processes",
    "ProcessPoolExecutor": "starts processes",
    "set_start_method": "sets the start method",
    "freeze_support": "prepares a frozen executable",
}
