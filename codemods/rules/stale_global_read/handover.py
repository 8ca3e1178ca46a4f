"""Handing the parent's value of a global to the children that read it.

A pool or executor passes it in ``initargs=`` to an initializer that sets the worker's
global (a new small one, or the pool's own initializer with one parameter more); a
process target gets it as a new parameter of the same name, which its reads then see.

The value is handed over where the pool or process is created, so that is sound only when
every place where the parent sets the name surely runs before: then the child gets what
fork would have given it. Values that cannot be pickled, pools created in a loop (an
executor forks its workers as tasks arrive), made at import time or in code a child may
run, are left alone with the reason.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial

import libcst as cst
from libcst.metadata import GlobalScope

from ...analysis.facts import ModuleFacts
from ...analysis.ipc import keyword, pool_initializer, positional
from ...analysis.parent_writes import ParentWrites, Write
from ...analysis.statements import declared_names, plain_positional
from ...rewrite.fresh_names import FreshNames
from ...rewrite.handover import (
    Edits,
    add_keyword,
    add_parameter,
    append_element,
    change_keyword,
    extend_initializer,
    make_initializer,
)
from .._base import Unfixable
from .order import Order

# Last names of calls whose results pickle refuses: files, locks, threads, sockets, connections.
UNPICKLABLE = frozenset(
    {"open", "Lock", "RLock", "Condition", "Semaphore", "BoundedSemaphore", "Event", "Thread", "socket", "connect"}
)


def _last_name(node: cst.BaseExpression) -> str | None:
    if isinstance(node, cst.Name):
        return node.value
    return node.attr.value if isinstance(node, cst.Attribute) else None


def _literal_items(arg: cst.Arg | None) -> Sequence[cst.BaseElement] | None:
    """The elements of ``initargs=``/``args=`` when a tuple or list display without ``*``."""
    if arg is None or not isinstance(arg.value, (cst.Tuple, cst.List)):
        return None
    elements = arg.value.elements
    return None if any(isinstance(e, cst.StarredElement) for e in elements) else elements


class Handover:
    def __init__(
        self,
        facts: ModuleFacts,
        writes: ParentWrites,
        order: Order,
        line: Callable[[cst.CSTNode], int],
        name: str,
        relevant: Sequence[Write],
    ) -> None:
        """``relevant``: the parent's writes of ``name`` that a child could have seen."""
        self.facts, self.writes, self.order, self.line = facts, writes, order, line
        self.name, self.relevant = name, relevant
        self.module = facts.module
        self.parents = facts.parents
        self.uses = writes.entries.uses
        self.edits = Edits()

    def plan(self, entries: Sequence[str], readers: set[str]) -> tuple[Edits, str]:
        """The edits that hand the value to every child that runs ``entries``; raises
        Unfixable where that is not sound."""
        self._check_value()
        pools: dict[int, cst.Call] = {}
        targets = []
        for entry in entries:
            uses = self.uses[entry]
            if uses.only_target:
                targets.append(entry)
            elif uses.tasks and not uses.targets and not uses.initializes and self.order.only_called(uses.other):
                # The initializer changes nothing where the parent calls the task itself.
                pools.update((id(pool), pool) for pool in uses.tasks)
            elif uses.only_initializer:
                raise Unfixable(f"`{entry}` is a pool initializer; pass `{self.name}` to it in `initargs=`")
            else:
                raise Unfixable(f"`{entry}` is also used otherwise than as a pool task or a process target")
        for entry in targets:
            self._pass_to_target(entry, helpers=bool(readers - {entry}))
        if pools:
            self._hand_to_pools(list(pools.values()), [e for e in entries if e not in targets])
        parts = [f"pass `{self.name}` to {', '.join(f'`{t}`' for t in targets)} as an argument"] if targets else []
        parts += [f"hand `{self.name}` to the pool workers through an initializer"] if pools else []
        title = "; ".join(parts)
        return self.edits, title[0].upper() + title[1:]

    # -- what must hold ------------------------------------------------------------------

    def _check_value(self) -> None:
        for write in self.relevant:
            value = write.value
            made = value.func if isinstance(value, cst.Call) else None
            if isinstance(value, (cst.Lambda, cst.GeneratorExp)) or (made and _last_name(made) in UNPICKLABLE):
                code = self.module.code_for_node(made if made is not None else value)  # type: ignore[arg-type]
                raise Unfixable(
                    f"`{self.name}` holds `{code}{'()' if made is not None else ''}` (line {self.line(write.node)}), "
                    "which cannot be pickled for a child started with spawn or forkserver"
                )

    def _check_start(self, call: cst.Call, what: str) -> None:
        """``call`` runs in the parent after every write, not in a loop (but for a
        ``with`` that closes the pool), and sees the global ``name``."""
        who, _ = self.writes.runner(call)
        line = self.line(call)
        if who == "import":
            raise Unfixable(f"{what} on line {line} is created when the module is imported, before the parent sets it")
        if who == "unknown":
            raise Unfixable(f"nothing in this module runs {what} on line {line}")
        if who != "parent":
            raise Unfixable(f"{what} on line {line} may itself run in a child process")
        for write in self.relevant:
            if not self.order.precedes(write.node, call):
                raise Unfixable(
                    f"the parent sets `{self.name}` on line {self.line(write.node)}, "
                    f"which may run after {what} on line {line} is created"
                )
        if what == "the pool" and not isinstance(self.parents.get(call), cst.WithItem) and self._in_loop(call):
            raise Unfixable(f"the pool on line {line} is created in a loop")
        scope = self.facts.scopes.get(call)
        if scope is not None and any(not isinstance(a.scope, GlobalScope) for a in scope[self.name]):
            raise Unfixable(f"`{self.name}` is a local name where {what} on line {line} is")

    def _in_loop(self, node: cst.CSTNode) -> bool:
        parent = self.parents.get(node)
        while parent is not None and parent is not self.module:
            if isinstance(parent, (cst.For, cst.While, cst.CompFor)):
                return True
            parent = self.parents.get(parent)
        return False

    # -- process targets -----------------------------------------------------------------

    def _pass_to_target(self, entry: str, helpers: bool) -> None:
        """A new last parameter: named as the global, which the target's reads then see;
        or, when functions that it calls read the global too, bound to it on entry."""
        function = self._function(entry)
        if function.decorators:
            raise Unfixable(f"`{entry}` is decorated, so a new parameter may not reach it")
        if self.name in declared_names(function):
            raise Unfixable(f"`{entry}` declares `{self.name}` global")
        params = function.params
        if not plain_positional(params) or params.kwonly_params or params.star_kwarg is not None:
            raise Unfixable(f"`{entry}` takes defaults or keyword arguments; pass `{self.name}` on by hand")
        wanted = len(params.posonly_params) + len(params.params)
        for call in self.uses[entry].targets:
            self._check_start(call, f"the process of `{entry}`")
            args = keyword(call, "args")
            items = _literal_items(args)
            if any(arg.star for arg in call.args) or positional(call):
                raise Unfixable(f"the process on line {self.line(call)} is given unpacked or positional arguments")
            if not (items is not None and len(items) == wanted) and not (args is None and wanted == 0):
                raise Unfixable(f"`args=` on line {self.line(call)} is not a tuple the fix can extend")
            self.edits.change(call, self._add_argument)
        if helpers:
            param = FreshNames.of(self.facts).pick(self._base(), self.writes.reach.global_scope)
            self.edits.change(function, lambda node: extend_initializer(node, [self.name], [param]))
        else:
            self.edits.change(function, lambda node: add_parameter(node, self.name, keyword_only=False))

    def _base(self) -> str:
        """The name of the parameter that carries the value, where it is not the global's own."""
        return self.name.lower() if self.name.lower() != self.name else f"parent_{self.name}"

    def _add_argument(self, call: cst.Call) -> cst.Call:
        if keyword(call, "args") is None:
            call = add_keyword(call, "args", cst.Tuple([]), after="target")
        return change_keyword(call, "args", lambda value: append_element(value, self.name))  # type: ignore[arg-type]

    def _function(self, name: str) -> cst.FunctionDef:
        return self.module.body[self.writes.reach.functions[name]]  # type: ignore[return-value]

    # -- pools ---------------------------------------------------------------------------

    def _hand_to_pools(self, pools: list[cst.Call], tasks: list[str]) -> None:
        fresh, extended = [], {}
        for pool in pools:
            self._check_start(pool, "the pool")
            kind = self.writes.api.call_api(pool)
            initializer = pool_initializer(pool, kind)  # type: ignore[arg-type]
            if any(arg.star for arg in pool.args):
                raise Unfixable(f"the pool on line {self.line(pool)} takes unpacked arguments")
            if initializer is None and keyword(pool, "initargs") is None:
                fresh.append(pool)
            elif self._extensible(initializer):
                extended[initializer.value] = initializer  # type: ignore[union-attr]
            else:
                shown = self.module.code_for_node(initializer) if initializer is not None else "none"
                raise Unfixable(
                    f"the pool on line {self.line(pool)} has an initializer (`{shown}`) that the fix cannot extend"
                )
        names = FreshNames.of(self.facts)
        scope = self.writes.reach.global_scope
        base = self._base()
        if fresh:
            new = make_initializer(names.pick("_init_worker", scope), [self.name], [names.pick(base, scope)])
            for pool in fresh:
                self.edits.change(pool, partial(_hand_over, initializer=new.name.value, name=self.name))
            body = self.module.body
            anchor = min([self.writes.reach.functions[task] for task in tasks] + sorted(self.writes.guards)[:1])
            self.edits.insert_before(body[anchor], [new])
        for initializer in extended:
            param = names.pick(base, scope)
            extend = partial(extend_initializer, names=[self.name], params=[param])
            self.edits.change(self._function(initializer), extend)
            for pool in self.uses[initializer].initializes:
                self._check_start(pool, "the pool")
                self.edits.change(pool, partial(_pass_too, name=self.name))

    def _extensible(self, initializer: cst.BaseExpression | None) -> bool:
        """A plain top-level function used only as an initializer, which every pool passes
        by keyword with a literal ``initargs=`` of its parameters."""
        if not isinstance(initializer, cst.Name) or initializer.value not in self.writes.reach.functions:
            return False
        function, uses = self._function(initializer.value), self.uses[initializer.value]
        params = function.params
        if function.decorators or not uses.only_initializer or not plain_positional(params):
            return False
        if params.posonly_params or params.kwonly_params or params.star_kwarg is not None:
            return False
        for pool in uses.initializes:
            initargs = keyword(pool, "initargs")
            items = _literal_items(initargs)
            if keyword(pool, "initializer") is None or (initargs is not None and items is None):
                return False
            if len(items or ()) != len(params.params):
                return False
        return True


def _hand_over(call: cst.Call, *, initializer: str, name: str) -> cst.Call:
    """``call`` with a new initializer that receives the value of ``name``."""
    with_initializer = add_keyword(call, "initializer", cst.Name(initializer))
    return add_keyword(with_initializer, "initargs", cst.Tuple([cst.Element(cst.Name(name))]))


def _pass_too(call: cst.Call, *, name: str) -> cst.Call:
    """``call`` whose ``initargs=`` also passes the value of ``name``."""
    if keyword(call, "initargs") is None:
        call = add_keyword(call, "initargs", cst.Tuple([]))
    return change_keyword(call, "initargs", lambda value: append_element(value, name))  # type: ignore[arg-type]
