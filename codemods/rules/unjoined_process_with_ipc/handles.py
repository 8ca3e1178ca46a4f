"""The handles by which a parent could join the processes it starts: a name bound to one
``Process(...)``, or a list that holds them, each started and never joined, nor handed on
to code that might join it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import libcst as cst
from libcst.metadata import Assignment

from ...analysis import match as m
from ...analysis.ipc import keyword
from ...prechecks.unjoined_process_with_ipc import MANAGED

if TYPE_CHECKING:
    from .._base import RuleVisitor

# Calls by which a parent hears from a child: a child that put, marked a task done, set,
# notified or arrived has opened everything it was handed.
HEARS = frozenset({"get", "get_nowait", "join", "wait", "wait_for"})


@dataclass
class Handles:
    """Processes started and never joined, and where a join would go."""

    rule: RuleVisitor
    subject: str  # what is started, with its verb: "`worker` is"
    block: cst.Module | cst.IndentedBlock
    join: cst.BaseStatement | None  # None: no handle to join them by
    why_not: str = ""
    daemon: bool = False

    def _references(self, name: cst.Name) -> Iterator[cst.CSTNode]:
        """Every read of what ``name`` (read here) is bound to, in any scope."""
        scope = self.rule.scopes.get(name)
        accesses = [a for a in scope.accesses[name.value] if a.node is name] if scope is not None else []
        for access in accesses:
            for referent in access.referents:
                for other in getattr(referent, "references", ()):
                    yield other.node

    def _within(self, node: cst.CSTNode) -> bool:
        current: cst.CSTNode | None = node
        while current is not None and current is not self.block:
            current = self.rule.parent(current)
        return current is self.block

    def uses_outside(self, name: cst.Name) -> list[cst.CSTNode]:
        """Uses of ``name`` that may hand it on: outside the block, or other than a method
        call, a ``with``, or an argument of a ``Process(...)``."""
        found = []
        for node in self._references(name):
            parent = self.rule.parent(node)
            handed_to_process = isinstance(parent, (cst.Element, cst.DictElement)) and self._in_process_args(parent)
            used_here = isinstance(parent, (cst.Attribute, cst.WithItem)) or handed_to_process
            if not (used_here and self._within(node)):
                found.append(node)
        return found

    def _in_process_args(self, element: cst.CSTNode) -> bool:
        container = self.rule.parent(element)
        arg = self.rule.parent(container) if container is not None else None
        call = self.rule.parent(arg) if isinstance(arg, cst.Arg) else None
        return isinstance(call, cst.Call) and self.rule.bindings.makes(call, {"Process"})

    def heard_from(self, name: cst.Name) -> bool:
        """The module reads the queue, or waits for the event, condition or barrier, it handed on."""
        return any(
            isinstance(parent, cst.Attribute) and m.matches(parent.attr, m.OneOf(*map(m.Name, HEARS)))
            for parent in map(self.rule.parent, self._references(name))
        )


class HandleFinder:
    def __init__(self, rule: RuleVisitor) -> None:
        self.rule = rule

    def find(self, call: cst.Call) -> Handles | None:
        """The handles of the processes ``call`` makes, when they are started and never
        joined; None when they may be joined, or the shape is not one this rule knows."""
        parent = self.rule.parent(call)
        given = keyword(call, "daemon")
        daemon = given is not None and m.matches(given.value, m.Name("True"))
        if isinstance(parent, cst.Attribute) and m.matches(parent.attr, m.Name("start")):
            statement = self._statement(parent)
            block = self.rule.parent(statement) if statement is not None else None
            if isinstance(block, (cst.Module, cst.IndentedBlock)):
                why = "the process is started without a name to join it by"
                subject = f"`{self.rule.module.code_for_node(call.func)}(...)` is"
                return Handles(self.rule, subject, block, None, why, daemon)
            return None
        named = _assigned_name(parent, call)
        if named is not None:
            return self._named(named, daemon)
        comprehension = parent if isinstance(parent, cst.ListComp) and parent.elt is call else None
        assign = self.rule.parent(comprehension) if comprehension is not None else None
        listed = _assigned_name(assign, comprehension)
        if listed is not None:
            return self._listed(listed, None, daemon)
        return None

    def _statement(self, node: cst.CSTNode) -> cst.SimpleStatementLine | None:
        current: cst.CSTNode | None = node
        while current is not None and not isinstance(current, cst.BaseStatement):
            current = self.rule.parent(current)
        return current if isinstance(current, cst.SimpleStatementLine) else None

    def _references(self, name: cst.Name) -> list[cst.CSTNode] | None:
        """Every read of ``name`` in its scope, or None when it is bound other than once, by
        an assignment."""
        scope = self.rule.scopes.get(name)
        assignments = list(scope.assignments[name.value]) if scope is not None else []
        if len(assignments) != 1 or not isinstance(assignments[0], Assignment) or assignments[0].node is not name:
            return None
        return [access.node for access in assignments[0].references]

    def _named(self, name: cst.Name, daemon: bool) -> Handles | None:
        references = self._references(name)
        if references is None:
            return None
        started = False
        lists: list[cst.Name] = []
        for node in references:
            parent = self.rule.parent(node)
            if isinstance(parent, cst.Attribute) and parent.value is node:
                attribute = parent.attr.value
                if attribute in MANAGED:
                    return None
                started |= attribute == "start"
                daemon |= attribute == "daemon" and isinstance(self.rule.parent(parent), cst.AssignTarget)
                continue
            appended = self.rule.parent(parent) if isinstance(parent, cst.Arg) else None
            func = appended.func if isinstance(appended, cst.Call) else None
            if not (isinstance(func, cst.Attribute) and func.attr.value == "append"):
                return None  # handed on
            if not isinstance(func.value, cst.Name):
                return None  # handed on
            lists.append(func.value)
        if len(lists) > 1:
            return None
        if lists:
            bound = self.rule.bindings.of(lists[0])
            if len(bound) != 1 or not isinstance(bound[0], cst.Name):
                return None
            return self._listed(bound[0], name.value if started else None, daemon)
        if not started:
            return None
        join = f"{name.value}.join()\n"
        in_a_loop = "each process is started in a loop: keep them in a list to join them"
        return self._handles(name, f"`{name.value}` is", join, daemon, in_a_loop)

    def _listed(self, name: cst.Name, started_as: str | None, daemon: bool) -> Handles | None:
        """Processes kept in the list that ``name`` binds: started by a loop over it (or one
        by one, as ``started_as``)."""
        references = self._references(name)
        if references is None or not self._new_list(name):
            return None
        variable = started_as
        for node in references:
            parent = self.rule.parent(node)
            if isinstance(parent, cst.Attribute) and parent.attr.value == "append":
                continue
            if isinstance(parent, cst.For) and parent.iter is node and isinstance(parent.target, cst.Name):
                loop_variable = parent.target.value
                if len(parent.body.body) == 1 and _started_name(parent.body.body[0]) == loop_variable:
                    variable = loop_variable
                    continue
            return None  # read otherwise: maybe joined
        if variable is None:
            return None
        join = f"for {variable} in {name.value}:\n    {variable}.join()\n"
        what = f"The processes in `{name.value}` are"
        return self._handles(name, what, join, daemon, "the list is made anew in a loop")

    def _handles(self, name: cst.Name, what: str, join: str, daemon: bool, in_a_loop: str) -> Handles | None:
        """The handles bound by ``name``'s statement, joined by ``join`` at the end of its
        block; not joined (``in_a_loop`` says why) when that block is a loop's body."""
        statement = self._statement(name)
        block = self.rule.parent(statement) if statement is not None else None
        if not isinstance(block, (cst.Module, cst.IndentedBlock)):
            return None
        handles = Handles(self.rule, what, block, cst.parse_statement(join), daemon=daemon)
        if isinstance(self.rule.parent(block), (cst.For, cst.While)):
            handles.join, handles.why_not = None, in_a_loop
        return handles

    def _new_list(self, name: cst.Name) -> bool:
        target = self.rule.parent(name)
        assign = self.rule.parent(target) if isinstance(target, cst.AssignTarget) else None
        value = assign.value if isinstance(assign, cst.Assign) and len(assign.targets) == 1 else None
        return isinstance(value, (cst.List, cst.ListComp)) or (
            isinstance(value, cst.Call) and m.matches(value, m.Call(func=m.Name("list"), args=[]))
        )


def _assigned_name(assign: cst.CSTNode | None, value: cst.CSTNode | None) -> cst.Name | None:
    """The ``name`` of ``name = value``, one target; None for any other node."""
    if isinstance(assign, cst.Assign) and assign.value is value and len(assign.targets) == 1:
        target = assign.targets[0].target
        return target if isinstance(target, cst.Name) else None
    return None


def _started_name(statement: cst.CSTNode) -> str | None:
    """The ``name`` of a line that is ``name.start()`` and nothing else."""
    if not (isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1):
        return None
    expr = statement.body[0]
    call = expr.value if isinstance(expr, cst.Expr) else None
    func = call.func if isinstance(call, cst.Call) else None
    if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.attr.value == "start":
        return func.value.value
    return None
