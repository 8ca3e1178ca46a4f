"""MP011 pool-not-closed: a pool or executor bound to a name is never closed.

Its workers live on until the pool is garbage-collected or the program exits. Where the
creation and every use of the name (and of the handles and iterators it hands out) sit in
one block, the statements from the creation to the last use become a ``with`` block;
pool_uses, beside this module, tells the uses apart and whether the code waits for every task.
"""

from __future__ import annotations

import libcst as cst
from libcst.metadata import ScopeProvider

from ...analysis import match as m
from ...analysis.bindings import bound_node
from ...analysis.facts import findall
from ...prechecks.pool_not_closed import KINDS
from ...rewrite.hoisting import no_blank_first
from ...rewrite.nodes import one_level_deeper
from .._base import RuleVisitor, Unfixable
from .pool_uses import PoolUses, Uses

WORKERS = {
    "ThreadPool": "worker threads",
    "Pool": "worker processes",
    "ProcessPoolExecutor": "worker processes",
    "ProcessingPool": "worker processes",
}
# Pools whose `with` block closes nothing: pathos caches its pools, and only its own
# `close()`, `join()` and `clear()` end one.
NO_CONTEXT = frozenset({"ProcessingPool"})
CLOSERS = frozenset({"close", "terminate", "shutdown"})
TITLE = "Use the pool in a `with` block"


class PoolNotClosed(RuleVisitor):


    def visit_Module(self, node: cst.Module) -> None:
        self.uses = PoolUses(self.bindings, node.code_for_node, self.line)
        self.functions = {n.name.value for n in findall(node, m.FunctionDef()) if isinstance(n, cst.FunctionDef)}
        # A pool that goes elsewhere may be closed there: any close in the module might be it.
        closers = m.Call(func=m.Attribute(attr=m.OneOf(*map(m.Name, CLOSERS))))
        items = findall(node, m.WithItem())
        self.closes_something = any(m.matches(c, closers) for c in findall(node, m.Call())) or any(
            isinstance(item, cst.WithItem) and not isinstance(item.item, cst.Call) for item in items
        )

    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> None:
        assign = node.body[0] if len(node.body) == 1 else None
        if not (isinstance(assign, cst.Assign) and len(assign.targets) == 1 and isinstance(assign.value, cst.Call)):
            return
        target = assign.targets[0].target
        kind = next((k for k in KINDS if self.bindings.makes(assign.value, {k})), None)
        if isinstance(target, cst.Name) and kind is not None:
            self._check(node, target, assign.value, kind)

    def _check(self, statement: cst.SimpleStatementLine, name: cst.Name, call: cst.Call, kind: str) -> None:
        scope = self.get_metadata(ScopeProvider, name, None)
        if scope is None:
            return
        assignments = list(scope.assignments[name.value])
        # In source order: a scope keeps its assignments in a set.
        others = sorted((n for a in assignments if (n := bound_node(a)) is not None and n is not name), key=self.line)
        references = [r.node for a in assignments for r in a.references if isinstance(r.node, cst.Name)]
        rebinding = self.uses.rebinding(name, others) if others else None
        if rebinding is not None:  # the pool is all the name holds until then
            references = self.uses.references(name)
        uses = self.uses.classify(references, scope, self.functions)
        if uses.closed or uses.handed_over or (uses.escapes and self.closes_something):
            return
        if any(self.line(other) < self.line(name) and self._creates_pool(other) for other in others):
            return  # reported at the first pool bound to the name
        verb = {"ProcessPoolExecutor": "shut down", "ProcessingPool": "closed"}.get(kind, "closed or terminated")
        until = (
            "the program exits: pathos keeps its pools"
            if kind in NO_CONTEXT
            else ("it is garbage-collected or the program exits")
        )
        pool = f"`{name.value}` (`{self.module.code_for_node(call)}`)"
        message = f"{pool} is never {verb}: its {WORKERS[kind]} live on until {until}"
        try:
            if kind in NO_CONTEXT:
                raise Unfixable("its `with` block would close nothing")
            if others and rebinding is None:
                raise Unfixable(f"`{name.value}` is also assigned on line {self.line(others[0])}")
            if uses.escapes:
                raise Unfixable(uses.escapes[0][1])
            if not uses.calls and not uses.aliased:
                imported = self._imported(name.value)
                if imported is None:
                    advice = f"it is never used: remove it, or {self._closing_words(call, kind)}"
                    self.report(call, message, not_fixed=advice)
                    return
                raise Unfixable(imported)
            last, unwaited = self._plan(statement, uses, kind, rebinding)
        except Unfixable as why:
            self.report(call, message, not_fixed=f"{why}; {self._closing_words(call, kind)} after its last use")
            return
        block = self.parent(statement)
        assert isinstance(block, (cst.Module, cst.IndentedBlock))  # the blocks that hold a line
        new = self._wrapped(block, statement, name.value, call, last)
        if unwaited is None:
            self.report(call, message, fix=(block, new), fix_title=TITLE)
            return
        unsafe = (
            f"nothing waits for the task of `{self.module.code_for_node(unwaited.func)}()` (line "
            f"{self.line(unwaited)}): "
            "the `with` block terminates the pool at its end, stopping it if it still runs"
        )
        self.report(call, message, fix=(block, new), unsafe=unsafe, fix_title=TITLE)

    def _imported(self, name: str) -> str | None:
        """Why a pool that this module never uses is not fixed: another module imports it
        and may use it; None when none does."""
        project = self.facts.project
        for importer in project.importers if project is not None else ():
            if name in importer.names or "*" in importer.names:
                return f"{importer.by} imports it on line {importer.line} and uses it there"
        return None

    def _closing_words(self, call: cst.Call, kind: str) -> str:
        """How this pool's library says that a pool is cleaned up: ``close()``, then ``join()``."""
        library = self.api.call_library(call)
        closes = library.closes if library is not None and library.closes else ("close", "join")
        if kind == "ProcessPoolExecutor":
            closes = ("shutdown",)
        calls = [f"`{method}()`" for method in closes]
        listed = calls[0] if len(calls) == 1 else ", ".join(calls[:-1]) + ", then " + calls[-1]
        return ("shut it down" if closes == ("shutdown",) else "close it") + f" ({listed})"

    def _plan(
        self, statement: cst.SimpleStatementLine, uses: Uses, kind: str, rebinding: cst.BaseStatement | None
    ) -> tuple[int, cst.Call | None]:
        """The index of the last statement that the ``with`` block takes, and a task that
        the code may not wait for (an executor waits for every task at the end of ``with``).
        The block ends after the last use of the pool, or, when a task may still run then,
        at the end of the block: the code after the last use may be what lets it finish
        (``time.sleep()``, a polling loop), and its callbacks still run there. It must end
        before ``rebinding``, the statement that binds the pool's name to something else."""
        block = self.parent(statement)
        body = list(getattr(block, "body", ()))
        ids = [id(s) for s in body]
        unwaited = None
        # The nodes that the block must hold, each with the name that holds results there.
        nodes: list[tuple[cst.CSTNode, cst.Name | None]] = [(node, None) for node in [*uses.calls, *uses.aliased]]
        for call in uses.calls:
            if kind == "ProcessPoolExecutor":  # its `with` waits for every task
                settled, holder = True, self.uses.holder(call)
                holders = [holder.name] if holder is not None else []
            else:
                settled, holders = self.uses.settled(call)
            if not settled and unwaited is None:
                unwaited = call
            nodes += [(r, holder) for holder in holders for r in self.uses.references(holder)]
        last = ids.index(id(statement))
        for node, holding in nodes:
            top: cst.CSTNode | None = node
            while top is not None and self.parent(top) is not block:
                top = self.parent(top)
            if top is None or ids.index(id(top)) <= ids.index(id(statement)):
                used = "it is used" if holding is None else f"`{holding.value}`, which holds its results, is read"
                raise Unfixable(f"{used} outside the block it is created in (line {self.line(node)})")
            last = max(last, ids.index(id(top)))
        end = last if unwaited is None else len(ids) - 1
        if rebinding is not None and end >= ids.index(id(rebinding)):
            raise Unfixable(
                f"the name is assigned again on line {self.line(rebinding)} while the pool may still be in use"
            )
        start = ids.index(id(statement))
        definitions = [s for s in body[start + 1 : end + 1] if isinstance(s, (cst.FunctionDef, cst.ClassDef))]
        nested = definitions[0] if definitions and isinstance(block, cst.Module) else None
        if nested is not None:  # at module level, a `with` block would hold it, and a guard then hide it from importers
            raise Unfixable(
                f"`{nested.name.value}` (line {self.line(nested)}) is defined while the pool is in use; "
                "define it before the pool is created"
            )
        return end, unwaited

    def _wrapped(
        self,
        block: cst.Module | cst.IndentedBlock,
        statement: cst.SimpleStatementLine,
        name: str,
        call: cst.Call,
        last: int,
    ) -> cst.CSTNode:
        """``block`` with ``name = call`` and the statements up to ``last`` turned into
        ``with call as name:``, which keeps the creation's comments and trailing comment."""
        body = list(block.body)
        first = [id(s) for s in body].index(id(statement))
        item = cst.WithItem(item=call, asname=cst.AsName(name=cst.Name(name)))
        deeper = [one_level_deeper(s, self.module.default_indent) for s in body[first + 1 : last + 1]]
        inner = no_blank_first(cst.IndentedBlock(body=deeper, header=statement.trailing_whitespace))
        wrapped = cst.With(items=[item], body=inner, leading_lines=statement.leading_lines)
        return block.with_changes(body=[*body[:first], wrapped, *body[last + 1 :]])

    def _creates_pool(self, target: cst.CSTNode) -> bool:
        assign = self.parent(self.parent(target))
        return (
            isinstance(assign, cst.Assign)
            and isinstance(assign.value, cst.Call)
            and self.bindings.makes(assign.value, set(KINDS))
        )


RULE = PoolNotClosed
