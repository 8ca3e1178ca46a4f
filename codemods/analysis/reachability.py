"""Which code of a module runs in a child process.

Under spawn and forkserver a child imports the main module (as ``__mp_main__``, so the
``__main__`` guard is skipped) and then runs its target or tasks. The child therefore
needs every definition that process targets and pool tasks use, and the module-level
names they read. Code that only the parent runs (the guard, and functions such as
``main()`` that only the guard calls) needs nothing from the child's import.

Without proof of which functions are targets, every function and class counts as code a
child may run, except the *parent-only* functions: those whose every use is a direct call
from parent-only code, or a callback handed over there (``pool.apply_async(f, callback=g)``,
``future.add_done_callback(g)``: callbacks run in a thread of the parent). That keeps the
analysis sound when targets are passed around.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass

import libcst as cst
from libcst.metadata import Access, Assignment, ComprehensionScope, GlobalScope, Scope
from libcst.metadata.scope_provider import LocalScope

from .facts import ModuleFacts
from .statements import is_import

# Pool methods whose ``callback=`` and ``error_callback=`` run in the parent's result thread.
_CALLBACK_METHODS = frozenset({"apply_async", "map_async", "starmap_async"})
_CALLBACK_KEYWORDS = frozenset({"callback", "error_callback"})


@dataclass(frozen=True)
class ChildRead:
    """A module-level name read by code that may run in a child."""

    name: str
    reader: str  # the function or class it is read from
    node: cst.CSTNode


class _Owners(cst.CSTVisitor):
    """Maps every node to the index of the top-level statement that holds it."""

    def __init__(self) -> None:
        super().__init__()
        self.index = -1
        self.owner: dict[int, int] = {}

    def on_visit(self, node: cst.CSTNode) -> bool:
        self.owner[id(node)] = self.index
        return True


class ModuleReach:
    def __init__(
        self,
        module: cst.Module,
        scopes: Mapping[cst.CSTNode, Scope | None],
        parents: Mapping[cst.CSTNode, cst.CSTNode],
        owner: dict[int, int] | None = None,
    ) -> None:
        self.module = module
        self.parents = parents
        self.global_scope: GlobalScope = scopes[module]  # type: ignore[assignment]
        self.scopes = {s for s in scopes.values() if s is not None}
        if owner is None:
            owners = _Owners()
            for index, statement in enumerate(module.body):
                owners.index = index
                statement.visit(owners)
            owner = owners.owner
        self.owner = owner  # id(node) -> the index of the top-level statement it is in

        self.bindings: dict[int, set[str]] = defaultdict(set)
        for assignment in self.global_scope.assignments:
            if not isinstance(assignment, Assignment):
                continue
            position = self.owner.get(id(assignment.node))
            if position is not None:
                self.bindings[position].add(assignment.name)
        # Top-level functions bound once, by their def: the candidates for parent-only.
        self.functions: dict[str, int] = {}
        for index, statement in enumerate(module.body):
            if isinstance(statement, cst.FunctionDef):
                name = statement.name.value
                if len(self.global_scope.assignments[name]) == 1:
                    self.functions[name] = index

    def _top_scope(self, scope: Scope) -> tuple[LocalScope, bool]:
        """The outermost scope below the module, and whether the chain is comprehensions
        only (code that runs as part of the module-level statement itself)."""
        only_comprehensions = True
        while not isinstance(scope.parent, GlobalScope) and scope.parent is not scope:
            only_comprehensions &= isinstance(scope, ComprehensionScope)
            scope = scope.parent
        # Below the module every scope is a function's, a class's or a comprehension's.
        assert isinstance(scope, LocalScope)
        return scope, only_comprehensions and isinstance(scope, ComprehensionScope)

    def runs_in_parent_only(
        self, scope: Scope, parent_only: Collection[str], parent_statements: Collection[int]
    ) -> bool:
        if isinstance(scope, GlobalScope):
            return False
        top, module_level = self._top_scope(scope)
        node = top.node
        if module_level:
            return self.owner.get(id(node)) in parent_statements
        return (
            isinstance(node, cst.FunctionDef)
            and node.name.value in parent_only
            and self.module.body[self.functions[node.name.value]] is node
        )

    def _is_call(self, access: Access) -> bool:
        parent = self.parents.get(access.node)
        return isinstance(parent, cst.Call) and parent.func is access.node

    def _is_callback(self, access: Access) -> bool:
        """``access`` hands a function over as a callback, which the parent runs."""
        arg = self.parents.get(access.node)
        call = self.parents.get(arg) if isinstance(arg, cst.Arg) and arg.value is access.node else None
        if not (isinstance(call, cst.Call) and isinstance(arg, cst.Arg)) or not isinstance(call.func, cst.Attribute):
            return False
        keyword = arg.keyword.value if arg.keyword is not None else None
        if call.func.attr.value == "add_done_callback":
            return call.args[0] is arg and keyword in (None, "fn")
        return call.func.attr.value in _CALLBACK_METHODS and keyword in _CALLBACK_KEYWORDS

    def _is_thread_target(self, access: Access, target_of: Callable[[cst.Call], cst.Arg | None] | None) -> bool:
        """``access`` hands a function over as the target of a thread, which runs in the
        process that makes the thread."""
        arg = self.parents.get(access.node)
        call = self.parents.get(arg) if isinstance(arg, cst.Arg) and arg.value is access.node else None
        return target_of is not None and isinstance(call, cst.Call) and target_of(call) is arg

    def _access_from_parent(
        self, access: Access, parent_only: Collection[str], parent_statements: Collection[int]
    ) -> bool:
        if isinstance(access.scope, GlobalScope):
            return self.owner.get(id(access.node)) in parent_statements
        return self.runs_in_parent_only(access.scope, parent_only, parent_statements)

    def parent_only(
        self,
        parent_statements: Collection[int],
        thread_target: Callable[[cst.Call], cst.Arg | None] | None = None,
    ) -> set[str]:
        """Top-level functions that only the parent runs, given the top-level statements
        (by index) that only the parent runs. With ``thread_target`` (the argument of a
        call that names the function of the thread the call makes), a function that
        only threads of the parent run counts too."""
        candidates = set(self.functions)
        changed = True
        while changed:
            changed = False
            for name in sorted(candidates):
                accesses = [a for assignment in self.global_scope.assignments[name] for a in assignment.references]
                if not all(
                    (self._is_call(a) or self._is_callback(a) or self._is_thread_target(a, thread_target))
                    and self._access_from_parent(a, candidates, parent_statements)
                    for a in accesses
                ):
                    candidates.discard(name)
                    changed = True
        return candidates

    def child_reads(self, parent_only: Collection[str], parent_statements: Collection[int]) -> list[ChildRead]:
        """Module-level names read by code that may run in a child."""
        reads: list[ChildRead] = []
        for scope in self.scopes:
            if isinstance(scope, GlobalScope) or scope.parent is scope:
                continue
            top, module_level = self._top_scope(scope)
            if module_level or self.runs_in_parent_only(scope, parent_only, parent_statements):
                continue
            reader = getattr(getattr(top.node, "name", None), "value", "<lambda>")
            for access in scope.accesses:
                for referent in access.referents:
                    if getattr(referent, "scope", None) is self.global_scope:
                        reads.append(ChildRead(referent.name, reader, access.node))
                        break
        reads.sort(key=lambda r: (r.name, r.reader))
        return reads

    def module_reads(self, indices: Sequence[int]) -> set[str]:
        """Global names read at module level by the given top-level statements."""
        wanted = set(indices)
        names: set[str] = set()
        for scope in self.scopes:
            if not isinstance(scope, GlobalScope):
                _, module_level = self._top_scope(scope)
                if not module_level:
                    continue
            for access in scope.accesses:
                if self.owner.get(id(access.node)) in wanted:
                    names.update(r.name for r in access.referents)
        return names


def reach_of(facts: ModuleFacts) -> ModuleReach:
    """The module's reachability, shared by every rule."""
    return facts.memo(ModuleReach, lambda: ModuleReach(facts.module, facts.scopes, facts.parents, _owners(facts)))


def _owners(facts: ModuleFacts) -> dict[int, int]:
    """id(node) -> the index of the top-level statement it is in, from the module's index."""
    order, owner = facts.index.order, {}
    for index, statement in enumerate(facts.module.body):
        span = facts.index.span(statement)
        assert span is not None  # a statement of the module indexed
        first, stop = span
        for position in range(first, stop):
            owner[id(order[position])] = index
    return owner


def imported_only(body: Sequence[cst.BaseStatement], reach: ModuleReach) -> set[str]:
    """Names bound by imports only: calling their functions changes nothing a child sees."""
    imports = set().union(*(reach.bindings[i] for i, statement in enumerate(body) if is_import(statement)))
    others = set().union(*(reach.bindings[i] for i, statement in enumerate(body) if not is_import(statement)))
    return imports - others
