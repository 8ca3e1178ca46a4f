"""Which names hold a ``multiprocessing`` shared ``Value`` or ``Array``, and which lock it has.

A name counts only when every binding that reaches it is proven: an assignment of
``Value(...)``, ``Array(...)``, ``RawValue(...)`` or ``RawArray(...)`` (from
``multiprocessing``, a context or ``sharedctypes``), an alias of such a name, or a
parameter that every use of its function fills with one: a direct call, a process
start (``Process(target=f, args=(...))``), a task handed to a pool or executor
(``apply``, ``apply_async``, ``submit``) or a pool initializer's ``initargs``. A
placeholder ``name = None`` (the per-worker global that an initializer binds) is no
counter-evidence: if the name still held None, reading its value would fail anyway.
"""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst
from libcst.metadata import ScopeProvider

from ...analysis import match as m
from ...analysis.bindings import Bindings
from ...analysis.ipc import keyword, pool_initializer, positional
from ...analysis.project.apis import POOLS

# What guards a shared object's reads and writes.
REENTRANT = "rlock"  # the default lock: an RLock, which `with v.get_lock():` may hold around `v.value`
PLAIN_LOCK = "lock"  # a non-reentrant Lock: `v.value` inside `with v.get_lock():` deadlocks
RAW = "raw"  # no lock at all

WORKERS = frozenset({"Pool", "ThreadPool", "ProcessPoolExecutor", "ThreadPoolExecutor"})
# Pool and executor methods that hand their arguments to the task, and where those are.
HANDING = frozenset({"apply", "apply_async", "submit"})
# How many arguments come before `initargs` positionally.
_INITARGS_POSITION = {"Pool": 2, "ProcessPoolExecutor": 3}
MAX_DEPTH = 8  # how many bindings (alias of a parameter of a caller...) to follow


class SharedValues:
    def __init__(self, bindings: Bindings) -> None:
        self.bindings = bindings

    def lock_of(self, expr: cst.BaseExpression) -> str | None:
        """REENTRANT, PLAIN_LOCK or RAW when ``expr`` provably is a shared Value or Array
        (made right there, or a name bound only to such), else None."""
        kinds = self._kinds(expr, frozenset())
        return kinds.pop() if kinds is not None and len(kinds) == 1 else None

    def _kinds(self, expr: cst.BaseExpression | None, seen: frozenset[int]) -> set[str] | None:
        """The locks of what ``expr`` may be (None: something unproven). A binding already
        being followed adds nothing: it passes on a value that the others give."""
        if isinstance(expr, cst.Call):
            made = self._made(expr)
            return {made} if made is not None else None
        if not isinstance(expr, cst.Name) or len(seen) > MAX_DEPTH:
            return None
        found: set[str] = set()
        for node in self.bindings.of(expr):
            if id(node) in seen:
                continue
            if isinstance(node, cst.Param):
                kinds = self._handed(node, seen | {id(node)})
            else:
                value = self._assigned(node)
                if isinstance(value, cst.Name) and value.value == "None":
                    continue
                kinds = self._kinds(value, seen | {id(node)})
            if kinds is None:
                return None
            found |= kinds
        return found

    def _assigned(self, node: cst.CSTNode | None) -> cst.BaseExpression | None:
        parent = self.bindings.parent(node) if node is not None else None
        if isinstance(parent, cst.AssignTarget) and parent.target is node:
            return self.bindings.assigned(parent)
        if isinstance(parent, cst.AnnAssign) and parent.target is node:
            return parent.value
        return None

    def _made(self, call: cst.Call) -> str | None:
        if any(arg.star for arg in call.args):
            return None
        if self.bindings.makes(call, {"RawValue", "RawArray"}):
            return RAW
        if not self.bindings.makes(call, {"Value", "Array"}):
            return None
        lock = keyword(call, "lock")
        if lock is None or m.matches(lock.value, m.Name("True") | m.Name("None")):
            return REENTRANT
        if m.matches(lock.value, m.Name("False")):
            return RAW
        if self.bindings.is_instance(lock.value, {"RLock"}):
            return REENTRANT
        return PLAIN_LOCK if self.bindings.is_instance(lock.value, {"Lock"}) else None

    # -- parameters ----------------------------------------------------------------------

    def _handed(self, param: cst.Param, seen: frozenset[int]) -> set[str] | None:
        """What every use of the parameter's function passes for it."""
        parameters = self.bindings.parent(param)
        function = self.bindings.parent(parameters) if parameters is not None else None
        if not isinstance(function, cst.FunctionDef) or function.decorators:
            return None
        scope = self.bindings.visitor.get_metadata(ScopeProvider, function, None)
        assignments = list(scope.assignments[function.name.value]) if scope is not None else []
        if len(assignments) != 1 or not assignments[0].references:
            return None
        found: set[str] = set()
        for reference in assignments[0].references:
            given = self._arguments(reference.node)
            kinds = self._kinds(_argument_for(function, param, *given), seen) if given is not None else None
            if kinds is None:
                return None
            found |= kinds
        return found

    def _arguments(self, use: cst.CSTNode) -> tuple[list[cst.BaseExpression], dict[str, cst.BaseExpression]] | None:
        """The positional and keyword arguments that the function named at ``use`` gets."""
        parent = self.bindings.parent(use)
        if isinstance(parent, cst.Call) and parent.func is use:
            return _split(parent.args)
        call = self.bindings.parent(parent) if isinstance(parent, cst.Arg) else None
        if not (isinstance(call, cst.Call) and isinstance(parent, cst.Arg)) or parent.value is not use:
            return None
        if parent.keyword is not None and parent.keyword.value == "target":
            if not self.bindings.makes(call, {"Process"}) or positional(call):
                return None
            return _unpack(keyword(call, "args"), keyword(call, "kwargs"))
        func = call.func
        given = positional(call)
        if given and given[0] is parent and isinstance(func, cst.Attribute) and func.attr.value in HANDING:
            if not self.bindings.is_instance(func.value, WORKERS):
                return None
            if func.attr.value == "submit":
                return _split(call.args[1:])
            args = given[1] if len(given) > 1 else keyword(call, "args")
            kwds = given[2] if len(given) > 2 else keyword(call, "kwds")
            return _unpack(args, kwds)
        kind = next((k for k in sorted(POOLS) if self.bindings.makes(call, {k})), None)
        if kind is None or pool_initializer(call, kind) is not use:
            return None
        initargs = keyword(call, "initargs")
        if initargs is None and len(given) > _INITARGS_POSITION[kind]:
            initargs = given[_INITARGS_POSITION[kind]]
        return _unpack(initargs, None)


def _split(args: Sequence[cst.Arg]) -> tuple[list[cst.BaseExpression], dict[str, cst.BaseExpression]] | None:
    if any(arg.star for arg in args):
        return None
    named = {arg.keyword.value: arg.value for arg in args if arg.keyword is not None}
    return [arg.value for arg in args if arg.keyword is None], named


def _unpack(
    args: cst.Arg | None, kwargs: cst.Arg | None
) -> tuple[list[cst.BaseExpression], dict[str, cst.BaseExpression]] | None:
    """The arguments in ``args=(...)`` and ``kwargs={...}``: literals only."""
    values: list[cst.BaseExpression] = []
    if args is not None:
        if not isinstance(args.value, (cst.Tuple, cst.List)):
            return None
        if any(not isinstance(e, cst.Element) for e in args.value.elements):
            return None
        values = [e.value for e in args.value.elements]
    named: dict[str, cst.BaseExpression] = {}
    if kwargs is not None:
        if not isinstance(kwargs.value, cst.Dict):
            return None
        for element in kwargs.value.elements:
            key = element.key if isinstance(element, cst.DictElement) else None
            if not isinstance(key, cst.SimpleString) or not isinstance(key.evaluated_value, str):
                return None
            named[key.evaluated_value] = element.value
    return values, named


def _argument_for(
    function: cst.FunctionDef, param: cst.Param, given: list[cst.BaseExpression], named: dict[str, cst.BaseExpression]
) -> cst.BaseExpression | None:
    """What the call passes for ``param`` (None: the default)."""
    ordered = [*function.params.posonly_params, *function.params.params]
    index = next((i for i, p in enumerate(ordered) if p is param), None)
    if index is not None and index < len(given):
        return given[index]
    if any(p is param for p in function.params.posonly_params):
        return None
    return named.get(param.name.value)
