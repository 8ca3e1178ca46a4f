"""The `ast` pre-check of pool-pickled-with-self: False only when the rule can find nothing."""

from __future__ import annotations

import ast
from bisect import bisect_left
from collections.abc import Collection
from typing import Generic, TypeVar

from ..analysis.ast_api import UNSURE
from ..analysis.prechecks import AstFacts, callee_name
from ..analysis.project.apis import POOLS, TASK_METHODS
from ..libraries import EVERY_API, spellings

# What cannot be pickled when stored on ``self``: a thread pool refuses as a process pool does.
STORED = POOLS | {"ThreadPool"}

_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)


def _ast_stores_pool(facts: AstFacts) -> bool:
    """``x.attr = Pool(...)`` (or an executor, or ``ctx.Pool(...)``) somewhere."""
    pools = facts.aliases(spellings(STORED))
    return any(
        isinstance(node.value, ast.Call)
        and callee_name(node.value) in pools
        and any(isinstance(target, ast.Attribute) for target in node.targets)
        for node in facts.nodes(ast.Assign)
    )


def _is_name(node: ast.expr, name: str) -> bool:
    return isinstance(node, ast.Name) and node.id == name


def _first_param(function: ast.FunctionDef | ast.AsyncFunctionDef) -> str | None:
    params = [*function.args.posonlyargs, *function.args.args]
    return params[0].arg if params else None


def _parameter_of_own_scope(facts: AstFacts, name: ast.Name) -> bool:
    """``name`` is a parameter of the function whose own scope reads it: that binding
    comes before the read, so libcst counts it among the read's bindings."""
    function = facts.scopes.scope_of(name)
    if not isinstance(function, (*_FUNCTIONS, ast.Lambda)):
        return False
    arguments = function.args
    every = [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs, arguments.vararg, arguments.kwarg]
    return any(arg is not None and arg.arg == name.id for arg in every)


def _may_make(facts: AstFacts, call: ast.Call, apis: Collection[str]) -> set[str]:
    """The ``apis`` that ``bindings.makes(call, {api})`` may hold for: the callee resolves
    to one (or may), or it is ``name.API(...)`` with ``name`` perhaps bound only to
    ``get_context(...)`` (never so when ``name`` is a parameter there: ``cls.Pool(4)``)."""
    api = facts.api("MP016").call_api(call)
    if api is UNSURE:
        return set(apis)
    found = {api} & set(apis) if isinstance(api, str) else set()
    func = call.func
    if isinstance(func, ast.Attribute) and func.attr in apis and isinstance(func.value, ast.Name):
        found |= set() if _parameter_of_own_scope(facts, func.value) else {func.attr}
    return found


N = TypeVar("N", bound=ast.expr | ast.stmt)


class _ByPlace(Generic[N]):
    """Nodes in the order of their start, to pick those of one method's body at once."""

    def __init__(self, nodes: list[N]) -> None:
        self.nodes = sorted(nodes, key=lambda node: (node.lineno, node.col_offset))
        self.starts = [(node.lineno, node.col_offset) for node in self.nodes]

    def in_body(self, method: ast.FunctionDef | ast.AsyncFunctionDef) -> list[N]:
        """The nodes that lie in ``method``'s body (nested definitions included): they
        start between the start of its first statement and its end (a node that starts
        there ends there too)."""
        start = (method.body[0].lineno, method.body[0].col_offset)
        end = (method.end_lineno or method.lineno, method.end_col_offset or 0)
        return self.nodes[bisect_left(self.starts, start) : bisect_left(self.starts, end)]


def _stored(
    facts: AstFacts, methods: list[ast.FunctionDef | ast.AsyncFunctionDef], assigns: _ByPlace[ast.Assign]
) -> dict[str, set[str]]:
    """``{attribute: the APIs it may hold}`` of what ``_stored_pools`` may find, of
    ``assigns``: the assignments of a call to an attribute, at least."""
    stored: dict[str, set[str]] = {}
    for method in methods if assigns.nodes else ():
        own = _first_param(method)
        if own is None:
            continue
        for node in assigns.in_body(method):
            assert isinstance(node.value, ast.Call)  # as ``assigns`` holds
            for target in node.targets:
                on_own = isinstance(target, ast.Attribute) and _is_name(target.value, own)
                if on_own and (apis := _may_make(facts, node.value, STORED)):
                    assert isinstance(target, ast.Attribute)
                    stored.setdefault(target.attr, set()).update(apis)
    return stored


def _may_be_pool(facts: AstFacts, receiver: ast.expr, stored: dict[str, set[str]], own: str) -> bool:
    """``_process_pool``: a process pool stored on the object, or one that
    ``bindings.is_instance`` may prove (a call that makes one, or a name)."""
    if isinstance(receiver, ast.Attribute) and _is_name(receiver.value, own):
        return bool(stored.get(receiver.attr, set()) & POOLS)
    if isinstance(receiver, ast.Call):
        return bool(_may_make(facts, receiver, POOLS))
    return isinstance(receiver, ast.Name)


def _class_may_find(
    facts: AstFacts, cls: ast.ClassDef, assigns: _ByPlace[ast.Assign], calls: _ByPlace[ast.Call]
) -> bool:
    methods = [s for s in cls.body if isinstance(s, _FUNCTIONS)]
    stored = _stored(facts, methods, assigns)
    if not stored:
        return False
    for method in methods:
        own = _first_param(method)
        if own is None or method.decorator_list:
            continue
        for call in calls.in_body(method):
            assert isinstance(call.func, ast.Attribute)
            args = [a for a in call.args if not isinstance(a, ast.Starred)]
            task = args[0] if args else None
            if not (isinstance(task, ast.Attribute) and _is_name(task.value, own)):
                continue
            if _may_be_pool(facts, call.func.value, stored, own):
                return True
    return False


APIS = EVERY_API  # a thread pool on `self` cannot be pickled either


def precheck(facts: AstFacts) -> bool:
    """In some class, a method stores on its first parameter what may be a pool
    (``self.pool = Pool()``, by what the callee resolves to, or ``ctx.Pool()`` on a name
    that is not a parameter there), and an undecorated method of the class hands
    ``<its first parameter>.method`` to a task method of what may be a process pool:
    such a pool stored on the object, a call that may make one, or a name."""
    if not _ast_stores_pool(facts):
        return False
    assigns = _ByPlace([
        node
        for node in facts.nodes(ast.Assign)
        if isinstance(node.value, ast.Call) and any(isinstance(target, ast.Attribute) for target in node.targets)
    ])
    calls = _ByPlace(facts.method_calls(TASK_METHODS))
    return any(_class_may_find(facts, cls, assigns, calls) for cls in facts.nodes(ast.ClassDef))
