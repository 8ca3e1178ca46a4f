"""Inputs that ``Pool.map()`` would read into a list: lazy, large or endless iterables.

``Pool.map()`` calls ``list()`` on an input without ``__len__`` before it starts, and
builds one list of every result. That costs nothing for a list the program holds anyway,
but for a generator, an open file or a large ``range()`` it holds what a lazy consumer
never would, and for ``itertools.count()`` and friends it never ends.
"""

from __future__ import annotations

import math
import operator
from dataclasses import dataclass, replace

import libcst as cst

from .bindings import Bindings
from .loop_body import Path, body_facts, read_paths
from .project.apis import LARGE_RANGE

# A generator expression over fewer items than this, all from literals and constant
# ranges, is a small input too. Its items may be large objects, where a range()'s are
# small numbers, so the bar is lower.
SMALL_GENERATOR = 10_000
# Endless unless bounded: (qualified name, how many positional arguments bound it).
ENDLESS = {"itertools.count": None, "itertools.cycle": None, "itertools.repeat": 2}
OPENERS = frozenset({"builtins.open", "io.open"})
STREAMS = frozenset({"sys.stdin"})
_OPERATORS = {
    cst.Add: operator.add, cst.Subtract: operator.sub, cst.Multiply: operator.mul,
    cst.FloorDivide: operator.floordiv, cst.Power: operator.pow,
}  # fmt: skip


@dataclass(frozen=True)
class Input:
    """What ``Pool.map()`` is given, in words, and what else reading it runs."""

    what: str  # "the generator expression", "the open file `f`", ...
    endless: bool = False
    generator: cst.FunctionDef | None = None  # the generator function whose call it is
    listed: bool = True  # False for a range(): map() reads it lazily, but keeps every result


def constant_int(node: cst.BaseExpression) -> int | None:
    """The value of an integer constant expression such as ``10**7`` or ``2 * 1_000_000``."""
    if isinstance(node, cst.Integer):
        return node.evaluated_value
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus):
        value = constant_int(node.expression)
        return None if value is None else -value
    if isinstance(node, cst.BinaryOperation) and type(node.operator) in _OPERATORS:
        left, right = constant_int(node.left), constant_int(node.right)
        if left is None or right is None or (isinstance(node.operator, cst.Power) and not 0 <= right <= 64):
            return None
        if isinstance(node.operator, cst.FloorDivide) and right == 0:
            return None
        return _OPERATORS[type(node.operator)](left, right)
    return None


def is_generator(function: cst.FunctionDef) -> bool:
    """A ``def`` (not ``async def``) whose own body yields."""

    class Yields(cst.CSTVisitor):
        found = False

        def visit_Yield(self, node: cst.Yield) -> None:
            self.found = True

        def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
            return node is function

        def visit_Lambda(self, node: cst.Lambda) -> bool:
            return False

        def visit_ClassDef(self, node: cst.ClassDef) -> bool:
            return False

    if function.asynchronous is not None:
        return False
    visitor = Yields()
    function.visit(visitor)
    return visitor.found


class LazyInputs:
    def __init__(self, bindings: Bindings) -> None:
        self.bindings = bindings

    def classify(self, node: cst.BaseExpression, depth: int = 0) -> Input | None:
        """The kind of input ``node`` is, or None for a list, a small range, a generator
        expression over small literals or ranges, or anything that cannot be told (a
        parameter, an attribute)."""
        if isinstance(node, cst.GeneratorExp):
            return self._generator(node)
        if isinstance(node, (cst.Name, cst.Attribute)) and self.bindings.api.qualified_names(node) & STREAMS:
            return Input(f"`{'.'.join(sorted(self.bindings.api.qualified_names(node) & STREAMS))}`")
        if isinstance(node, cst.Call):
            return self._call(node)
        if isinstance(node, cst.Name) and depth < 3:
            value = self.bindings.single_value(node) or self.bindings.with_value(node)
            found = self.classify(value, depth + 1) if value is not None else None
            if found is not None and value is not None and self._opens(value):
                return replace(found, what=f"the open file `{node.value}`")
            if found is not None and (found.generator or isinstance(value, cst.GeneratorExp)):
                return replace(found, what=f"the generator `{node.value}`")
            return found
        return None

    def _generator(self, generator: cst.GeneratorExp) -> Input | None:
        """A generator expression is as endless as its first iterable, and small when
        every iterable it reads is a small literal or range."""
        clauses = [generator.for_in]
        while clauses[-1].inner_for_in is not None:
            clauses.append(clauses[-1].inner_for_in)
        sizes = [self._size(clause.iter) for clause in clauses]
        if None not in sizes and math.prod(sizes) < SMALL_GENERATOR:  # type: ignore[arg-type]
            return None
        first = self.classify(clauses[0].iter)
        return Input("the generator expression", endless=first is not None and first.endless)

    def _size(self, node: cst.BaseExpression, depth: int = 0) -> int | None:
        """How many items ``node`` holds: a literal, a constant ``range()``, or a name
        bound once to one of those; None when that cannot be told."""
        if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
            return None if node.evaluated_value is None else len(node.evaluated_value)
        if isinstance(node, (cst.List, cst.Tuple, cst.Set, cst.Dict)):
            unpacks = any(isinstance(e, (cst.StarredElement, cst.StarredDictElement)) for e in node.elements)
            return None if unpacks else len(node.elements)
        if isinstance(node, cst.Call) and "builtins.range" in self.bindings.api.qualified_names(node.func):
            values = [constant_int(arg.value) if arg.keyword is None and not arg.star else None for arg in node.args]
            return _count(values) if 1 <= len(values) <= 3 and None not in values else None
        if isinstance(node, cst.Name) and depth < 3:
            value = self.bindings.single_value(node)
            return self._size(value, depth + 1) if value is not None else None
        return None

    def reads(self, node: cst.BaseExpression, source: Input) -> set[Path]:
        """What reading the input reads: its expression, the value of a name bound to it,
        and the names from outside that a generator function reads."""
        paths = read_paths(node)
        value = self.bindings.single_value(node) if isinstance(node, cst.Name) else None
        paths |= read_paths(value) if value is not None else set()
        function = source.generator
        if function is not None:
            params = function.params
            own = set(body_facts([function.body]).assigned) | {
                p.name.value for p in (*params.posonly_params, *params.params, *params.kwonly_params)
            }
            paths |= {path for path in read_paths(function.body) if path[0] not in own}
        return paths

    def _opens(self, node: cst.BaseExpression) -> bool:
        return isinstance(node, cst.Call) and bool(self.bindings.api.qualified_names(node.func) & OPENERS)

    def _call(self, call: cst.Call) -> Input | None:
        if any(arg.star for arg in call.args):
            return None
        names = self.bindings.api.qualified_names(call.func)
        positional = [arg for arg in call.args if arg.keyword is None]
        if names & OPENERS:
            return Input("the open file")
        for name, bound_by in ENDLESS.items():
            if name in names and (bound_by is None or len(call.args) < bound_by):
                return Input(f"`{name}()`", endless=True)
        if "builtins.range" in names:
            return self._range(positional) if 1 <= len(positional) == len(call.args) <= 3 else None
        if isinstance(call.func, cst.Name):
            function = self.bindings.definition(call.func)
            if function is not None and is_generator(function):
                return Input(f"the generator `{call.func.value}()`", generator=function)
        return None

    @staticmethod
    def _range(arguments: list[cst.Arg]) -> Input | None:
        count = _count([constant_int(arg.value) for arg in arguments])
        return (
            Input(f"`range()` of {count:,} numbers", listed=False)
            if count is not None and count >= LARGE_RANGE
            else None
        )


def _count(values: list[int | None]) -> int | None:
    """How many numbers ``range(*values)`` holds; None unless that is a valid range."""
    if None in values or (len(values) == 3 and values[2] == 0):
        return None
    numbers = range(*values)  # type: ignore[arg-type]
    return -((numbers.start - numbers.stop) // numbers.step) if numbers else 0  # len() overflows past sys.maxsize
