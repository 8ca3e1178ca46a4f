"""MP021 terminate-with-ipc: a process or pool is terminated or killed while a queue, pipe
or lock handed to it stays in use.

``terminate()`` and ``kill()`` stop a process wherever it is: in the middle of a message it
writes to a queue or a pipe, or holding a lock. The message stays broken and the lock
stays locked, for every other process that uses them: the Python docs' "Avoid
terminating processes". Only reported: how to ask the process to stop (an event, a
sentinel in its queue) is the program's design.
"""

from __future__ import annotations

import libcst as cst
from libcst.metadata import PositionProvider

from ..analysis import match as m
from ..analysis.facts import findall
from ..analysis.ipc import keyword, positional
from ..prechecks.terminate_with_ipc import SHARED, STOPPING
from ._base import RuleVisitor

# Where each hands objects to its workers: (keyword, position) of the tuple of arguments.
HANDED = {"Process": ("args", 3), "Pool": ("initargs", 2), "ProcessPoolExecutor": ("initargs", 3)}
# The objects that hold a lock while a process uses them (a queue or pipe holds a message).
LOCKING = SHARED - {"Queue", "JoinableQueue", "SimpleQueue", "Pipe"}
# Calls on a queue that only let it go.
CLEANUP = frozenset({"close", "join_thread", "cancel_join_thread"})


class TerminateWithIpc(RuleVisitor):


    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if not (isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name)) or node.args:
            return
        made = self._made(func.value)
        kind = self.api.call_api(made) if made is not None else None
        if kind not in STOPPING or func.attr.value not in STOPPING[kind]:
            return
        for name, shared, together in self._handed(made, kind):  # type: ignore[arg-type]
            used = self._used_after(name, together, node, made)  # type: ignore[arg-type]
            if used is not None:
                self._report(node, name, shared, used)
                return

    def _made(self, worker: cst.Name) -> cst.Call | None:
        """The call that made the process or pool: bound to the name, or the element of a
        list comprehension that a ``for`` loop walks (``for p in workers: p.terminate()``)."""
        value = self.bindings.single_value(worker)
        loop = self._loop_over(worker) if value is None else None
        if loop is not None and isinstance(loop.iter, cst.Name):
            listed = self.bindings.single_value(loop.iter)
            value = listed.elt if isinstance(listed, cst.ListComp) else None
        return value if isinstance(value, cst.Call) else None

    def _loop_over(self, name: cst.Name) -> cst.For | None:
        """The innermost ``for`` loop around ``name`` whose variable it is."""
        node: cst.CSTNode | None = name
        while (node := self.parent(node)) is not None and not isinstance(node, (cst.FunctionDef, cst.Module)):
            if isinstance(node, cst.For):
                return node if m.matches(node.target, m.Name(name.value)) else None
        return None

    def _handed(self, made: cst.Call, kind: str) -> list[tuple[cst.Name, str, tuple[str, ...]]]:
        """The names of shared objects in the arguments that ``made`` hands its workers,
        each with its kind and the names bound with it (the two ends of a pipe)."""
        name, position = HANDED[kind]
        arg = keyword(made, name)
        given = positional(made)
        value = arg.value if arg is not None else given[position].value if len(given) > position else None
        elements = [e.value for e in value.elements] if isinstance(value, (cst.Tuple, cst.List)) else []
        if kind == "Process":
            elements += self._keyword_values(keyword(made, "kwargs"))
        found = [(e, self._shared_kind(e)) for e in elements if isinstance(e, cst.Name)]
        return [(e, *shared) for e, shared in found if shared is not None]

    def _keyword_values(self, arg: cst.Arg | None) -> list[cst.BaseExpression]:
        value = arg.value if arg is not None else None
        if isinstance(value, cst.Dict):
            return [e.value for e in value.elements if isinstance(e, cst.DictElement)]
        if isinstance(value, cst.Call) and "builtins.dict" in self.api.qualified_names(value.func):
            return [a.value for a in value.args if a.keyword is not None]
        return []

    def _shared_kind(self, name: cst.Name) -> tuple[str, tuple[str, ...]] | None:
        """What a name is bound to, once: a queue, lock... or a pipe's end (``a, b =
        Pipe()``), with the names that the assignment binds."""
        bindings = self.bindings.of(name)
        node = bindings[0] if len(bindings) == 1 else None
        if node is None:
            return None
        while isinstance(outer := self.parent(node), (cst.Element, cst.Tuple, cst.List)):
            node = outer
        target = self.parent(node)
        assignment = self.parent(target) if isinstance(target, cst.AssignTarget) else None
        value = assignment.value if isinstance(assignment, cst.Assign) else None
        kind = self.api.call_api(value) if isinstance(value, cst.Call) else None
        if kind not in SHARED:
            return None
        return kind, tuple(n.value for n in findall(node, m.Name()) if isinstance(n, cst.Name))

    def _used_after(self, name: cst.Name, together: tuple[str, ...], stop: cst.Call, made: cst.Call) -> int | None:
        """The line of a use of the object (by any of the names bound with it) after
        ``stop``, or in another worker's hands; letting a queue go (``close()``) is no use."""
        scope = self.scopes.get(self.bindings.of(name)[0])  # type: ignore[arg-type]
        after = self.get_metadata(PositionProvider, stop).end
        assignments = [a for n in together for a in scope.assignments[n]] if scope is not None else []
        for assignment in assignments:
            for access in assignment.references:
                node = access.node
                attribute = self.parent(node)
                if isinstance(attribute, cst.Attribute) and attribute.attr.value in CLEANUP:
                    continue
                where = self.get_metadata(PositionProvider, node).start
                handed_elsewhere = self._in_a_call_that_makes_workers(node, made)
                if (where.line, where.column) > (after.line, after.column) or handed_elsewhere:
                    return where.line
        return None

    def _in_a_call_that_makes_workers(self, node: cst.CSTNode, made: cst.Call) -> bool:
        """``node`` is among the arguments of another call that makes a process or pool."""
        outer: cst.CSTNode | None = node
        while (outer := self.parent(outer)) is not None and not isinstance(outer, cst.BaseStatement):
            if isinstance(outer, cst.Call) and outer is not made and self.api.call_api(outer) in STOPPING:
                return True
        return False

    def _report(self, stop: cst.Call, name: cst.Name, shared: str, line: int) -> None:
        consequence = (
            "one stopped while it holds the lock leaves it locked for good, and the next `acquire()` waits forever"
            if shared in LOCKING
            else "one stopped while it writes leaves a broken message, or a locked lock, in it"
        )
        message = (
            f"`{self.module.code_for_node(stop)}` stops a process that was handed `{name.value}` (a {shared}), "
            f"which is used again on line {line}: {consequence}"
        )
        advice = (
            "ask the process to stop (an `Event` it checks, or a sentinel it reads from its queue) and `join()` it; "
            "terminate only processes that use no queue, pipe or lock"
        )
        self.report(stop, message, not_fixed=advice)


RULE = TerminateWithIpc
