"""MP019 fork-pinned-with-threads: the start method is pinned to ``fork`` in a program
that also starts threads.

``fork`` copies the parent's memory, every lock included, but only the thread that
forks: a lock that another thread holds at that moment stays held in the child, where
no thread will ever release it. Python 3.12 warns about forking a process with threads,
and Python 3.14 made ``forkserver`` the default on Linux. Only reported: the pin usually
hides code that needs ``fork``: without it, the rules named in the message find that code
(with it, they judge the code under ``fork``, where it works).
"""

from __future__ import annotations

import libcst as cst

from ..analysis import match as m
from ..analysis.entries import entries_of
from ..analysis.facts import findall
from ..analysis.ipc import requested_method
from ..analysis.threads import THREAD_CALLS, THREAD_CLASS
from ..prechecks.fork_pinned_with_threads import ADVICE, PINS, THREAD_POOLS, message
from ._base import RuleVisitor


class ForkPinnedWithThreads(RuleVisitor):

    def visit_Module(self, node: cst.Module) -> None:
        pins = [call for call in findall(node, m.Call()) if isinstance(call, cst.Call) and self._pins_fork(call)]
        threads = [
            found
            for found in findall(node, m.Call() | m.ClassDef())
            if isinstance(found, (cst.Call, cst.ClassDef)) and self._starts_threads(found)
        ]
        threads = [found for found in threads if not self._in_child_only(found)]
        if not threads:
            return
        first = self.module.code_for_node(threads[0].func if isinstance(threads[0], cst.Call) else threads[0].name)
        for pin in pins:
            said = message(self.module.code_for_node(pin), first, self.line(threads[0]))
            self.report(pin, said, not_fixed=ADVICE)

    def _pins_fork(self, call: cst.Call) -> bool:
        """``set_start_method("fork")``, or ``get_context("fork")`` but where it is only
        compared (``ctx is get_context("fork")``): nothing is started from it there."""
        called = self.api.call_api(call)
        if called == "get_context" and isinstance(self.parent(call), (cst.Comparison, cst.ComparisonTarget)):
            return False
        return called in PINS and requested_method(call) == "fork"

    def _starts_threads(self, node: cst.Call | cst.ClassDef) -> bool:
        """A thread, a timer or a thread pool made, or a class of threads defined."""
        if isinstance(node, cst.ClassDef):
            return any(THREAD_CLASS in self.api.qualified_names(base.value) for base in node.bases)
        return self.api.call_api(node) in THREAD_POOLS or bool(THREAD_CALLS & self.api.qualified_names(node.func))

    def _in_child_only(self, node: cst.CSTNode) -> bool:
        """In a top-level function that runs only in child processes: its threads never
        share the parent with a fork."""
        while (parent := self.parent(node)) is not None and not isinstance(parent, cst.Module):
            node = parent
        if not isinstance(node, cst.FunctionDef):
            return False
        uses = entries_of(self.facts).uses.get(node.name.value)
        return uses is not None and (uses.only_target or uses.only_task or uses.only_initializer)


RULE = ForkPinnedWithThreads
