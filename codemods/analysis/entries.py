"""How a module's top-level functions reach child processes.

A function runs in a child when it is a process target (``Process(target=f)``), a pool
task (``pool.map(f, ...)``, ``executor.submit(f, ...)``) or a pool initializer. Every
other reference (a direct call, the function passed anywhere else) is recorded too, so a
rule can tell a pure worker from a function that also runs elsewhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import libcst as cst
from libcst.metadata import Assignment, Scope

from .facts import ModuleFacts
from .ipc import pool_initializer
from .names import ApiResolver, api_of
from .project.apis import POOLS, TASK_METHODS
from .reachability import ModuleReach, reach_of


@dataclass
class Uses:
    """Every reference to one top-level function, by role."""

    targets: list[cst.Call] = field(default_factory=list)  # Process(target=f) calls
    tasks: list[cst.Call] = field(default_factory=list)  # the pool calls whose workers run f
    initializes: list[cst.Call] = field(default_factory=list)  # pool calls with initializer=f
    other: list[cst.CSTNode] = field(default_factory=list)  # direct calls, f passed elsewhere

    @property
    def only_target(self) -> bool:
        return bool(self.targets) and not (self.tasks or self.initializes or self.other)

    @property
    def only_task(self) -> bool:
        return bool(self.tasks) and not (self.targets or self.initializes or self.other)

    @property
    def only_initializer(self) -> bool:
        return bool(self.initializes) and not (self.targets or self.tasks or self.other)

    @property
    def runs_in_child(self) -> bool:
        return bool(self.targets or self.tasks or self.initializes)


class Entries:
    def __init__(
        self,
        reach: ModuleReach,
        api: ApiResolver,
        scopes: Mapping[cst.CSTNode, Scope | None],
        parents: Mapping[cst.CSTNode, cst.CSTNode],
    ) -> None:
        self.api = api
        self.scopes = scopes
        self.parents = parents
        self.uses: dict[str, Uses] = {}
        for name in reach.functions:
            uses = self.uses[name] = Uses()
            for assignment in reach.global_scope.assignments[name]:
                for access in assignment.references:
                    self._classify(access.node, uses)

    def _classify(self, node: cst.CSTNode, uses: Uses) -> None:
        arg = self.parents.get(node)
        call = self.parents.get(arg) if isinstance(arg, cst.Arg) and arg.value is node else None
        if not isinstance(call, cst.Call) or not isinstance(arg, cst.Arg):
            uses.other.append(node)
            return
        if self._partial(call, arg):  # ``pool.map(partial(f, ...), ...)`` runs f as the task
            outer = self.parents.get(call)
            task = self.parents.get(outer) if isinstance(outer, cst.Arg) and outer.value is call else None
            pool = self._pool_of_task(task) if isinstance(task, cst.Call) and _first(task, outer) else None
            if pool is not None:
                uses.tasks.append(pool)
            else:
                uses.other.append(node)
            return
        kind = self.api.call_api(call)
        keyword = arg.keyword.value if arg.keyword is not None else None
        if keyword == "target" and kind == "Process":
            uses.targets.append(call)
        elif kind in POOLS and pool_initializer(call, kind) is node:
            uses.initializes.append(call)
        elif _first(call, arg) and (pool := self._pool_of_task(call)):
            uses.tasks.append(pool)
        else:
            uses.other.append(node)

    def _partial(self, call: cst.Call, arg: cst.Arg) -> bool:
        """``functools.partial(f, ...)``, with ``arg`` its ``f``."""
        return _first(call, arg) and "functools.partial" in self.api.qualified_names(call.func)

    def _pool_of_task(self, call: cst.Call) -> cst.Call | None:
        """The pool call behind ``pool.map(...)``: inline, or the one call bound to the name."""
        func = call.func
        if not (isinstance(func, cst.Attribute) and func.attr.value in TASK_METHODS):
            return None
        receiver = func.value
        if isinstance(receiver, cst.Call):
            return receiver if self.api.call_api(receiver) in POOLS else None
        scope = self.scopes.get(receiver)
        if not isinstance(receiver, cst.Name) or scope is None:
            return None
        assignments = list(scope[receiver.value])
        if len(assignments) != 1:
            return None
        target = self.parents.get(assignments[0].node) if isinstance(assignments[0], Assignment) else None
        if isinstance(target, cst.AsName):
            value = getattr(self.parents.get(target), "item", None)
        elif isinstance(target, cst.AssignTarget):
            value = getattr(self.parents.get(target), "value", None)
        else:
            return None
        return value if isinstance(value, cst.Call) and self.api.call_api(value) in POOLS else None



def _first(call: cst.Call, arg: cst.CSTNode | None) -> bool:
    """``arg`` is the first argument of ``call``, by position."""
    return isinstance(arg, cst.Arg) and arg.keyword is None and not arg.star and call.args[0] is arg


def entries_of(facts: ModuleFacts) -> Entries:
    """How the module's functions are used, shared by every rule."""
    return facts.memo(Entries, lambda: Entries(reach_of(facts), api_of(facts), facts.scopes, facts.parents))
