"""MP018 fork-with-max-tasks: an executor that replaces its workers is given a fork context.

``ProcessPoolExecutor(max_tasks_per_child=n)`` replaces each worker after n tasks, which
the fork start method cannot do safely: with a fork context it raises ``ValueError``
before it starts anything, on every Python version. Without a context it spawns, so the
fix asks for spawn, the method Python itself picks for such an executor; the workers
then import the main module and get their tasks by pickle, as the spawn rules check.
"""

from __future__ import annotations

import libcst as cst

from ..analysis.ipc import keyword, positional, replaces_workers
from ._base import RuleVisitor, Unfixable

MESSAGE = (
    "`max_tasks_per_child` with {what} raises `ValueError`{when}: the executor replaces its workers, "
    "which it cannot do by fork"
)
UNSAFE = (
    "the workers start by spawn: they import the main module afresh and see nothing that the parent "
    "set up after its imports"
)


class ForkWithMaxTasks(RuleVisitor):

    def visit_Call(self, node: cst.Call) -> None:
        if self.api.call_api(node) != "ProcessPoolExecutor" or not replaces_workers(node):
            return
        context = keyword(node, "mp_context") or next(iter(positional(node)[1:2]), None)
        found = self._fork_context(context.value) if context is not None else None
        if found is None:
            return
        if found is _DEFAULT:
            message = MESSAGE.format(what="the default context", when=" on Linux before Python 3.14, where it is fork")
            self.report(node, message, not_fixed='pass `mp_context=multiprocessing.get_context("spawn")`, or none')
            return
        message = MESSAGE.format(what="a fork context", when="")
        try:
            self._only_use(context.value)  # type: ignore[union-attr]
        except Unfixable as why:
            self.report(node, message, not_fixed=why)
            return
        spawn = found.with_changes(value=found.value.replace("fork", "spawn"))
        title = "Ask for the spawn context, as the executor does when it is given none"
        self.report(node, message, fix=(found, spawn), unsafe=UNSAFE, fix_title=title)

    def _fork_context(self, context: cst.BaseExpression) -> cst.SimpleString | None:
        """The ``"fork"`` of the ``get_context("fork")`` that ``context`` is or is bound to,
        :data:`_DEFAULT` for ``get_context()``, or None."""
        if isinstance(context, cst.Name):
            context = self.bindings.single_value(context)  # type: ignore[assignment]
        if not (isinstance(context, cst.Call) and self.api.call_api(context) == "get_context"):
            return None
        args = [a for a in context.args if a.keyword is None or a.keyword.value == "method"]
        if not args:
            return _DEFAULT
        method = args[0].value
        return method if isinstance(method, cst.SimpleString) and method.evaluated_value == "fork" else None

    def _only_use(self, context: cst.BaseExpression) -> None:
        """A context bound to a name may start other processes, which fork."""
        if not isinstance(context, cst.Name):
            return
        scope = self.scopes.get(context)
        accesses = [a for a in scope.accesses[context.value] if a.node is context] if scope is not None else []
        referents = [r for a in accesses for r in a.referents]
        if len(referents) != 1 or len(referents[0].references) != 1:
            raise Unfixable(f"`{context.value}` also starts other processes, which may need fork")


# get_context() without a method: the default context.
_DEFAULT = cst.SimpleString('""')

RULE = ForkWithMaxTasks
