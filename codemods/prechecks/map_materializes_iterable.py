"""The `ast` pre-check of map-materializes-iterable: False only when the rule can find nothing."""

from __future__ import annotations

import ast
import operator
from functools import cached_property

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
            node.name == name and any(isinstance(inner, (ast.Yield, ast.YieldFrom)) for inner in ast.walk(node))
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


def _ast_lazy_map(call: ast.Call, pools: frozenset[str], inputs: _Inputs) -> bool:
    if unpacks(call) or not may_be_instance(call.func.value, pools):  # type: ignore[attr-defined]
        return False
    iterable = call.args[1] if len(call.args) > 1 else keyword_value(call, "iterable")
    return iterable is not None and inputs.may_be_lazy(iterable)


APIS: frozenset[str] | None = EVERY_API - THREAD_SIDE


def precheck(facts: AstFacts) -> bool:
    """``pool.map(f, it)`` or ``pool.starmap(f, it)``, without unpacked arguments, on a
    name or a call spelled like ``Pool``, whose ``it`` may be lazy (see ``_Inputs``): a
    generator expression, ``sys.stdin``, a call of ``open()``, an ``itertools`` counter or
    a generator function of the module, a large ``range()``, or a name bound to one."""
    calls = facts.method_calls(METHODS)
    if not calls:
        return False
    pools = facts.aliases(spellings(POOLS | EXECUTORS))
    inputs = _Inputs(facts)
    return any(_ast_lazy_map(call, pools, inputs) for call in calls)
