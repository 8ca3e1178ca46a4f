"""Module-level names that the parent process sets at run time, and who reads them.

Under spawn and forkserver a child imports the module again, skips the ``__main__`` guard
and then runs its target or task: it sees every module-level name as the import left it.
A name that the parent assigns or changes in place at run time (under the guard, or in a
function that the parent runs: one the guard calls, or a function that starts processes
and that nothing in the module calls, an entry point for other code) holds one value in
the parent and another in its children.

Everything here is worked out from one module's facts, so that a view of several modules
can ask the same questions of the module where a child's code lives.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

import libcst as cst

from .entries import Entries, entries_of
from .facts import ModuleFacts
from .guard import is_main_guard
from .names import api_of
from .project.apis import POOLS
from .project.parent import closure
from .reachability import ModuleReach, reach_of
from .statements import MUTATING_METHODS, calls_in, names_in

_STARTERS = frozenset({"Process", *POOLS})
_NOT_DATA = (cst.Import, cst.ImportFrom, cst.FunctionDef, cst.ClassDef)


@dataclass(frozen=True)
class Write:
    """The parent assigns ``name`` (``value`` when a plain ``name = value``) or changes it
    in place, at ``node``; ``function`` is the top-level function it is in, None for the
    guard."""

    name: str
    node: cst.CSTNode
    function: str | None
    changed: bool
    value: cst.BaseExpression | None = None


class ParentWrites:
    def __init__(self, facts: ModuleFacts) -> None:
        self.module = facts.module
        self.parents = facts.parents
        self.reach: ModuleReach = reach_of(facts)
        self.entries: Entries = entries_of(facts)
        self.api = api_of(facts)
        body = self.module.body
        self.guards = {index for index, statement in enumerate(body) if is_main_guard(statement)}
        self.parent_only = self.reach.parent_only(self.guards)
        self.mentions = {name: names_in(body[index]) for name, index in self.reach.functions.items()}
        self.run_by_parent = self._run_by_parent()
        self.writes: dict[str, list[Write]] = defaultdict(list)
        self.written_in_child: set[str] = set()  # a child sets it itself (an initializer, a cache)
        self.import_time: set[str] = set()  # bound when the module is imported
        self.not_data: set[str] = set()  # imports, functions, classes
        for assignment in self.reach.global_scope.assignments:
            self._assigned(assignment.name, assignment.node)  # type: ignore[attr-defined]
        for name, node in self._references():
            if _changed_in_place(node, self.parents):
                self._record(name, node, changed=True)

    # -- who runs what -------------------------------------------------------------------

    def _starts_processes(self, name: str) -> bool:
        function = self.module.body[self.reach.functions[name]]
        return any(self.api.call_api(call) in _STARTERS for call in calls_in(function, whole_functions=True))

    def _run_by_parent(self) -> set[str]:
        """Parent-only functions that the guard calls, or that start processes while
        nothing in the module refers to them, and those they call."""
        body = self.module.body
        roots = set().union(*(names_in(body[index]) for index in self.guards)) & self.parent_only
        unreferenced = {
            name for name in self.parent_only
            if not any(a.references for a in self.reach.global_scope.assignments[name])
        }  # fmt: skip
        roots |= {name for name in unreferenced if self._starts_processes(name)}
        return closure(roots, lambda name: self.mentions[name] & self.parent_only)

    def runner(self, node: cst.CSTNode) -> tuple[str, str | None]:
        """Who runs ``node``: ("parent", function or None for the guard), ("import", None)
        for module-level code, ("child", function) for code a child may run, ("unknown",
        function) for a parent-only function the module never calls."""
        index = self.reach.owner.get(id(node))
        statement = self.module.body[index] if index is not None else None
        if index in self.guards:
            return "parent", None
        if isinstance(statement, cst.FunctionDef):
            name = statement.name.value
            if name in self.run_by_parent:
                return "parent", name
            return ("unknown" if name in self.parent_only else "child"), name
        if isinstance(statement, cst.ClassDef):
            return "child", None  # a method may run anywhere
        return "import", None

    def reached_from(self, entry: str) -> set[str]:
        """``entry`` and the top-level functions it mentions, transitively."""
        return closure({entry}, lambda name: self.mentions.get(name, set()) & self.mentions.keys())

    # -- the writes ----------------------------------------------------------------------

    def _assigned(self, name: str, node: cst.CSTNode) -> None:
        if isinstance(node, _NOT_DATA):
            self.not_data.add(name)
            return
        self._record(name, node, changed=False, value=self._value(node))

    def _value(self, node: cst.CSTNode) -> cst.BaseExpression | None:
        """What ``NAME = value`` or ``with value as NAME`` binds, for those two shapes."""
        target = self.parents.get(node)
        holder = self.parents.get(target) if target is not None else None
        if isinstance(target, cst.AssignTarget) and isinstance(holder, cst.Assign) and len(holder.targets) == 1:
            return holder.value
        return holder.item if isinstance(target, cst.AsName) and isinstance(holder, cst.WithItem) else None

    def _record(self, name: str, node: cst.CSTNode, changed: bool, value: cst.BaseExpression | None = None) -> None:
        who, function = self.runner(node)
        if who == "parent":
            self.writes[name].append(Write(name, node, function, changed, value))
        elif who == "import":
            self.import_time.add(name)
        elif who == "child":
            self.written_in_child.add(name)

    def _references(self) -> Iterator[tuple[str, cst.CSTNode]]:
        seen: set[int] = set()
        for assignment in self.reach.global_scope.assignments:
            for access in assignment.references:
                if id(access.node) not in seen:
                    seen.add(id(access.node))
                    yield assignment.name, access.node

    def run_time_names(self) -> set[str]:
        """Data names that only the parent sets at run time."""
        return {name for name in self.writes if name not in self.not_data | self.written_in_child}


def _changed_in_place(node: cst.CSTNode, parents: object) -> bool:
    """``NAME.append(x)``, ``NAME[k] = v``, ``NAME[k] += v``, ``del NAME[k]``, ``NAME.x = v``."""
    get = parents.get  # type: ignore[attr-defined]
    holder = get(node)
    if not isinstance(holder, (cst.Attribute, cst.Subscript)) or holder.value is not node:
        return False
    outer = get(holder)
    if isinstance(holder, cst.Attribute) and isinstance(outer, cst.Call) and outer.func is holder:
        return holder.attr.value in MUTATING_METHODS
    if isinstance(outer, cst.AssignTarget):
        return True
    if isinstance(outer, (cst.AugAssign, cst.AnnAssign)) and outer.target is holder:
        return True
    return isinstance(outer, cst.Del) or (isinstance(outer, cst.Element) and isinstance(get(get(outer)), cst.Del))


def parent_writes_of(facts: ModuleFacts) -> ParentWrites:
    """The module's run-time writes by the parent, shared by every rule that asks."""
    return facts.memo(ParentWrites, lambda: ParentWrites(facts))
