"""How a pool bound to a name is used, and whether the code waits for what it hands out.

``with Pool(...) as pool:`` terminates the pool when the block ends, stopping tasks that
still run; ``with ProcessPoolExecutor() as executor:`` waits for them. Putting a pool's
uses into such a block keeps the program's meaning when every task is waited for inside
the block: a synchronous call (``map()``, ``apply()``), a handle whose ``get()`` or
``result()`` surely runs, an iterator of results read to its end.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import libcst as cst
from libcst.metadata import ComprehensionScope, Scope, ScopeProvider

from ...analysis import match as m
from ...analysis.bindings import Bindings, bound_node
from ...analysis.facts import findall
from ...analysis.loop_body import body_facts
from ...prechecks.pool_not_closed import CLOSING
from .._base import Unfixable
from .bound import assigned_to, assignments, extends_a_list, new_collection

SYNCHRONOUS = frozenset({"map", "starmap", "apply"})  # of Pool and ThreadPool, not of executors
TASKS = frozenset(
    {"map", "starmap", "apply", "apply_async", "map_async", "starmap_async", "imap", "imap_unordered", "submit"}
)
WAITS = frozenset({"get", "wait", "result", "exception"})
READ_ALL = frozenset({"list", "tuple", "sum", "sorted", "set", "frozenset", "min", "max", "dict"})
FILLING = frozenset({"append", "add"})  # put one handle into a list or set of handles
_LEAVING = ("break", "return", "raise", "assert", "yield", "await", "exit")


@dataclass(frozen=True)
class Holder:
    """The name bound to what a pool call hands out: its handle or iterator
    (``h = pool.apply_async(...)``), or a list of its handles (``hs = [pool.apply_async(...)
    for x in xs]``, or ``hs = []`` that ``hs.append(pool.apply_async(...))`` fills)."""

    name: cst.Name  # the binding
    listed: bool  # a list (or set) of handles


@dataclass
class Uses:
    """The references to a pool's name, sorted by what they do."""

    closed: bool = False  # closed, terminated, shut down, deleted or used as a context manager
    handed_over: bool = False  # returned, or passed to code outside the module: its owner may close it
    calls: list[cst.Call] = field(default_factory=list)  # pool.<task method>(...)
    # ``run = pool.map`` and each ``run(...)``: a synchronous method's alias and its calls
    aliased: list[cst.CSTNode] = field(default_factory=list)
    escapes: list[tuple[cst.CSTNode, str]] = field(default_factory=list)  # (where, what happens there)


class PoolUses:
    def __init__(
        self, bindings: Bindings, code: Callable[[cst.CSTNode], str], line: Callable[[cst.CSTNode], int]
    ) -> None:
        self.bindings = bindings
        self.code = code
        self.line = line

    def parent(self, node: cst.CSTNode | None) -> cst.CSTNode | None:
        return self.bindings.parent(node)

    def classify(self, references: list[cst.Name], scope: Scope, local_functions: set[str]) -> Uses:
        uses = Uses()
        for name in references:
            parent = self.parent(name)
            attribute = parent.attr.value if isinstance(parent, cst.Attribute) and parent.value is name else None
            if attribute in CLOSING or isinstance(parent, (cst.WithItem, cst.Del)) or self._with_context(parent):
                uses.closed = True  # `del pool` ends it too, if nothing else holds it
            elif isinstance(parent, (cst.Return, cst.Yield)):
                uses.handed_over = True  # the caller owns it now
            elif not self._in_scope(name, scope):
                uses.escapes.append((name, f"it is also used by {self._owner(name)} (line {self.line(name)})"))
            elif attribute is not None:
                call = self.parent(parent)
                if isinstance(call, cst.Call) and call.func is parent and attribute in TASKS:
                    uses.calls.append(call)
                elif (aliased := self._alias_calls(parent, scope)) is not None:  # type: ignore[arg-type]
                    uses.aliased += aliased
                else:
                    uses.escapes.append((name, f"`{self.code(parent)}` is used on line {self.line(name)}"))  # type: ignore[arg-type]
            elif isinstance(parent, cst.Arg) and isinstance(call := self.parent(parent), cst.Call):
                callee = call.func.value if isinstance(call.func, cst.Name) else None
                if callee in local_functions:
                    uses.escapes.append((name, f"it is passed to `{callee}()` on line {self.line(name)}"))
                else:
                    uses.handed_over = True  # code outside the module may close it
            else:
                uses.escapes.append((name, f"it is stored or aliased on line {self.line(name)}"))
        return uses

    def _alias_calls(self, attribute: cst.Attribute, scope: Scope) -> list[cst.CSTNode] | None:
        """``run = pool.map``, a synchronous method bound to a name of the pool's scope
        that nothing binds again, and each read of it, when each is a call there after
        it: every task it hands out is done when the call returns."""
        alias = assigned_to(self.bindings, attribute)
        if alias is None or attribute.attr.value not in SYNCHRONOUS or len(assignments(self.bindings, alias)) != 1:
            return None
        statement = self._statement(alias)
        reads = self.references(alias)
        own = self.bindings.visitor.get_metadata(ScopeProvider, alias, None)
        accessed = [access.node for access in own.accesses[alias.value]] if own is not None else []
        if any(all(node is not read for read in reads) for node in accessed):
            return None  # a read the binding does not reach: one before it, carried round a loop
        for read in reads:
            call = self.parent(read)
            if not (isinstance(call, cst.Call) and call.func is read and self._in_scope(read, scope)):
                return None
            if not self._comes_after(read, statement):
                return None
        return [attribute, *reads] if self._in_scope(alias, scope) else None

    def _owner(self, node: cst.CSTNode | None) -> str:
        while node is not None and not isinstance(node, (cst.FunctionDef, cst.Lambda, cst.ClassDef)):
            node = self.parent(node)
        return (
            f"`{node.name.value}()`"
            if isinstance(node, cst.FunctionDef)
            else "a lambda"
            if isinstance(node, cst.Lambda)
            else "a class"
        )

    def _with_context(self, node: cst.CSTNode | None) -> bool:
        """``contextlib.closing(pool)`` and the like, inside a ``with`` item."""
        call = self.parent(node) if isinstance(node, cst.Arg) else None
        return isinstance(self.parent(call), cst.WithItem) if call is not None else False

    def _in_scope(self, name: cst.Name, scope: Scope) -> bool:
        """``name`` is read in ``scope`` itself or in a comprehension that runs there."""
        own = self.bindings.visitor.get_metadata(ScopeProvider, name, None)
        while isinstance(own, ComprehensionScope):
            own = own.parent
        return own is scope

    # -- waiting ----------------------------------------------------------------------------

    def settled(self, call: cst.Call) -> tuple[bool, list[cst.Name]]:
        """Whether every task that a ``Pool`` call hands out is done or waited for by the
        code (and the names that hold its handles or results, whose uses belong to the
        pool's block); raises Unfixable when a handle goes where a terminated pool would
        leave it hanging."""
        method = cst.ensure_type(call.func, cst.Attribute).attr.value  # a pool's method
        if method in SYNCHRONOUS:
            return True, []
        iterator = method in ("imap", "imap_unordered")
        parent = self.parent(call)
        if isinstance(parent, cst.Expr):
            return False, []  # submitted and forgotten
        if self._waited_here(call, iterator):
            return True, []
        if iterator and self._read_here(call):
            return False, []  # read, but maybe not to the end
        holder = self.holder(call)
        if holder is None:
            raise Unfixable(f"the result of `{self.code(call.func)}()` on line {self.line(call)} is passed on")
        assignment = self._statement(holder.name)
        references = self.references(holder.name)
        scope = self.bindings.visitor.get_metadata(ScopeProvider, holder.name)
        for reference in references:
            if not (
                self._in_scope(reference, scope)
                and self._comes_after(reference, assignment)
                and self._plain_use(reference, holder.listed)
            ):
                raise Unfixable(
                    f"`{reference.value}` (line {self.line(reference)}) is used where the pool may be closed"
                )
        block = self.parent(assignment)
        held = self._top(call, block)  # after it, the name holds the task

        def waits(reference: cst.Name) -> bool:
            if held is None or not (self._follows(reference, held) and self._unconditional(reference, block)):
                return False
            waited = self._each_waited(reference) if holder.listed else self._waited_here(reference, iterator)
            return waited and self._reaches_alone(holder.name, reference)

        return any(map(waits, references)), [holder.name]

    def holder(self, call: cst.Call) -> Holder | None:
        """The name that holds what ``call`` returns (see :class:`Holder`)."""
        parent = self.parent(call)
        if isinstance(parent, cst.ListComp) and parent.elt is call:
            listed = assigned_to(self.bindings, parent)
            return Holder(listed, True) if listed is not None else None
        if isinstance(parent, cst.Arg):
            filled = self._filled_list(parent)
            return Holder(filled, True) if filled is not None else None
        single = assigned_to(self.bindings, call)
        return Holder(single, False) if single is not None else None

    def _filled_list(self, arg: cst.Arg) -> cst.Name | None:
        """The binding of ``hs`` in ``hs.append(arg)``, when that binding, the only one of
        ``hs`` in its scope, makes a new list or set."""
        call = self.parent(arg)
        if not (
            isinstance(call, cst.Call)
            and m.matches(call, m.Call(func=m.Attribute(value=m.Name(), attr=m.OneOf(*map(m.Name, FILLING)))))
            and len(call.args) == 1
        ):
            return None
        return new_collection(self.bindings, cst.ensure_type(cst.ensure_type(call.func, cst.Attribute).value, cst.Name))

    def _waited_here(self, value: cst.BaseExpression, iterator: bool) -> bool:
        """``value.get()`` (a handle), or ``value`` read to its end (an iterator)."""
        parent = self.parent(value)
        if not iterator:
            waited = isinstance(parent, cst.Attribute) and parent.attr.value in WAITS
            return waited and isinstance(self.parent(parent), cst.Call)
        if isinstance(parent, cst.For) and parent.iter is value:
            return not any(e.kind in _LEAVING for e in body_facts([parent.body]).exits)
        if isinstance(parent, cst.CompFor) and parent.iter is value:
            comp = self.parent(parent)
            return isinstance(comp, (cst.ListComp, cst.SetComp, cst.DictComp)) and comp.for_in is parent
        if extends_a_list(self.bindings, value):
            return True
        reader = self._builtin_reading(value)
        if reader == "enumerate":  # reads its argument as far as it is read itself
            return self._waited_here(self.parent(self.parent(value)), iterator=True)  # type: ignore[arg-type]
        return reader in READ_ALL

    def _builtin_reading(self, value: cst.BaseExpression) -> str | None:
        """The builtin (``list``, ``enumerate``...) that takes ``value`` as its first argument."""
        arg = self.parent(value)
        call = self.parent(arg) if isinstance(arg, cst.Arg) and arg.keyword is None and not arg.star else None
        if not (isinstance(call, cst.Call) and call.args[0] is arg):
            return None
        names = self.bindings.api.qualified_names(call.func)
        return next((n.removeprefix("builtins.") for n in names if n.startswith("builtins.")), None)

    def _read_here(self, value: cst.BaseExpression) -> bool:
        """``value`` is iterated right where it is made: a loop that may stop early, ``any()``."""
        parent = self.parent(value)
        if isinstance(parent, (cst.For, cst.CompFor)) and parent.iter is value:
            return True
        call = self.parent(parent) if isinstance(parent, cst.Arg) and parent.keyword is None else None
        names = self.bindings.api.qualified_names(call.func) if isinstance(call, cst.Call) else set()
        return bool(names & {"builtins.any", "builtins.all", "builtins.next", "builtins.enumerate", "builtins.zip"})

    def _each_waited(self, handles: cst.Name) -> bool:
        """``for h in handles: h.get()``, ``[h.get() for h in handles]``, or
        ``concurrent.futures.wait(handles)``."""
        parent = self.parent(handles)
        call = self.parent(parent) if isinstance(parent, cst.Arg) else None
        if isinstance(call, cst.Call):
            names = self.bindings.api.qualified_names(call.func)
            if "concurrent.futures.as_completed" in names:
                return self._waited_here(call, iterator=True)
            return "concurrent.futures.wait" in names and not any(
                a.keyword and a.keyword.value == "return_when" for a in call.args
            )
        if not (isinstance(parent, (cst.For, cst.CompFor)) and isinstance(parent.target, cst.Name)):
            return False
        if not self._waited_here(handles, iterator=True):
            return False
        body = parent.body if isinstance(parent, cst.For) else self.parent(parent).elt  # type: ignore[union-attr]
        each = m.Call(func=m.Attribute(value=m.Name(parent.target.value), attr=m.OneOf(*map(m.Name, WAITS))))
        return any(self._unconditional(wait, body) for wait in findall(body, each))

    def _plain_use(self, reference: cst.Name, listed: bool) -> bool:
        """A use of a handle (or iterator, or list of handles) that leaves it where it is."""
        parent = self.parent(reference)
        if isinstance(parent, cst.Attribute) and parent.value is reference:
            # h.get(), h.ready(); a list of handles only grows: hs.append(...)
            return not listed or (parent.attr.value in FILLING and isinstance(self.parent(parent), cst.Call))
        if isinstance(parent, (cst.For, cst.CompFor)) and parent.iter is reference:
            return True
        call = self.parent(parent) if isinstance(parent, cst.Arg) else None
        if isinstance(call, cst.Call):
            names = self.bindings.api.qualified_names(call.func)
            return bool(names & {"concurrent.futures.wait", "concurrent.futures.as_completed"}) or any(
                n.removeprefix("builtins.") in READ_ALL | {"len", "enumerate", "zip"}
                for n in names
                if n.startswith("builtins.")
            )
        return False

    def references(self, target: cst.Name) -> list[cst.Name]:
        """The reads that may see the value bound at ``target``: those that no later
        assignment in its block rebinds the name before."""
        found = [a for a in assignments(self.bindings, target) if bound_node(a) is target]
        reads = [r.node for a in found for r in a.references if isinstance(r.node, cst.Name)]
        return [read for read in reads if not self._rebound_between(target, read)]

    def _reaches_alone(self, target: cst.Name, read: cst.Name) -> bool:
        """``read`` sees the value bound at ``target`` and no other binding of the name."""
        others = [
            node
            for a in assignments(self.bindings, target)
            if (node := bound_node(a)) is not None and node is not target and any(r.node is read for r in a.references)
        ]
        return all(self._rebound_between(other, read) for other in others)

    def _rebound_between(self, target: cst.CSTNode, read: cst.Name) -> bool:
        """A statement of the block of ``target``'s statement, after it and before the one
        that holds ``read``, assigns the name again, or the one that holds ``read`` is a
        ``with ... as name:`` around it: whatever runs, ``read`` sees that."""
        statement = self._statement(target)
        block = self.parent(statement)
        statements = list(getattr(block, "body", ()))
        ids = [id(s) for s in statements]
        last = self._top(read, block)
        if last is None or id(statement) not in ids:
            return False
        between = statements[ids.index(id(statement)) + 1 : ids.index(id(last))]
        if any(_binds(s, read.value) for s in between):
            return True
        return isinstance(last, cst.With) and _binds(last, read.value) and self._top(read, last.body) is not None

    def rebinding(self, target: cst.Name, others: list[cst.CSTNode]) -> cst.BaseStatement | None:
        """The statement of ``target``'s block that binds the name next (``name = ...``,
        ``with ... as name:``), when it is the first of the other bindings ``others`` (in
        source order) that follow ``target``: the value bound at ``target`` then reaches only
        the code between the two, and the block's code after them never sees it. None when
        a nested function reads the name: it may run at any time."""
        statement = self._statement(target)
        block = self.parent(statement)
        later = [other for other in others if self.line(other) > self.line(target)]
        top = self._top(later[0], block) if later else None
        if not isinstance(top, cst.BaseStatement) or not _binds(top, target.value):
            return None
        scope = self.bindings.visitor.get_metadata(ScopeProvider, target, None)
        bound = assignments(self.bindings, target)
        reads = [r.node for a in bound for r in a.references if isinstance(r.node, cst.Name)]
        return top if scope is not None and all(self._in_scope(read, scope) for read in reads) else None

    def _statement(self, node: cst.CSTNode) -> cst.CSTNode:
        found: cst.CSTNode | None = node
        while not isinstance(found, cst.BaseStatement):
            assert found is not None  # a name of the pool's module lies in a statement
            found = self.parent(found)
        return found

    def _top(self, node: cst.CSTNode | None, block: cst.CSTNode | None) -> cst.CSTNode | None:
        """The statement of ``block`` that holds ``node``, if one does."""
        while node is not None and self.parent(node) is not block:
            node = self.parent(node)
        return node

    def _unconditional(self, node: cst.CSTNode, stop: cst.CSTNode | None) -> bool:
        """``node`` runs whenever the code around it up to ``stop`` (a block or statement)
        runs: no condition, loop body, handler or function between them."""
        child, parent = node, self.parent(node)
        while parent is not None and parent is not stop and child is not stop:
            if isinstance(parent, (cst.If, cst.While)) and child is not parent.test:
                return False
            if (isinstance(parent, cst.IfExp) and child is not parent.test) or (
                isinstance(parent, cst.BooleanOperation) and child is parent.right
            ):
                return False
            if isinstance(parent, cst.For) and child is not parent.iter:
                return False
            if isinstance(
                parent,
                (cst.CompIf, cst.ExceptHandler, cst.Else, cst.Finally, cst.MatchCase, cst.FunctionDef, cst.Lambda),
            ):
                return False
            child, parent = parent, self.parent(parent)
        return True

    def _comes_after(self, node: cst.CSTNode, statement: cst.CSTNode | None) -> bool:
        """``node`` follows ``statement``, or a statement around it in the same function."""
        while statement is not None and not isinstance(statement, (cst.FunctionDef, cst.ClassDef)):
            if isinstance(statement, cst.BaseStatement) and self._follows(node, statement):
                return True
            statement = self.parent(statement)
        return False

    def _follows(self, node: cst.CSTNode, statement: cst.CSTNode) -> bool:
        """``node`` lies in a statement after ``statement``, in the same block or nested
        in one that follows it."""
        block = self.parent(statement)
        child = self._top(node, block)
        body = list(getattr(block, "body", ()))
        ids = [id(s) for s in body]
        return child is not None and id(child) in ids and ids.index(id(child)) > ids.index(id(statement))


def _binds(statement: cst.CSTNode, name: str) -> bool:
    """``statement`` binds ``name`` as soon as it runs: ``name = ...``, ``with ... as name:``."""
    assigns = m.SimpleStatementLine(
        body=[
            m.ZeroOrMore(),
            m.Assign(targets=[m.ZeroOrMore(), m.AssignTarget(m.Name(name)), m.ZeroOrMore()]),
            m.ZeroOrMore(),
        ]
    )
    enters = m.With(items=[m.ZeroOrMore(), m.WithItem(asname=m.AsName(name=m.Name(name))), m.ZeroOrMore()])
    return m.matches(statement, assigns | enters)
