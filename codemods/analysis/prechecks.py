"""Cheap structural pre-checks on Python's own ``ast``, run before libcst's analysis.

Python's C parser is an order of magnitude faster than libcst with scope metadata, so a
rule whose findings need a shape that the ``ast`` does not have skips the file. Every
check here over-approximates: it may let a file through that the rule then finds clean,
never the reverse (a test runs each rule with and without its pre-check over a corpus).

The rules ask their questions of one :class:`AstFacts` per module: one walk indexes the
nodes, and every answer that more than one rule needs (import aliases, the functions that
reach child processes) is worked out once, when first asked.
"""

from __future__ import annotations

import ast
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any, TypeVar, overload

from ..libraries import spellings
from .api_refs import ApiRefs
from .ast_api import AstApi, AstNames
from .ast_findings import AstSource
from .ast_import_time import indexed, walked
from .ast_index import TopLevel
from .ast_scopes import AstScopes
from .ast_walk import EVERYWHERE, ModuleIndex, index_of
from .project.apis import POOLS, TASK_METHODS

N = TypeVar("N", bound=ast.AST)
N2 = TypeVar("N2", bound=ast.AST)
N3 = TypeVar("N3", bound=ast.AST)


@dataclass(frozen=True)
class Entries:
    """Top-level functions that may run in a child (the ``ast`` twin of mpfix.analysis.entries):
    a superset, since callees are known by their last name only."""

    targets: frozenset[str]  # Process(target=f)
    tasks: frozenset[str]  # pool.map(f, ...), executor.submit(f, ...), on a pool made right there
    initializers: frozenset[str]  # Pool(initializer=f), also by position

    @property
    def targets_or_tasks(self) -> frozenset[str]:
        return self.targets | self.tasks

    @property
    def runs_in_child(self) -> frozenset[str]:
        return self.targets | self.tasks | self.initializers


class AstFacts:
    """One module's ``ast``, indexed once for the pre-checks of every rule."""

    def __init__(self, tree: ast.Module, text: str = "", index: ModuleIndex | None = None) -> None:
        self.tree = tree
        self.text = text  # the source, for the rules that decide on ``ast`` (see RuleSpec.decide)
        self._index = index  # the caller's, when it has one
        self._aliases: dict[frozenset[str], frozenset[str]] = {}
        self._apis: dict[str, AstApi] = {}

    def forget(self) -> None:
        """Forget what was worked out, which will be worked out again if asked. Much of it
        refers back to these facts: without this, the module's tree lives on until the
        cycle collector walks all of it; with it, refcounting frees the tree as soon as
        its last user lets it go."""
        tree, text, index = self.tree, self.text, self._index
        self.__dict__.clear()
        self.__init__(tree, text, index)  # type: ignore[misc]

    @cached_property
    def _levels(self) -> tuple[dict[type[ast.AST], list[ast.AST]], ...]:
        # When a pre-check first asks: a file no rule's needles match needs none.
        return self._index.levels if self._index is not None else index_of(self.tree)

    @cached_property
    def scopes(self) -> AstScopes:
        """Parents, scopes and reads of names: for the pre-checks that follow a binding."""
        return AstScopes(self.tree, lambda: self.nodes(ast.Global, ast.Nonlocal))

    @cached_property
    def source(self) -> AstSource:
        return AstSource(self.text, self.scopes)

    def api(self, rule: str) -> AstApi:
        """Callees resolved as rule ``rule`` hears them (see mpfix.analysis.ast_api)."""
        if rule not in self._apis:
            self._apis[rule] = AstApi(self._names, rule)
        return self._apis[rule]

    @cached_property
    def _names(self) -> AstNames:
        return AstNames(self)

    def top_level_of(self, node: ast.AST) -> ast.AST:
        """The statement of the module's body that holds ``node``."""
        while (parent := self.scopes.parent(node)) is not None and parent is not self.tree:
            node = parent
        return node

    @cached_property
    def top_level(self) -> TopLevel:
        return TopLevel(self.tree, self._index)

    @classmethod
    def of(cls, module: AstFacts | ast.Module) -> AstFacts:
        """The facts of ``module``, indexed now if it is a bare ``ast``."""
        return module if isinstance(module, AstFacts) else cls(module)

    # A signature per number of types asked for: the nodes have the union of those types.
    @overload
    def nodes(self, kind: type[N], /, *, levels: Collection[int] = EVERYWHERE) -> list[N]: ...
    @overload
    def nodes(self, kind: type[N], kind2: type[N2], /, *, levels: Collection[int] = EVERYWHERE) -> list[N | N2]: ...
    @overload
    def nodes(
        self, kind: type[N], kind2: type[N2], kind3: type[N3], /, *, levels: Collection[int] = EVERYWHERE
    ) -> list[N | N2 | N3]: ...
    @overload
    def nodes(self, *types: type[ast.AST], levels: Collection[int] = EVERYWHERE) -> list[ast.AST]: ...
    def nodes(self, *types: type[ast.AST], levels: Collection[int] = EVERYWHERE) -> list[Any]:
        """The nodes of ``types`` at ``levels`` (in no particular order)."""
        found = [self._levels[level].get(kind, ()) for level in levels for kind in types]
        return [node for nodes in found for node in nodes]

    def blocks(self) -> Iterator[list[ast.stmt]]:
        """Every block of statements: bodies, ``else`` and ``finally`` blocks."""
        for found in self._levels:
            for kind, nodes in found.items():
                fields = [f for f in ("body", "orelse", "finalbody") if f in kind._fields]
                for node in nodes if fields else ():
                    for field in fields:
                        block = getattr(node, field)
                        if isinstance(block, list) and block:
                            yield block

    def aliases(self, names: Iterable[str]) -> frozenset[str]:
        """``names`` plus every name they are imported as (``from m import Pool as P``)."""
        key = frozenset(names)
        if key not in self._aliases:
            self._aliases[key] = key | {asname for name, asname in self._imported if name in key}
        return self._aliases[key]

    @cached_property
    def stored(self) -> frozenset[str]:
        """The names that some ``Name`` node stores or deletes, anywhere in the module."""
        return frozenset(node.id for node in self.nodes(ast.Name) if not isinstance(node.ctx, ast.Load))

    @cached_property
    def _imported(self) -> frozenset[tuple[str, str]]:
        """(last imported name, the name bound) of each ``import ... as ...``."""
        return frozenset(
            (alias.name.rsplit(".", 1)[-1], alias.asname)
            for node in self.nodes(ast.Import, ast.ImportFrom)
            for alias in node.names
            if alias.asname
        )

    @cached_property
    def _sources(self) -> dict[str, set[str]] | None:
        """What each name that an import binds may stand for (``os.path`` for ``import
        os.path as p``, ``os`` for ``import os.path``); None when a star import may bind
        any name."""
        sources: dict[str, set[str]] = {}
        for node in self.nodes(ast.Import, ast.ImportFrom):
            for alias in node.names:
                if alias.name == "*":
                    return None
                if isinstance(node, ast.ImportFrom):
                    bound = alias.asname or alias.name
                    full = "." * node.level + (f"{node.module}." if node.module else "") + alias.name
                else:
                    bound = alias.asname or alias.name.split(".")[0]
                    full = alias.name if alias.asname else bound
                sources.setdefault(bound, set()).add(full)
        return sources

    @cached_property
    def _api_refs(self) -> ApiRefs | None:
        if self._sources is None:
            return None
        assignments = self.nodes(ast.Assign, ast.AnnAssign)
        return ApiRefs(self._sources, assignments, self.nodes(ast.Name, ast.Attribute))

    def refers_to(self, apis: Collection[str], rule: str | None = None) -> bool:
        """Whether some name of the module may resolve, through the library table, to one
        of the canonical ``apis`` of a library that ``rule`` applies to (see
        mpfix.analysis.api_refs); always so under a star import."""
        return self._api_refs is None or self._api_refs.refers_to(apis, rule)

    def may_resolve_to(self, expr: ast.expr, qualified: Collection[str]) -> bool:
        """Whether libcst's qualified names of ``expr`` may include one of ``qualified``:
        the root name stands for itself, a builtin or what an import binds to it, and a
        call or subscript in the chain for what it is made of (``os.system``, never
        ``platform.system``)."""
        parts: list[str] = []
        while not isinstance(expr, ast.Name):
            if isinstance(expr, ast.Attribute):
                parts.append(expr.attr)
                expr = expr.value
            elif isinstance(expr, (ast.Call, ast.Subscript)):
                expr = expr.func if isinstance(expr, ast.Call) else expr.value
            else:
                return True
        if self._sources is None:
            return True
        roots = {expr.id, "builtins." + expr.id, *self._sources.get(expr.id, ())}
        return any(".".join([root, *reversed(parts)]) in qualified for root in roots)

    @cached_property
    def _calls(self) -> dict[str | None, list[ast.Call]]:
        by_callee: dict[str | None, list[ast.Call]] = {}
        for call in self.nodes(ast.Call):
            by_callee.setdefault(callee_name(call), []).append(call)
        return by_callee

    def calls_to(self, names: Iterable[str]) -> list[ast.Call]:
        """The calls whose callee's last name (``Pool`` of ``mp.Pool``) is one of ``names``."""
        return [call for name in names for call in self._calls.get(name, ())]

    def method_calls(self, names: Iterable[str]) -> list[ast.Call]:
        """``x.name(...)`` calls, for each of ``names``."""
        return [call for call in self.calls_to(names) if isinstance(call.func, ast.Attribute)]

    @cached_property
    def functions(self) -> dict[str, ast.FunctionDef | ast.AsyncFunctionDef]:
        """The module's top-level functions by name."""
        return {n.name: n for n in self.tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}

    @cached_property
    def locally_defined(self) -> frozenset[str]:
        """Names the module defines itself with ``def`` or ``class`` and never imports: a
        bare name of these never resolves to an imported API."""
        defined = {
            n.name for n in self.tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
        }
        imported = {
            (alias.asname or alias.name).split(".")[0]
            for node in self.nodes(ast.Import, ast.ImportFrom)
            for alias in node.names
        }
        return frozenset(defined - imported)

    @cached_property
    def process_classes(self) -> frozenset[str]:
        """Top-level classes with a base spelled like ``Process``."""
        process = self.aliases(spellings({"Process"}))
        return frozenset(
            node.name
            for node in self.tree.body
            if isinstance(node, ast.ClassDef) and any(base_name(base) in process for base in node.bases)
        )

    @cached_property
    def guards(self) -> tuple[int, int]:
        """How many top-level statements are surely, and how many may be, ``__main__``
        guards as mpfix.analysis.guard sees them (see :func:`is_main_guard_test`)."""
        tests = [s.test for s in self.tree.body if isinstance(s, ast.If) and not s.orelse]
        return sum(is_main_guard_test(t, strict=True) for t in tests), sum(is_main_guard_test(t) for t in tests)

    @cached_property
    def entries(self) -> Entries:
        """The top-level functions handed to a child, found as mpfix.analysis.entries finds them."""
        process = self.aliases(spellings({"Process"}))
        pools = self.aliases(spellings(POOLS))
        made = self._pool_names(pools)
        targets: set[str] = set()
        tasks: set[str] = set()
        initializers: set[str] = set()
        # The calls by their callee's last name (see ``calls_to``), not every call of the module.
        for call in self.calls_to(process):
            targets |= {k.value.id for k in call.keywords if k.arg == "target" and isinstance(k.value, ast.Name)}
        for call in self.calls_to(pools):
            given = [*call.args, *(k.value for k in call.keywords if k.arg == "initializer")]
            initializers |= {arg.id for arg in given if isinstance(arg, ast.Name)}
        for call in self.calls_to(TASK_METHODS):
            task = call.args[0] if call.args else None
            if isinstance(task, ast.Call) and callee_name(task) == "partial" and task.args:
                task = task.args[0]  # ``partial(f, ...)`` runs f
            if isinstance(task, ast.Name):
                receiver = call.func.value if isinstance(call.func, ast.Attribute) else None
                made_here = isinstance(receiver, ast.Call) and callee_name(receiver) in pools
                if made_here or (isinstance(receiver, ast.Name) and receiver.id in made):
                    tasks.add(task.id)
        functions = set(self.functions)
        return Entries(
            frozenset(targets & functions), frozenset(tasks & functions), frozenset(initializers & functions)
        )

    def _pool_names(self, pools: frozenset[str]) -> set[str]:
        """Names bound to a pool made right there: ``p = Pool()``, ``with Pool() as p``."""
        names = {
            target.id
            for node in self.nodes(ast.Assign)
            if isinstance(node.value, ast.Call) and callee_name(node.value) in pools
            for target in node.targets
            if isinstance(target, ast.Name)
        }
        for node in self.nodes(ast.With, ast.AsyncWith):
            for item in node.items:
                made = isinstance(item.context_expr, ast.Call) and callee_name(item.context_expr) in pools
                if made and isinstance(item.optional_vars, ast.Name):
                    names.add(item.optional_vars.id)
        return names

    @cached_property
    def import_time_calls(self) -> list[tuple[ast.stmt, ast.Call]]:
        """(top-level statement, call) for the calls that run when the module is imported
        (see mpfix.analysis.ast_import_time), in no particular order."""
        if self._index is not None:  # each statement's nodes by level: no walk of its own
            pairs = zip(self.tree.body, self._index.statements, strict=True)
            return [(statement, call) for statement, levels in pairs for call in indexed(levels, _surely_a_guard)]
        return [(statement, call) for statement in self.tree.body for call in walked(statement, _surely_a_guard)]

    def top_level_callers(self, names: Collection[str], methods: Collection[str]) -> set[str]:
        """Top-level functions that call a bare name in ``names`` or a method in
        ``methods``, directly or through each other: ``main`` in ``def main(): run()``
        with ``def run(): Pool()``."""
        calls = {name: self.top_level.inside(f, ast.Call) for name, f in self.functions.items()}
        callees = {name: {c.func.id for c in found if isinstance(c.func, ast.Name)} for name, found in calls.items()}
        callers = {name for name, found in calls.items() if any(calls_one_of(c, names, methods) for c in found)}
        while grown := {name for name, called in callees.items() if called & callers} - callers:
            callers |= grown
        return callers


def base_name(node: ast.expr) -> str | None:
    """The last name of a dotted expression: ``Pool`` for ``mp.get_context("spawn").Pool``."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def callee_name(call: ast.Call) -> str | None:
    return base_name(call.func)


def calls_one_of(call: ast.Call, names: Collection[str], methods: Collection[str]) -> bool:
    """``call`` calls a bare name in ``names`` or a method (``x.m()``) in ``methods``."""
    func = call.func
    return (isinstance(func, ast.Name) and func.id in names) or (
        isinstance(func, ast.Attribute) and func.attr in methods
    )


def may_be_instance(expr: ast.expr, names: Collection[str]) -> bool:
    """The shapes that mpfix.analysis.bindings' ``is_instance`` proves: a call of a callee spelled
    like one of ``names``, or a plain name (whose bindings only libcst follows)."""
    return isinstance(expr, ast.Name) or (isinstance(expr, ast.Call) and callee_name(expr) in names)


def positional_args(call: ast.Call) -> list[ast.expr]:
    """The positional arguments, ``*args`` left out (as mpfix.analysis.ipc.positional)."""
    return [arg for arg in call.args if not isinstance(arg, ast.Starred)]


def keyword_value(call: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


def unpacks(call: ast.Call) -> bool:
    """``*args`` or ``**kwargs`` among the arguments."""
    return any(isinstance(arg, ast.Starred) for arg in call.args) or any(k.arg is None for k in call.keywords)


def _is_dunder_name(node: ast.expr) -> bool:
    return isinstance(node, ast.Name) and node.id == "__name__"


def _is_main_string(node: ast.expr, strict: bool) -> bool:
    """``"__main__"``; ``strict``: written as one literal, as libcst's ``SimpleString`` (a
    concatenation such as ``"__ma" "in__"`` is one constant to ``ast``, none to libcst):
    any two literals take at least 12 characters, one at most 11."""
    if not (isinstance(node, ast.Constant) and node.value == "__main__"):
        return False
    return not strict or (node.lineno == node.end_lineno and (node.end_col_offset or 0) - node.col_offset <= 11)


def is_main_guard_test(test: ast.expr, strict: bool = False) -> bool:
    """The ``ast`` twin of :func:`mpfix.analysis.guard.is_main_test`; ``strict``: only tests
    that libcst's twin surely accepts, otherwise also those it may accept."""
    if not isinstance(test, ast.Compare) or len(test.ops) != 1:
        return False
    left, right, op = test.left, test.comparators[0], test.ops[0]
    if isinstance(op, ast.Eq):
        return (_is_dunder_name(left) and _is_main_string(right, strict)) or (
            _is_dunder_name(right) and _is_main_string(left, strict)
        )
    if isinstance(op, ast.In) and _is_dunder_name(left) and isinstance(right, (ast.Tuple, ast.List, ast.Set)):
        return bool(right.elts) and all(_is_main_string(e, strict) for e in right.elts)
    return False


def _surely_a_guard(node: ast.If) -> bool:
    return is_main_guard_test(node.test, strict=True)
