"""The `ast` pre-check of map-materializes-iterable: False only when the rule can find nothing."""

from __future__ import annotations

import ast

from ..analysis.prechecks import AstFacts, base_name, keyword_value, may_be_instance, unpacks
from ..libraries import EVERY_API, THREAD_SIDE, spellings

METHODS = frozenset({"map", "starmap"})
POOLS = frozenset({"Pool"})  # process pools only; ThreadPool.map does the same, see the page
EXECUTORS = frozenset({"ProcessPoolExecutor"})
# The last names of the callees and streams that mpfix.analysis.lazy_input counts as lazy
# or large inputs: open() and io.open(), itertools.count(), cycle() and repeat(), a
# range(), and sys.stdin.
LAZY_CALLEES = frozenset({"open", "count", "cycle", "repeat", "range"})
STREAMS = frozenset({"stdin"})
MAX_DEPTH = 3  # as lazy_input follows a name to its value


class _Inputs:
    """The ``ast`` twin of mpfix.analysis.lazy_input's ``classify``, loosened so that it
    answers "may be lazy" wherever the rule may: a name's every binding in the module
    counts (the rule follows a name bound once, in its scope), and a generator expression
    counts whatever it reads."""

    def __init__(self, facts: AstFacts) -> None:
        self.callees = facts.aliases(LAZY_CALLEES)
        self.streams = facts.aliases(STREAMS)
        self.generators = frozenset(
            node.name
            for node in facts.nodes(ast.FunctionDef)
            if any(isinstance(inner, (ast.Yield, ast.YieldFrom)) for inner in ast.walk(node))
        )
        self.values: dict[str, list[ast.expr]] = {}  # what each name is bound to by `=` or `with ... as`
        for assign in facts.nodes(ast.Assign):
            for target in assign.targets:
                if isinstance(target, ast.Name):
                    self.values.setdefault(target.id, []).append(assign.value)
        for with_node in facts.nodes(ast.With, ast.AsyncWith):
            for item in with_node.items:
                if isinstance(item.optional_vars, ast.Name):
                    self.values.setdefault(item.optional_vars.id, []).append(item.context_expr)

    def may_be_lazy(self, node: ast.expr, depth: int = 0) -> bool:
        if isinstance(node, ast.GeneratorExp):
            return True
        if isinstance(node, (ast.Name, ast.Attribute)) and base_name(node) in self.streams:
            return True
        if isinstance(node, ast.Call):
            callee = base_name(node.func)
            return callee in self.callees or (isinstance(node.func, ast.Name) and callee in self.generators)
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
    generator expression, ``sys.stdin``, a call of ``open()``, ``range()``, an
    ``itertools`` counter or a generator function of the module, or a name bound to one."""
    calls = facts.method_calls(METHODS)
    if not calls:
        return False
    pools = facts.aliases(spellings(POOLS | EXECUTORS))
    inputs = _Inputs(facts)
    return any(_ast_lazy_map(call, pools, inputs) for call in calls)
