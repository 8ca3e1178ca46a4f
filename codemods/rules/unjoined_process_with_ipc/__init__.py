"""MP015 unjoined-process-with-ipc: processes handed a lock, queue or shared value, never joined.

Under spawn and forkserver a lock, queue or shared value reaches the child as the name of
a semaphore, which the child opens when it unpickles its arguments. A parent that is done
before then removes the semaphore as it exits (its finalizers run before it waits for
its children), and the child dies with ``FileNotFoundError``. Joining the processes at
the end of the block that started them keeps the semaphores alive until the children are
done; handles_of, beside this module, finds the handles and how they are started.
"""

from __future__ import annotations

import libcst as cst

from ...analysis import match as m
from ...analysis.guard import is_main_guard
from ...analysis.ipc import keyword, positional
from ...analysis.names import EXIT_CALLS
from ...analysis.statements import is_definition, is_import
from ...prechecks.unjoined_process_with_ipc import SEMAPHORED
from .._base import RuleVisitor, Unfixable
from .handles import HandleFinder, Handles

QUEUES = frozenset({"Queue", "JoinableQueue", "SimpleQueue"})
UNSAFE = "the code after this block now waits for the processes to finish"


class UnjoinedProcessWithIpc(RuleVisitor):
    def visit_Call(self, node: cst.Call) -> None:
        if not self.bindings.makes(node, {"Process"}):
            return
        handed = self._handed(node)
        if not handed:
            return
        handles = HandleFinder(self).find(node)
        if handles is None:
            return  # joined, or handed on to code that may join it
        if any(isinstance(value, cst.Name) and handles.heard_from(value) for value, _ in handed):
            return  # a child that the parent hears from has opened everything it was handed
        kinds = " and ".join(_with_article(kind) for kind in sorted({kind for _, kind in handed}))
        message = (
            f"{handles.subject} started with {kinds} and never joined: under spawn and forkserver, "
            "a parent that is done first removes its semaphore as it exits, before the child opens it, "
            "and the child dies with `FileNotFoundError`"
        )
        try:
            fix, unsafe = self._fix(handles, handed)
        except Unfixable as why:
            self.report(node, message, not_fixed=why)
            return
        title = "Join the processes at the end of the block that starts them"
        self.report(node, message, fix=(handles.block, fix), unsafe=unsafe, fix_title=title)

    def _handed(self, call: cst.Call) -> list[tuple[cst.BaseExpression, str]]:
        """The objects of :data:`SEMAPHORED` in the call's ``args`` and ``kwargs``, with their kinds."""
        given = [keyword(call, "args"), keyword(call, "kwargs")]
        # Process(group, target, name, args, kwargs)
        given += [arg for index, arg in enumerate(positional(call)) if index in (3, 4)]
        values: list[cst.BaseExpression] = []
        for arg in given:
            if arg is not None and isinstance(arg.value, (cst.Tuple, cst.List)):
                values += [e.value for e in arg.value.elements]
            elif arg is not None and isinstance(arg.value, cst.Dict):
                values += [e.value for e in arg.value.elements if isinstance(e, cst.DictElement)]
        handed = []
        for value in values:
            kind = next((k for k in sorted(SEMAPHORED) if self.bindings.is_instance(value, {k})), None)
            if kind is not None and not self._without_lock(value):
                handed.append((value, "queue" if kind in QUEUES else kind.lower()))
        return handed

    def _without_lock(self, value: cst.BaseExpression) -> bool:
        """``Value(..., lock=False)``: shared memory with no semaphore."""
        made = self.bindings.single_value(value) if isinstance(value, cst.Name) else value
        given = keyword(made, "lock") if isinstance(made, cst.Call) else None
        return given is not None and m.matches(given.value, m.Name("False"))

    def _fix(self, handles: Handles, handed: list[tuple[cst.BaseExpression, str]]) -> tuple[cst.CSTNode, str | None]:
        if handles.daemon:
            raise Unfixable("a daemon process is not waited for; keep it running until the parent is done with it")
        if handles.join is None:
            raise Unfixable(handles.why_not)
        for value, _ in handed:
            if isinstance(value, cst.Name):
                self._stays_here(value, handles)
        body = list(handles.block.body)
        last = body[-1] if body else None
        at = len(body)
        returns = m.Return(value=m.Name()) | m.Return(value=None)
        if last is not None and m.matches(last, m.SimpleStatementLine(body=[returns])):
            at -= 1
        elif self._exits(last):
            raise Unfixable("the block ends the program or raises before a join there would run")
        body.insert(at, handles.join)
        fixed = handles.block.with_changes(body=body)
        return fixed, (None if self._nothing_after(handles.block) else UNSAFE)

    def _stays_here(self, name: cst.Name, handles: Handles) -> None:
        """The object is used only in this block: a join would wait for a child that
        waits for a reader or a setter elsewhere."""
        if handles.uses_outside(name):
            raise Unfixable(f"`{name.value}` is handed on elsewhere, where the children may still wait for it")

    def _exits(self, statement: cst.CSTNode | None) -> bool:
        if isinstance(statement, cst.SimpleStatementLine):
            small = statement.body[-1]
            if isinstance(small, (cst.Raise, cst.Return)):
                return True
            call = small.value if isinstance(small, cst.Expr) else None
            return isinstance(call, cst.Call) and bool(self.api.qualified_names(call.func) & EXIT_CALLS)
        return False

    def _nothing_after(self, block: cst.CSTNode) -> bool:
        """The block is the end of the program: the module, or a main guard after which
        only definitions and imports follow. Its children are joined at exit anyway."""
        if block is self.module:
            return True
        guard = self.parent(block)
        if not (is_main_guard(guard) and self.parent(guard) is self.module):
            return False
        rest = list(self.module.body)[list(self.module.body).index(guard) + 1 :]
        return all(is_definition(s) or is_import(s) for s in rest)


def _with_article(kind: str) -> str:
    """``a lock``, ``an event``, ``an rlock``."""
    return f"an {kind}" if kind[0] in "aeiou" or kind == "rlock" else f"a {kind}"


RULE = UnjoinedProcessWithIpc
