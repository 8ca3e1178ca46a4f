"""What the names of process-starting libraries resolve to.

Rules never match text: a callee is resolved through libcst's QualifiedNameProvider (so
``import multiprocessing as mp``, ``from multiprocessing import Pool as P`` and
``from concurrent import futures`` all resolve) and then mapped, through the table of
mpfix.libraries, to one canonical API name and its library (``torch.multiprocessing.Pool``
and ``billiard.Pool`` are "Pool" too). Names bound to a ``get_context(...)`` are followed
as contexts. A rule's resolver hears only the libraries that the rule applies to: a rule
that a library makes moot never sees its API.
"""

from __future__ import annotations

import copy

import libcst as cst
from libcst.metadata import QualifiedNameProvider

from ..libraries import BY_NAME, CONTEXT_MAKERS, Library, resolve, through_context
from ..libraries import canonical as canonical
from ..libraries import spellings as spellings
from . import match as m
from .facts import ModuleFacts, findall
from .project.apis import TRIGGERS as TRIGGERS


class ApiResolver:
    """Resolves expressions of one module to canonical API names and their libraries.

    ``get_metadata`` is the module facts', which build the qualified names when first read.
    A resolver made ``for_rule`` resolves only the APIs of the libraries that the rule
    applies to.
    """

    def __init__(self, visitor: ModuleFacts, module: cst.Module) -> None:
        self._visitor = visitor
        self.rule: str | None = None
        self.context_names = self._context_names(module)

    def for_rule(self, code: str) -> ApiResolver:
        """This resolver, deaf to the libraries that make rule ``code`` moot."""
        heard = copy.copy(self)
        heard.rule = code
        return heard

    def qualified_names(self, node: cst.CSTNode) -> set[str]:
        found = self._visitor.get_metadata(QualifiedNameProvider, node, set())
        return {q.name for q in found}

    def _context_names(self, module: cst.Module) -> dict[str, str]:
        """Plain names assigned from ``get_context(...)`` anywhere in the module, and the
        module whose context each holds."""
        names: dict[str, str] = {}
        for assign in findall(module, m.Assign(value=m.Call()) | m.AnnAssign(value=m.Call())):
            assert isinstance(assign, (cst.Assign, cst.AnnAssign)) and isinstance(assign.value, cst.Call)
            maker = next((q for q in self.qualified_names(assign.value.func) if q in CONTEXT_MAKERS), None)
            if maker is None:
                continue
            targets = [t.target for t in assign.targets] if isinstance(assign, cst.Assign) else [assign.target]
            names.update((t.value, maker) for t in targets if isinstance(t, cst.Name))
        return names

    def _hears(self, library: Library) -> bool:
        return self.rule not in library.moot

    def _resolved(self, node: cst.CSTNode) -> tuple[str, Library] | None:
        for name in self.qualified_names(node):
            head, _, rest = name.partition(".")
            if head in self.context_names and rest:
                name = f"{self.context_names[head]}.{rest}"
            found = resolve(through_context(name))
            if found is not None:
                return found
        return None

    def api(self, node: cst.CSTNode) -> str | None:
        """The canonical name of the API that ``node`` (a callee) refers to."""
        found = self._resolved(node)
        return found[0] if found is not None and self._hears(found[1]) else None

    def call_library(self, node: cst.CSTNode) -> Library | None:
        """The library whose API ``node`` calls, as the backend its arguments choose."""
        found = self._resolved(node.func) if isinstance(node, cst.Call) else None
        if found is None:
            return None
        library = _backend(node, found[1]) or found[1]  # type: ignore[arg-type]
        return library if self._hears(library) else None

    def call_api(self, node: cst.CSTNode) -> str | None:
        """The canonical API name called by ``node`` when it is a call."""
        found = self._resolved(node.func) if isinstance(node, cst.Call) else None
        return found[0] if found is not None and self.call_library(node) is not None else None


def _backend(call: cst.Call, library: Library) -> Library | None:
    """The library that a backend argument written as a string chooses, such as joblib's
    ``backend="multiprocessing"``."""
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == library.backend_keyword:
            value = arg.value
            if isinstance(value, cst.SimpleString) and value.evaluated_value in library.backends:
                return BY_NAME[library.backends[value.evaluated_value]]  # type: ignore[index]
    return None


def api_of(facts: ModuleFacts, rule: str | None = None) -> ApiResolver:
    """The module's resolver, shared by every rule; ``rule``: the one that rule hears."""
    every = facts.memo(ApiResolver, lambda: ApiResolver(facts, facts.module))
    return every if rule is None else facts.memo((ApiResolver, rule), lambda: every.for_rule(rule))


# Calls that exit the interpreter.
EXIT_CALLS = frozenset({"sys.exit", "builtins.exit", "builtins.quit", "os._exit", "os.abort"})

