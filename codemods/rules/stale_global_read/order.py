"""In which order the parent runs two places of a module, where the code proves it.

A place surely runs before another when both are in one function (or the guard) and the
first comes earlier in a block that holds both; or when the function that holds the first
is called, at every call, before the second; or when the first runs before every call of
the function that holds the second. Anything else,
nested functions, loops back, callbacks, is not proven.
"""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst

from ...analysis.facts import ModuleFacts
from ...analysis.parent_writes import ParentWrites

_DEPTH = 8  # how many calls deep the order is followed


class Order:
    def __init__(self, facts: ModuleFacts, writes: ParentWrites) -> None:
        self.module = facts.module
        self.parents = facts.parents
        self.reach = writes.reach

    def _top(self, node: cst.CSTNode) -> int:
        return self.reach.owner[id(node)]

    def _path(self, node: cst.CSTNode) -> list[tuple[int, int]] | None:
        """(block, position in it) of each statement that holds ``node``, outermost first;
        None inside a nested function, class or lambda, which runs at another time."""
        path: list[tuple[int, int]] = []
        child, parent = node, self.parents.get(node)
        while parent is not None:
            nested = isinstance(parent, (cst.FunctionDef, cst.ClassDef, cst.Lambda))
            if nested and self.parents.get(parent) is not self.module:
                return None
            if isinstance(parent, (cst.Module, cst.IndentedBlock)):
                path.append((id(parent), next(i for i, s in enumerate(parent.body) if s is child)))
            child, parent = parent, self.parents.get(parent)
        return path[::-1]

    def precedes(self, first: cst.CSTNode, then: cst.CSTNode, depth: int = _DEPTH) -> bool:
        """Whether ``first`` surely runs before ``then`` when the parent runs both."""
        if depth == 0:
            return False
        top, other = self._top(first), self._top(then)
        if top == other:
            path, other_path = self._path(first), self._path(then)
            if path is None or other_path is None:
                return False
            for (block, index), (other_block, other_index) in zip(path, other_path, strict=False):
                if block != other_block:
                    return False
                if index != other_index:
                    return index < other_index
            return False
        # Either every call of the function that holds ``first`` comes before ``then``, or
        # ``first`` comes before every call of the function that holds ``then`` (both
        # are tried: the two may meet in a third function that calls them in order).
        statement, other_statement = self.module.body[top], self.module.body[other]
        if isinstance(statement, cst.FunctionDef):
            calls = self._calls_of(statement.name.value)
            if calls and all(self.precedes(call, then, depth - 1) for call in calls):
                return True
        if isinstance(other_statement, cst.FunctionDef):
            calls = self._calls_of(other_statement.name.value)
            return bool(calls) and all(self.precedes(first, call, depth - 1) for call in calls)
        return not isinstance(statement, cst.FunctionDef) and top < other

    def only_called(self, uses: Sequence[cst.CSTNode]) -> bool:
        """Whether each of ``uses`` (names of a function) is a direct call."""
        return all(isinstance(call := self.parents.get(node), cst.Call) and call.func is node for node in uses)

    def done_before(self, start: cst.Call, write: cst.CSTNode) -> bool:
        """Whether the children that ``start`` makes surely have their values before
        ``write`` runs: a pool's ``with`` block has ended, or a process was started in the
        same expression that made it (``Process(...).start()``)."""
        holder = self.parents.get(start)
        if isinstance(holder, cst.WithItem):
            return self.precedes(self.parents[holder], write)
        if not (isinstance(holder, cst.Attribute) and holder.attr.value == "start"):
            return False
        call = self.parents.get(holder)
        return isinstance(call, cst.Call) and call.func is holder and self.precedes(start, write)

    def _calls_of(self, function: str) -> list[cst.CSTNode]:
        """Where ``function`` is called; empty when it is used any other way."""
        calls: list[cst.CSTNode] = []
        for assignment in self.reach.global_scope.assignments[function]:
            for access in assignment.references:
                call = self.parents.get(access.node)
                if not (isinstance(call, cst.Call) and call.func is access.node):
                    return []
                calls.append(call)
        return calls
