"""The `ast` pre-check of lost-async-result: False only when the rule can find nothing."""

from __future__ import annotations

import ast

from ..analysis.ast_scopes import AstScopes
from ..analysis.prechecks import AstFacts, keyword_value, may_be_instance, positional_args, unpacks
from ..libraries import spellings

# Pool methods whose name no other common API has: found on any receiver. Each takes
# `error_callback` as its fifth positional argument.
ASYNC_METHODS = frozenset({"apply_async", "map_async", "starmap_async"})
# The pools that have them. Celery's tasks have an `apply_async` too, whose result is
# thrown away on purpose (the worker logs a failure): in a module that imports Celery,
# only a receiver proven to be one of these pools is reported.
ASYNC_POOLS = frozenset({"Pool", "ThreadPool"})
CELERY = "celery"
EXECUTORS = frozenset({"ProcessPoolExecutor", "ThreadPoolExecutor", "InterpreterPoolExecutor"})
# Methods that only put something into a container: a container used only by these is
# never read.
FILLING = frozenset({"append", "add", "extend", "insert"})


def _ast_hears_of_errors(call: ast.Call) -> bool:
    """The ``ast`` twin of ``_hears_of_errors``."""
    return keyword_value(call, "error_callback") is not None or len(positional_args(call)) >= 5 or unpacks(call)


def _ast_imports(facts: AstFacts, package: str) -> bool:
    """The module imports ``package`` or one of its modules (absolutely)."""
    for node in facts.nodes(ast.Import, ast.ImportFrom):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            names = [node.module] if node.module and not node.level else []
        if any(name.split(".")[0] == package for name in names):
            return True
    return False


def _may_be_pool(facts: AstFacts, receiver: ast.expr, pools: frozenset[str]) -> bool:
    """``receiver`` may be proven one of ``pools`` (see mpfix.analysis.bindings'
    ``is_instance``): no binding before it makes it something else."""
    if isinstance(receiver, ast.Name) and facts.scopes.bound_to_others(receiver, pools):
        return False
    return may_be_instance(receiver, pools)


def _ast_may_be_lost(facts: AstFacts, call: ast.Call) -> bool:
    """The ``ast`` twin of ``_lost``: where the handle (or a comprehension of them) goes is
    a place ``_lost`` reports, unless the same scope surely reads it later: a statement of
    its own, a value assigned to plain names that are not read after, an argument of
    ``X.append()`` and its kin where ``X`` is not read after but to be filled."""
    scopes = facts.scopes
    holder: ast.expr = call
    parent = scopes.parent(call)
    if isinstance(parent, (ast.ListComp, ast.SetComp)) and parent.elt is call:
        holder, parent = parent, scopes.parent(parent)
    if isinstance(parent, ast.Expr):
        return True
    if isinstance(parent, (ast.Assign, ast.AnnAssign)) and parent.value is holder:
        targets = parent.targets if isinstance(parent, ast.Assign) else [parent.target]
        scope = scopes.scope_of(parent)
        names = [t.id for t in targets if isinstance(t, ast.Name)]
        return len(names) == len(targets) and not any(any(scopes.reads(scope, n, after=parent)) for n in names)
    container = _filled(parent)
    if container is None or not (isinstance(parent, ast.Call) and any(arg is holder for arg in parent.args)):
        return False
    scope = scopes.scope_of(container)
    if scopes.binds_after(scope, container.id, after=container):
        return True  # a later read may read another binding
    return all(_fills(read, scopes) for read in scopes.reads(scope, container.id, after=container))


def _fills(read: ast.Name, scopes: AstScopes) -> bool:
    """``read`` is the ``X`` of ``X.append(...)`` or its kin."""
    attribute = scopes.parent(read)
    return attribute is not None and _filled(scopes.parent(attribute)) is read


def _filled(call: ast.AST | None) -> ast.Name | None:
    """``X`` of ``X.append(...)`` or its kin; None for any other node."""
    func = call.func if isinstance(call, ast.Call) else None
    if isinstance(func, ast.Attribute) and func.attr in FILLING and isinstance(func.value, ast.Name):
        return func.value
    return None


APIS = None  # `x.apply_async(...)` loses its errors on any receiver


def precheck(facts: AstFacts) -> bool:
    """``executor.submit(...)``, or ``x.apply_async(...)`` (or another async method)
    without an error callback, whose handle may be lost (see ``_ast_may_be_lost``)."""
    calls = [c for c in facts.method_calls(ASYNC_METHODS) if not _ast_hears_of_errors(c)]
    if _ast_imports(facts, CELERY):
        pools = facts.aliases(spellings(ASYNC_POOLS))
        calls = [c for c in calls if _may_be_pool(facts, c.func.value, pools)]  # type: ignore[attr-defined]
    executors = facts.aliases(spellings(EXECUTORS))
    calls += [c for c in facts.method_calls(["submit"]) if may_be_instance(c.func.value, executors)]  # type: ignore[attr-defined]
    return any(_ast_may_be_lost(facts, call) for call in calls)
