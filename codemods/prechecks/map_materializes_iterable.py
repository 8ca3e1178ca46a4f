"""The `ast` pre-check of map-materializes-iterable: False only when the rule can find nothing."""

from __future__ import annotations

import ast
import operator
from functools import cached_property

from ..analysis.ast_api import UNSURE
from ..analysis.ast_walk import walk
from ..analysis.prechecks import AstFacts, base_name, keyword_value, may_be_instance, unpacks
from ..analysis.project.apis import LARGE_RANGE
from ..libraries import EVERY_API, THREAD_SIDE, spellings

METHODS = frozenset({"map", "starmap"})
POOLS = frozenset({"Pool"})  # process pools only; ThreadPool.map does the same, see the page
EXECUTORS = frozenset({"ProcessPoolExecutor"})
# The last names of the callees and streams that mpfix.analysis.lazy_input counts as lazy
# or large inputs: open() and io.open(), itertools.count(), cycle() and repeat(), sys.stdin;
# and a range() of LARGE_RANGE numbers or more.
LAZY_CALLEES = frozenset({"open", "count", "cycle", "repeat"})
RANGES = frozenset({"range"})
STREAMS = frozenset({"stdin"})
MAX_DEPTH = 3  # as lazy_input follows a name to its value
_OPERATORS = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
    ast.FloorDiv: operator.floordiv, ast.Pow: operator.pow,
}  # fmt: skip


def _constant_int(node: ast.expr) -> int | None:
    """The twin of lazy_input's ``constant_int``: the value of ``10**7``, ``2 * 1_000_000``."""
    if isinstance(node, ast.Constant):
        return node.value if type(node.value) is int else None
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        value = _constant_int(node.operand)
        return None if value is None else -value
    if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
        left, right = _constant_int(node.left), _constant_int(node.right)
        if left is None or right is None or (isinstance(node.op, ast.Pow) and not 0 <= right <= 64):
            return None
        if isinstance(node.op, ast.FloorDiv) and right == 0:
            return None
        return _OPERATORS[type(node.op)](left, right)
    return None


def _small_range(call: ast.Call) -> bool:
    """A ``range()`` of fewer than LARGE_RANGE numbers, or one whose size lazy_input cannot
    tell (it counts neither as lazy): only a range of constants may be large."""
    if call.keywords or not 1 <= len(call.args) <= 3:
        return True
    values = [_constant_int(arg) for arg in call.args]
    if None in values or (len(values) == 3 and values[2] == 0):
        return True
    numbers = range(*values)  # type: ignore[arg-type]
    return not numbers or -((numbers.start - numbers.stop) // numbers.step) < LARGE_RANGE  # len() overflows


class _Inputs:
    """The ``ast`` twin of mpfix.analysis.lazy_input's ``classify``, loosened so that it
    answers "may be lazy" wherever the rule may: a name's every binding in the module
    counts (the rule follows a name bound once, in its scope), and a generator expression
    counts whatever it reads."""

    def __init__(self, facts: AstFacts) -> None:
        self.facts = facts
        self.callees = facts.aliases(LAZY_CALLEES)
        self.ranges = facts.aliases(RANGES)
        self.streams = facts.aliases(STREAMS)

    def _generator(self, name: str) -> bool:
        """A ``def`` of ``name`` somewhere in the module yields."""
        return any(
            node.name == name and any(isinstance(inner, (ast.Yield, ast.YieldFrom)) for inner in walk(node))
            for node in self.facts.nodes(ast.FunctionDef)
        )

    @cached_property
    def values(self) -> dict[str, list[ast.expr]]:
        """What each name is bound to by ``=`` or ``with ... as``, anywhere in the module."""
        values: dict[str, list[ast.expr]] = {}
        for assign in self.facts.nodes(ast.Assign):
            for target in assign.targets:
                if isinstance(target, ast.Name):
                    values.setdefault(target.id, []).append(assign.value)
        for with_node in self.facts.nodes(ast.With, ast.AsyncWith):
            for item in with_node.items:
                if isinstance(item.optional_vars, ast.Name):
                    values.setdefault(item.optional_vars.id, []).append(item.context_expr)
        return values

    def may_be_lazy(self, node: ast.expr, depth: int = 0) -> bool:
        if isinstance(node, ast.GeneratorExp):
            return True
        if isinstance(node, (ast.Name, ast.Attribute)) and base_name(node) in self.streams:
            return True
        if isinstance(node, ast.Call):
            callee = base_name(node.func)
            if callee in self.callees or (isinstance(node.func, ast.Name) and self._generator(node.func.id)):
                return True
            return callee in self.ranges and not _small_range(node)
        if isinstance(node, ast.Name) and depth < MAX_DEPTH:
            return any(self.may_be_lazy(value, depth + 1) for value in self.values.get(node.id, ()))
        return False


class _Receivers:
    """Which receivers mpfix.analysis.bindings' ``is_instance`` may prove to be a pool or
    an executor, loosened: a call that ``makes`` may count (its API as the rule hears it,
    or ``ctx.Pool()`` on a name that some assignment binds to what may be
    ``get_context()``), and a name counts when some binding of it that may reach the read
    may (``is_instance`` needs every binding that reaches the name to bind one, so at
    least one of them): an assignment or ``with ... as`` of what may be one, an
    annotation, or a parameter of an undecorated function that some call by its bare name
    passes what may be one. The bindings that may reach a read are those of its own scope
    and the scopes around it (libcst's referents are among them), or every binding of a
    name that some ``global`` or ``nonlocal`` declares."""

    def __init__(self, facts: AstFacts, apis: frozenset[str]) -> None:
        self.facts = facts
        self.apis = apis
        self.api = facts.api("MP005")

    def _sure_not(self, call: ast.Call, apis: frozenset[str]) -> bool:
        found = self.api.call_api(call)
        return found is not UNSURE and found not in apis

    @cached_property
    def _contexts(self) -> frozenset[str]:
        """Names that some ``NAME = <call>`` binds to what may be ``get_context()``."""
        return frozenset(
            target.id
            for node in self.facts.nodes(ast.Assign)
            if isinstance(node.value, ast.Call) and not self._sure_not(node.value, frozenset({"get_context"}))
            for target in node.targets
            if isinstance(target, ast.Name)
        )

    @cached_property
    def _bindings(self) -> dict[str, list[tuple[ast.AST | None, ast.AST, ast.AST]]]:
        """(scope, binder, node) of what may bind each name to an instance: the value
        assigned, the ``with`` item's expression, an annotated assignment, or the
        parameter. The scope is the binder's, worked out when the name is asked for
        (None until then): most names are never asked for."""
        bound: dict[str, list[tuple[ast.AST | None, ast.AST, ast.AST]]] = {}
        for node in self.facts.nodes(ast.Assign, ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name):
                    value = node if isinstance(node, ast.AnnAssign) else node.value
                    bound.setdefault(target.id, []).append((None, node, value))
        for with_node in self.facts.nodes(ast.With, ast.AsyncWith):
            for item in with_node.items:
                if isinstance(item.optional_vars, ast.Name):
                    bound.setdefault(item.optional_vars.id, []).append((None, with_node, item.context_expr))
        for function in self.facts.nodes(ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda):
            arguments = function.args
            every = [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs, arguments.vararg, arguments.kwarg]
            for arg in every:
                if arg is not None:
                    bound.setdefault(arg.arg, []).append((function, function, arg))
        return bound

    @cached_property
    def _declared(self) -> frozenset[str]:
        """Names that a ``global`` or ``nonlocal`` declares somewhere."""
        return frozenset(name for node in self.facts.nodes(ast.Global, ast.Nonlocal) for name in node.names)

    def _reaching(self, name: ast.Name) -> list[ast.AST]:
        """The bindings of ``name`` in its scope or a scope around it."""
        found = self._bindings.get(name.id, [])
        if name.id in self._declared:
            return [node for _, _, node in found]
        scopes = self.facts.scopes
        around = [scopes.scope_of(name)]
        while not isinstance(around[-1], ast.Module):
            around.append(scopes.scope_of(around[-1]))
        ids = {id(scope) for scope in around}
        for index, (scope, binder, node) in enumerate(found):
            if scope is None:  # worked out the first time the name is asked for
                found[index] = (scopes.scope_of(binder), binder, node)
        return [node for scope, _, node in found if id(scope) in ids]

    @cached_property
    def _calls(self) -> dict[str, list[ast.Call]]:
        """The calls of each bare name."""
        calls: dict[str, list[ast.Call]] = {}
        for call in self.facts.nodes(ast.Call):
            if isinstance(call.func, ast.Name):
                calls.setdefault(call.func.id, []).append(call)
        return calls

    def may_be(self, expr: ast.expr, seen: set[tuple[str, int]]) -> bool:
        if isinstance(expr, ast.Call):
            func = expr.func
            if not self._sure_not(expr, self.apis):
                return True
            return (
                isinstance(func, ast.Attribute)
                and func.attr in self.apis
                and isinstance(func.value, ast.Name)
                and func.value.id in self._contexts
            )
        if not isinstance(expr, ast.Name):
            return False
        key = (expr.id, id(self.facts.scopes.scope_of(expr)))
        if key in seen:
            return False  # a path through a name twice proves nothing its shorter twin does not
        seen.add(key)
        return any(self._binds(node, seen) for node in self._reaching(expr))

    def _binds(self, node: ast.AST, seen: set[tuple[str, int]]) -> bool:
        if isinstance(node, ast.AnnAssign):
            return True  # its annotation may name one
        if isinstance(node, ast.arg):
            return node.annotation is not None or self._passed(node, seen)
        return isinstance(node, ast.expr) and self.may_be(node, seen)

    def _passed(self, param: ast.arg, seen: set[tuple[str, int]]) -> bool:
        """Some call of the parameter's undecorated function, by its bare name, passes
        what may be one (``_every_call_passes`` needs every call to)."""
        arguments = self.facts.scopes.parent(param)
        function = self.facts.scopes.parent(arguments) if arguments is not None else None
        if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)) or function.decorator_list:
            return False
        assert isinstance(arguments, ast.arguments)
        positional = [*arguments.posonlyargs, *arguments.args]
        for call in self._calls.get(function.name, ()):
            if any(isinstance(a, ast.Starred) for a in call.args):
                continue
            index = positional.index(param) if param in positional else len(call.args)
            value = call.args[index] if index < len(call.args) else keyword_value(call, param.arg)
            if value is not None and self.may_be(value, seen):
                return True
        return False


def _ast_lazy_map(call: ast.Call, pools: frozenset[str], inputs: _Inputs, receivers: _Receivers) -> bool:
    receiver = call.func.value  # type: ignore[attr-defined]
    if unpacks(call) or not may_be_instance(receiver, pools):
        return False
    iterable = call.args[1] if len(call.args) > 1 else keyword_value(call, "iterable")
    return iterable is not None and inputs.may_be_lazy(iterable) and receivers.may_be(receiver, set())


APIS: frozenset[str] | None = EVERY_API - THREAD_SIDE


def precheck(facts: AstFacts) -> bool:
    """``pool.map(f, it)`` or ``pool.starmap(f, it)``, without unpacked arguments, on a
    name or a call spelled like ``Pool``, whose ``it`` may be lazy (see ``_Inputs``): a
    generator expression, ``sys.stdin``, a call of ``open()``, an ``itertools`` counter or
    a generator function of the module, a large ``range()``, or a name bound to one; and
    whose receiver may be proven a pool or an executor (see ``_Receivers``)."""
    calls = facts.method_calls(METHODS)
    if not calls:
        return False
    pools = facts.aliases(spellings(POOLS | EXECUTORS))
    inputs = _Inputs(facts)
    receivers = _Receivers(facts, POOLS | EXECUTORS)
    return any(_ast_lazy_map(call, pools, inputs, receivers) for call in calls)
