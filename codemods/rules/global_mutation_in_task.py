"""MP008 global-mutation-in-task: a pool task or process target changes a module-level
name that the parent reads.

A child process has its own copy of the module, under every start method (fork copies the
parent's memory, spawn and forkserver import the module again): ``RESULTS.append(x)`` or
``global total; total += x`` in a worker changes that copy, and the parent's never moves.
Only reported: the value has to travel back another way, which the page describes.
"""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst
from libcst.metadata import (
    GlobalScope,
    ScopeProvider,
)

from ..analysis import match as m
from ..analysis.bindings import bound_node
from ..analysis.entries import Entries, entries_of
from ..analysis.facts import findall
from ..analysis.project.apis import CONTAINER_CALLS, MUTATORS
from ..analysis.project.model import LostUpdate
from ..analysis.statements import is_definition
from ._base import RuleVisitor

CONTAINER_LITERALS = (cst.List, cst.Dict, cst.Set, cst.ListComp, cst.DictComp, cst.SetComp)


class GlobalMutationInTask(RuleVisitor):

    def visit_Module(self, node: cst.Module) -> bool:
        self.reported: set[tuple[int, str]] = set()
        self.reported_lines: set[tuple[int, str]] = set()
        self.script = {i for i, statement in enumerate(node.body) if not is_definition(statement)}
        self.parent_only = {
            name for name in self.reach.parent_only(self.script)
            if any(a.references for a in self.reach.global_scope.assignments[name])
        }  # fmt: skip
        entries = entries_of(self.facts)
        for name, role in self._child_functions(entries).items():
            function = self.module.body[self.reach.functions[name]]
            assert isinstance(function, cst.FunctionDef)  # reach.functions holds the module's defs
            self._check_function(function, role)
        if self.facts.project is not None:
            for update in self.facts.project.lost_updates:
                self._check_across(update)
        return False

    def _check_across(self, update: LostUpdate) -> None:
        """A change that a child started by another module makes, which that module reads."""
        index = self.reach.functions.get(update.function)
        function = self.module.body[index] if index is not None else None
        lines = findall(function, m.SimpleStatementLine()) if isinstance(function, cst.FunctionDef) else []
        small = [s for line in lines if isinstance(line, cst.SimpleStatementLine) for s in line.body]
        where = next((s for s in small if self.line(s) == update.line), None)
        if where is None or (update.line, update.name) in self.reported_lines:
            return
        self.reported_lines.add((update.line, update.name))
        kind = "process target" if update.kind == "target" else "pool task"
        code = " ".join(self.module.code_for_node(where).split())
        shown = f" (`{code}`)" if len(code) <= 50 else ""
        message = (
            f"`{update.function}`, a {kind} that {update.by} starts on line {update.start_line}, "
            f"{update.what} {_module_level(update)}"
            f"{shown}: under every start method a child process changes its own copy of the module, so "
            f"{update.by}, which reads `{update.name.rpartition('.')[2]}` on line {update.read_line}, never sees "
            "the change"
        )
        self.report(where, message, not_fixed=_advice(kind, update.function) + f" in {update.by}")

    # -- which functions run only in a child -------------------------------------------

    def _child_functions(self, entries: Entries) -> dict[str, tuple[str, str]]:
        """Top-level functions that only children run, each with (the entry that runs it,
        the entry's kind): pool tasks and process targets that nothing else uses (not
        initializers: setting a global there is the per-worker setup), and the helpers
        that only those call."""
        roles: dict[str, tuple[str, str]] = {}
        for name, uses in entries.uses.items():
            if (uses.tasks or uses.targets) and not (uses.initializes or uses.other):
                kinds = [k for k, found in (("process target", uses.targets), ("pool task", uses.tasks)) if found]
                roles[name] = (name, " and ".join(kinds))
        changed = True
        while changed:
            changed = False
            for name in sorted(set(self.reach.functions) - set(roles)):
                callers = self._callers(name)
                if callers and all(caller in roles for caller in callers):
                    roles[name] = roles[min(callers)]
                    changed = True
        return roles

    def _callers(self, name: str) -> set[str] | None:
        """The top-level functions that call ``name``, when every use of it is such a call."""
        callers: set[str] = set()
        for assignment in self.reach.global_scope.assignments[name]:
            for access in assignment.references:
                call = self.parents.get(access.node)
                top = self._top_function(access.node)
                if not (isinstance(call, cst.Call) and call.func is access.node and top is not None):
                    return None
                callers.add(top)
        return callers

    def _top_function(self, node: cst.CSTNode) -> str | None:
        index = self.reach.owner.get(id(node))
        statement = self.module.body[index] if index is not None and index >= 0 else None
        return statement.name.value if isinstance(statement, cst.FunctionDef) else None

    # -- what they change -----------------------------------------------------------------

    def _check_function(self, function: cst.FunctionDef, role: tuple[str, str]) -> None:
        index = self.reach.functions[function.name.value]
        for assignment in self.reach.global_scope.assignments:
            node = bound_node(assignment)
            if isinstance(node, cst.Name) and self.reach.owner.get(id(node)) == index:
                what = f"assigns the global `{assignment.name}`"
                self._report(function, role, assignment.name, self._statement(node), what)
        for name, where, verb in self._changes(function):
            bindings = self.bindings.of(name)
            if bindings and all(self._module_container(node) for node in bindings):
                self._report(function, role, name.value, where, f"{verb} the module-level `{name.value}`")

    def _changes(self, function: cst.FunctionDef) -> Iterator[tuple[cst.Name, cst.CSTNode, str]]:
        """(the container's name, where, what is done) for each in-place change of a
        container named by a plain name: ``X.append(...)``, ``X[k] = v``, ``del X[k]``."""
        for call in findall(function, m.Call()):
            func = call.func if isinstance(call, cst.Call) else None
            if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.attr.value in MUTATORS:
                yield func.value, call, "changes"
        for target in findall(function, m.AssignTarget()):
            if isinstance(target, cst.AssignTarget) and (name := _subscripted(target.target)) is not None:
                yield name, self._statement(target), "stores into"
        for statement in findall(function, m.AugAssign() | m.AnnAssign()):
            stored = statement.target if isinstance(statement, (cst.AugAssign, cst.AnnAssign)) else None
            if (name := _subscripted(stored)) is not None:
                yield name, statement, "stores into"
        for deletion in findall(function, m.Del()):
            deleted = deletion.target if isinstance(deletion, cst.Del) else None
            for item in [e.value for e in deleted.elements] if isinstance(deleted, cst.Tuple) else [deleted]:
                if (name := _subscripted(item)) is not None:
                    yield name, deletion, "deletes from"

    def _statement(self, node: cst.CSTNode) -> cst.CSTNode:
        while not isinstance(node, (cst.BaseSmallStatement, cst.BaseCompoundStatement)):
            node = self.parents[node]
        return node

    def _module_container(self, node: cst.CSTNode | None) -> bool:
        target = self.parents.get(node) if node is not None else None
        if not (isinstance(target, cst.AssignTarget) and target.target is node):
            return False
        if not isinstance(self.get_metadata(ScopeProvider, node, None), GlobalScope):
            return False
        assign = self.parents[target]
        value = assign.value if isinstance(assign, cst.Assign) else None
        if isinstance(value, CONTAINER_LITERALS):
            return True
        return isinstance(value, cst.Call) and bool(self.api.qualified_names(value.func) & CONTAINER_CALLS)

    def _parent_read(self, name: str) -> cst.CSTNode | None:
        """The first read of the global ``name`` in code that only the parent runs."""
        reads = []
        for assignment in self.reach.global_scope.assignments[name]:
            for access in assignment.references:
                index = self.reach.owner.get(id(access.node))
                top = self._top_function(access.node)
                if (top is None and index in self.script) or top in self.parent_only:
                    reads.append(access.node)
        return min(reads, key=self.line, default=None)

    def _report(
        self, function: cst.FunctionDef, role: tuple[str, str], name: str, where: cst.CSTNode, what: str
    ) -> None:
        read = self._parent_read(name)
        if read is None or (id(where), name) in self.reported:
            return  # the parent never looks (a per-worker cache or scratch value), or said already
        self.reported.add((id(where), name))
        self.reported_lines.add((self.line(where), name))
        code = " ".join(self.module.code_for_node(where).split())
        shown = f" (`{code}`)" if len(code) <= 50 else ""
        worker, (entry, kind) = function.name.value, role
        who = f"`{worker}`, a {kind}," if entry == worker else f"`{worker}`, called by the {kind} `{entry}`,"
        message = (
            f"{who} {what}{shown}: under every start method a child process changes its own copy of the "
            f"module, so the parent, which reads `{name}` on line {self.line(read)}, never sees the change"
        )
        self.report(where, message, not_fixed=_advice(kind, entry))


def _module_level(update: LostUpdate) -> str:
    return f"`{update.name}`" if update.what.startswith("assigns") else f"the module-level `{update.name}`"


def _advice(kind: str, entry: str) -> str:
    if kind == "pool task":
        return f"return the value from `{entry}` and use what the pool returns"
    return (
        "send the value to the parent through a `multiprocessing.Queue` passed to the process, "
        "or keep it in a `Manager()` list or dict"
    )


def _subscripted(node: cst.CSTNode | None) -> cst.Name | None:
    """``X`` of ``X[k]``: the container that a store or deletion changes."""
    return node.value if isinstance(node, cst.Subscript) and isinstance(node.value, cst.Name) else None


RULE = GlobalMutationInTask
