"""Which queues a process puts into, and whether the parent's reads of them may move.

A ``Process(target=f, args=(q, ...))`` puts into ``q`` when ``f`` calls ``put()`` on the
parameter that receives it (or on the module-level queue itself). The parent's statements
that read such a queue may run before the processes are joined when they only wait for
items (blocking ``get()``), and they are *quiet* when they do nothing else a reader could
notice: no calls but ``get()``, pure builtins and ``append()`` to a local list.
"""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst
from libcst.metadata import ScopeProvider

from ...analysis import match as m
from ...analysis.bindings import Bindings
from ...analysis.facts import findall
from ...analysis.ipc import keyword
from ...analysis.names import EXIT_CALLS, ApiResolver
from ...analysis.statements import PURE_BUILTINS
from ...prechecks.join_before_drain import READS
from .._base import Unfixable

QUEUES = frozenset({"Queue", "JoinableQueue", "SimpleQueue"})
_QUIET_SMALL = (cst.Assign, cst.AnnAssign, cst.AugAssign, cst.Expr, cst.Pass, cst.Break, cst.Continue)


def method_of(call: cst.Call) -> str:
    """``join`` of ``p.join()``: the method of a call on a plain name, as the rule finds them."""
    return cst.ensure_type(call.func, cst.Attribute).attr.value


def receiver_of(call: cst.Call) -> str:
    """``p`` of ``p.join()``: the name a call on a plain name is made on."""
    return cst.ensure_type(cst.ensure_type(call.func, cst.Attribute).value, cst.Name).value


def _own_nodes(node: cst.CSTNode) -> list[cst.CSTNode]:
    """``node`` and what it contains, but not the bodies of functions, lambdas and classes."""
    found = [node]
    for child in node.children:
        if not isinstance(child, (cst.FunctionDef, cst.Lambda, cst.ClassDef)):
            found += _own_nodes(child)
    return found


class QueueReads:
    def __init__(self, bindings: Bindings, api: ApiResolver, module: cst.Module) -> None:
        self.bindings = bindings
        self.api = api
        self.code = module.code_for_node

    def _binding(self, name: cst.BaseExpression) -> cst.CSTNode | None:
        found = self.bindings.of(name) if isinstance(name, cst.Name) else []
        return found[0] if len(found) == 1 else None

    def _queue(self, name: cst.BaseExpression) -> int | None:
        """The identity of the queue binding that ``name`` reads, if it is a proven queue."""
        binding = self._binding(name)
        return id(binding) if binding is not None and self.bindings.is_instance(name, QUEUES) else None

    # -- the children ----------------------------------------------------------------------

    def process_calls(self, node: cst.BaseExpression, depth: int = 0) -> list[cst.Call]:
        """The ``Process(...)`` calls an expression may stand for: one call, a list of them,
        or a name assigned one of those, or ``[]`` that ``append()`` then fills. A name
        assigned more than once stands for every value it is given."""
        if isinstance(node, cst.Call) and self.bindings.makes(node, {"Process"}):
            return [node]
        if isinstance(node, (cst.List, cst.Tuple)) and depth < 4:
            return [call for e in node.elements for call in self.process_calls(e.value, depth + 1)]
        if isinstance(node, cst.ListComp):
            return self.process_calls(node.elt, depth + 1)
        if not isinstance(node, cst.Name) or depth >= 4:
            return []
        calls = []
        for binding in self.bindings.of(node):
            target = self.bindings.parent(binding) if binding is not None else None
            if not (isinstance(target, cst.AssignTarget) and target.target is binding):
                continue
            assign = self.bindings.parent(target)
            if not isinstance(assign, cst.Assign):
                continue
            value = assign.value
            values = self._appended(node) if m.matches(value, m.List(elements=[])) else [value]
            calls += [call for value in values for call in self.process_calls(value, depth + 1)]
        return calls

    def _appended(self, name: cst.Name) -> list[cst.BaseExpression]:
        """What ``name.append(...)`` adds, anywhere in the scope of ``name``."""
        scope = self.bindings.visitor.get_metadata(ScopeProvider, name, None)
        values = []
        for assignment in scope.assignments[name.value] if scope is not None else ():
            for access in assignment.references:
                attribute = self.bindings.parent(access.node)
                call = self.bindings.parent(attribute) if isinstance(attribute, cst.Attribute) else None
                if isinstance(call, cst.Call) and m.matches(
                    call, m.Call(func=m.Attribute(attr=m.Name("append")), args=[m.Arg(keyword=None)])
                ):
                    values.append(call.args[0].value)
        return values

    def queues_put_by(self, processes: Sequence[Sequence[cst.Call]]) -> dict[int, str]:
        """The queues (binding identity to name) that the processes' targets put into."""
        found: dict[int, str] = {}
        for calls in processes:
            for call in calls:
                found.update(self._put_by(call))
        return found

    def _target(self, call: cst.Call) -> tuple[cst.FunctionDef, list[cst.Param]] | None:
        """The ``def`` that ``Process(target=...)`` runs, and its parameters that ``args``
        fill: a function's, or a method's of the class whose method makes the process
        (``target=self.work``), without ``self``."""
        target = keyword(call, "target")
        value = target.value if target is not None else None
        if isinstance(value, cst.Name) and (function := self.bindings.definition(value)) is not None:
            return function, [*function.params.posonly_params, *function.params.params]
        if not (m.matches(value, m.Attribute(value=m.Name(), attr=m.Name())) and isinstance(value, cst.Attribute)):
            return None
        method = self._method(cst.ensure_type(value.value, cst.Name), value.attr.value)
        return (method, [*method.params.posonly_params, *method.params.params][1:]) if method is not None else None

    def _method(self, receiver: cst.Name, name: str) -> cst.FunctionDef | None:
        """The plain method ``name`` (no decorator) of the class whose plain method takes
        ``receiver`` as its first parameter, when the class body binds ``name`` once."""
        found = self.bindings.of(receiver)
        param = found[0] if len(found) == 1 else None
        parameters = self.bindings.parent(param) if isinstance(param, cst.Param) else None
        function = self.bindings.parent(parameters) if isinstance(parameters, cst.Parameters) else None
        body = self.bindings.parent(function) if isinstance(function, cst.FunctionDef) else None
        owner = self.bindings.parent(body) if isinstance(body, cst.IndentedBlock) else None
        if not (isinstance(owner, cst.ClassDef) and isinstance(function, cst.FunctionDef)) or function.decorators:
            return None
        first = next(iter([*function.params.posonly_params, *function.params.params]), None)
        if first is not param:
            return None
        scope = self.bindings.visitor.get_metadata(ScopeProvider, function, None)
        bound = list(scope.assignments[name]) if scope is not None else []
        method = getattr(bound[0], "node", None) if len(bound) == 1 else None
        if not isinstance(method, cst.FunctionDef) or method.decorators or self.bindings.parent(method) is not body:
            return None
        return method

    def _put_by(self, call: cst.Call) -> dict[int, str]:
        found = self._target(call)
        if found is None:
            return {}
        function, params = found
        handed: dict[str, tuple[int, str]] = {}  # parameter -> the parent's queue
        args = keyword(call, "args")
        if args is not None and isinstance(args.value, (cst.Tuple, cst.List)):
            for param, element in zip(params, args.value.elements, strict=False):
                value = element.value if isinstance(element, cst.Element) else None
                if isinstance(value, cst.Name) and (queue := self._queue(value)) is not None:
                    handed[param.name.value] = (queue, value.value)
        kwargs = keyword(call, "kwargs")
        if kwargs is not None and isinstance(kwargs.value, cst.Dict):
            for entry in kwargs.value.elements:
                key = entry.key if isinstance(entry, cst.DictElement) else None
                value = entry.value
                if not (isinstance(key, cst.SimpleString) and isinstance(value, cst.Name)):
                    continue
                if (queue := self._queue(value)) is not None:
                    handed[str(key.evaluated_value)] = (queue, value.value)
        puts: dict[int, str] = {}
        refused: set[int] = set()  # a child that also reads the queue, or gives up flushing it
        for node in _own_nodes(function.body):
            func = node.func if isinstance(node, cst.Call) else None
            if not (isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name)):
                continue
            receiver, method = func.value, func.attr.value
            used = handed.get(receiver.value) if isinstance(self._binding(receiver), cst.Param) else None
            if used is None and (own := self._queue(receiver)) is not None:
                used = (own, receiver.value)  # the module-level queue itself (fork only)
            if used is None:
                continue
            if method in ("put", "put_nowait"):
                puts[used[0]] = used[1]
            elif method in (*READS, "cancel_join_thread"):
                refused.add(used[0])
        return {queue: name for queue, name in puts.items() if queue not in refused}

    # -- the parent's reads --------------------------------------------------------------

    def reads(self, statement: cst.CSTNode, queues: dict[int, str]) -> list[cst.Call]:
        """The calls in ``statement`` that read one of ``queues``: ``get()``, ``empty()``..."""
        return [
            node
            for node in _own_nodes(statement)
            if isinstance(node, cst.Call)
            and isinstance(node.func, cst.Attribute)
            and isinstance(node.func.value, cst.Name)
            and node.func.attr.value in READS
            and (queue := self._queue(node.func.value)) is not None
            and queue in queues
        ]

    def reader_handed_on(self, statement: cst.CSTNode, queues: dict[int, str]) -> cst.Attribute | None:
        """``q.get`` of one of ``queues`` handed on uncalled, as ``iter(q.get, None)`` reads
        the queue up to a sentinel; None when ``statement`` hands on none."""
        for node in _own_nodes(statement):
            value = node.value if isinstance(node, cst.Arg) else None
            if (
                isinstance(value, cst.Attribute)
                and isinstance(value.value, cst.Name)
                and value.attr.value in READS
                and self._queue(value.value) in queues
            ):
                return value
        return None

    def handed_to_reader(self, statement: cst.CSTNode, queues: dict[int, str]) -> bool:
        """``statement`` passes a queue to a function of the module that reads it."""
        for node in _own_nodes(statement):
            if not (isinstance(node, cst.Call) and isinstance(node.func, cst.Name)):
                continue
            function = self.bindings.definition(node.func)
            if function is None:
                continue
            params = [*function.params.posonly_params, *function.params.params]
            for index, arg in enumerate(node.args):
                if arg.star or self._queue(arg.value) not in queues:
                    continue
                name = arg.keyword.value if arg.keyword else params[index].name.value if index < len(params) else None
                reads = findall(function.body, m.Call(func=m.Attribute(value=m.Name(name or ""), attr=m.Name())))
                if any(isinstance(call, cst.Call) and method_of(call) in READS for call in reads):
                    return True
        return False

    def name_of(self, queues: dict[int, str], statement: cst.CSTNode) -> str:
        for call in self.reads(statement, queues):
            return receiver_of(call)
        return next(iter(queues.values()))

    def run(self, statements: Sequence[cst.BaseStatement], queues: dict[int, str]) -> list[cst.BaseStatement]:
        """The statements from the first that read the queues up to the last, with quiet
        statements between them; raises Unfixable when other work comes first."""
        end = 0
        for index, statement in enumerate(statements):
            if self.reads(statement, queues):
                end = index + 1
            elif self._noisy(statement, queues) is not None:
                break
        if not end:
            raise Unfixable(
                "other work comes between the join and the first read of the queue; move the join after the reads"
            )
        return list(statements[:end])

    def check(
        self,
        reading: Sequence[cst.BaseStatement],
        rest: Sequence[cst.BaseStatement],
        queues: dict[int, str],
        processes: set[str],
    ) -> str | None:
        """Why moving ``reading`` ahead of the joins is unsafe (None: it is safe); raises
        Unfixable when it would change what the program reads or does."""
        for statement in rest:
            if self.reads(statement, queues):
                raise Unfixable(
                    f"`{self.name_of(queues, statement)}` is also read after other statements; move the join after the "
                    "last read"
                )
        for statement in reading:
            for call in self.reads(statement, queues):
                if method_of(call) != "get" or (call.args and not self._blocking(call)):
                    what = f"`{self.code(call)}`"
                    if method_of(call) in ("empty", "qsize"):
                        raise Unfixable(
                            f"the reads stop by {what}, which is only right once the children have exited; "
                            "read a known number of items (one per child, or up to a sentinel)"
                        )
                    raise Unfixable(
                        f"{what} may give up while the children still work; read with a plain `get()` before joining"
                    )
            self._check_leaving(statement)
            for node in _own_nodes(statement):
                if (
                    isinstance(node, cst.Name)
                    and node.value in processes
                    and not self._iterated(node)
                    and not self._counter(node)
                ):
                    raise Unfixable(
                        f"the reads use `{node.value}`, whose process may not have exited before the join; move the "
                        "join after the reads by hand"
                    )
        noisy = next((n for s in reading if (n := self._noisy(s, queues)) is not None), None)
        if noisy is None:
            return None
        code = self.code(noisy).strip().splitlines()[0]
        return f"`{code}` would run while the children may still run, not after they have exited"

    def _blocking(self, call: cst.Call) -> bool:
        """``get(True)`` or ``get(block=True)``: waits without a timeout."""
        return len(call.args) == 1 and m.matches(
            call.args[0], m.Arg(m.Name("True"), keyword=None) | m.Arg(m.Name("True"), keyword=m.Name("block"))
        )

    def _check_leaving(self, node: cst.CSTNode, in_loop: bool = False) -> None:
        if isinstance(node, (cst.Return, cst.Raise, cst.Assert)) or (
            isinstance(node, (cst.Break, cst.Continue)) and not in_loop
        ) or (isinstance(node, cst.Call) and self.api.qualified_names(node.func) & EXIT_CALLS):
            raise Unfixable(
                "the statements that read the queue can leave the block before the joins would run; join in a "
                "`finally:` block"
            )
        if isinstance(node, (cst.FunctionDef, cst.Lambda, cst.ClassDef)):
            return
        for child in node.children:
            self._check_leaving(child, in_loop or isinstance(node, (cst.For, cst.While)))

    def _iterated(self, name: cst.Name) -> bool:
        """``for _ in procs`` or ``len(procs)``: the list of processes, not their state."""
        parent = self.bindings.parent(name)
        if isinstance(parent, (cst.For, cst.CompFor)) and parent.iter is name:
            return True
        call = self.bindings.parent(parent) if isinstance(parent, cst.Arg) else None
        return isinstance(call, cst.Call) and "builtins.len" in self.api.qualified_names(call.func)

    def _counter(self, name: cst.Name) -> bool:
        """The variable of a comprehension that uses it nowhere, as ``p`` in
        ``[q.get() for p in procs]``: it only counts, in a scope of its own, so it is not
        the ``p`` that the joins use."""
        loop = self.bindings.parent(name)
        if not (isinstance(loop, cst.CompFor) and loop.target is name):
            return False
        comprehension: cst.CSTNode | None = loop
        while isinstance(comprehension, cst.CompFor):
            comprehension = self.bindings.parent(comprehension)
        assert comprehension is not None
        return [n for n in findall(comprehension, m.Name(name.value))] == [name]

    def _noisy(self, statement: cst.CSTNode, queues: dict[int, str]) -> cst.CSTNode | None:
        """The first part of ``statement`` that a reader could notice, if any."""
        if isinstance(statement, cst.SimpleStatementLine):
            if not all(isinstance(small, _QUIET_SMALL) for small in statement.body):
                return statement
        elif not isinstance(statement, (cst.For, cst.While, cst.If)) or getattr(statement, "asynchronous", None):
            return statement
        for node in _own_nodes(statement):
            if node is not statement and isinstance(node, cst.BaseStatement) and (found := self._noisy(node, queues)):
                return found
            if isinstance(node, (cst.Await, cst.Yield)) or (
                isinstance(node, cst.Call) and not self._quiet_call(node, queues)
            ):
                return node
            if isinstance(node, cst.Attribute) and not isinstance(self.bindings.parent(node), cst.Call):
                return node
        return None

    def _quiet_call(self, call: cst.Call, queues: dict[int, str]) -> bool:
        func = call.func
        if isinstance(func, cst.Name):
            return any(
                n.removeprefix("builtins.") in PURE_BUILTINS
                for n in self.api.qualified_names(func)
                if n.startswith("builtins.")
            )
        if not (isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name)):
            return False
        if func.attr.value == "get":
            queue = self._queue(func.value)
            return queue is not None and queue in queues and (not call.args or self._blocking(call))
        value = self.bindings.single_value(func.value)
        return func.attr.value == "append" and (isinstance(value, (cst.List, cst.ListComp)))
