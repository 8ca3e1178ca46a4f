"""The `ast` pre-check of pool-not-closed: False only when the rule can find nothing."""

from __future__ import annotations

import ast
from collections.abc import Callable, Collection

from ..analysis.ast_api import UNSURE
from ..analysis.ast_walk import children
from ..analysis.prechecks import AstFacts, callee_name
from ..libraries import EVERY_API, spellings

KINDS = ("ThreadPool", "Pool", "ProcessPoolExecutor", "ProcessingPool")
_AST_SCOPES = (
    ast.FunctionDef,
    ast.AsyncFunctionDef,
    ast.Lambda,
    ast.ClassDef,
    ast.ListComp,
    ast.SetComp,
    ast.DictComp,
    ast.GeneratorExp,
)


def _ast_pool_name(node: ast.AST, pools: Collection[str], makes: Callable[[ast.Call], bool]) -> str | None:
    """``NAME`` of ``NAME = <a call spelled like a pool, that may make one>``."""
    if not (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)):
        return None
    value = node.value
    return node.targets[0].id if isinstance(value, ast.Call) and callee_name(value) in pools and makes(value) else None


def _makes(facts: AstFacts) -> Callable[[ast.Call], bool]:
    """Whether a call may be one that mpfix.analysis.bindings' ``makes`` sees make one of
    KINDS: its API as the rule hears it may be one, or it is ``ctx.<kind>()`` on a name
    that some ``ctx = <call>`` binds to what may be ``get_context()`` (``makes`` needs
    every binding of ``ctx`` to be such an assignment)."""
    api = facts.api("MP011")

    def may_be(call: ast.Call, apis: Collection[str]) -> bool:
        found = api.call_api(call)
        return found is UNSURE or found in apis

    contexts = {
        target.id
        for node in facts.nodes(ast.Assign)
        if isinstance(node.value, ast.Call) and may_be(node.value, {"get_context"})
        for target in node.targets
        if isinstance(target, ast.Name)
    }

    def makes(call: ast.Call) -> bool:
        func = call.func
        return may_be(call, KINDS) or (
            isinstance(func, ast.Attribute)
            and func.attr in KINDS
            and isinstance(func.value, ast.Name)
            and func.value.id in contexts
        )

    return makes


def _own_nodes(scope: ast.AST) -> list[ast.AST]:
    """The nodes of ``scope`` (a def's decorators and defaults, a comprehension's first
    iterable included), and of the scopes inside it only their own nodes."""
    nodes, pending = [], children(scope)
    while pending:
        node = pending.pop()
        nodes.append(node)
        if not isinstance(node, _AST_SCOPES):
            pending.extend(children(node))
    return nodes


def _scope_holding(facts: AstFacts, statement: ast.stmt) -> ast.AST:
    """The innermost def, class or module that holds ``statement`` (no lambda or
    comprehension holds a statement), told by position."""
    where = (statement.lineno, statement.col_offset)
    holders = [
        node
        for node in facts.nodes(ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
        if (node.lineno, node.col_offset) < where <= (node.end_lineno or 0, node.end_col_offset or 0)
    ]
    return max(holders, key=lambda node: (node.lineno, node.col_offset), default=facts.tree)


def _ast_unclosed(nodes: list[ast.AST], pools: Collection[str], makes: Callable[[ast.Call], bool]) -> bool:
    """A pool bound to a name in this scope that the scope's own code never closes (the
    twin of ``Uses.closed``, which also sees the references in nested scopes), or whose
    name is declared global or nonlocal."""
    made = {name for node in nodes if (name := _ast_pool_name(node, pools, makes))}
    closed: set[str] = set()
    declared: set[str] = set()
    for node in nodes if made else ():
        if isinstance(node, ast.Attribute) and node.attr in CLOSING and isinstance(node.value, ast.Name):
            closed.add(node.value.id)
        elif isinstance(node, ast.withitem):
            item = node.context_expr
            given = [*item.args, *(k.value for k in item.keywords)] if isinstance(item, ast.Call) else [item]
            closed |= {arg.id for arg in given if isinstance(arg, ast.Name)}
        elif isinstance(node, ast.Delete) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            closed.add(node.targets[0].id)
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            declared.update(node.names)
    return bool(made - closed or made & declared)


CLOSING = frozenset({"close", "terminate", "shutdown", "join", "__enter__", "__exit__"})

APIS = EVERY_API  # thread pools too


def precheck(facts: AstFacts) -> bool:
    """``NAME = <a call named like a pool, or imported as one>(...)``, that may make a pool
    as the rule's ``makes`` sees it (see ``_makes``: ``self.Pool()`` makes none), in a
    scope whose own code never closes ``NAME`` (``NAME.close()``, ``with NAME``, ``del
    NAME``...)."""
    pools = facts.aliases(spellings(KINDS))
    if not any(callee_name(n.value) in pools for n in facts.nodes(ast.Assign) if isinstance(n.value, ast.Call)):
        return False
    makes = _makes(facts)
    made = [n for n in facts.nodes(ast.Assign) if _ast_pool_name(n, pools, makes)]
    scopes = {id(scope): scope for scope in (_scope_holding(facts, node) for node in made)}
    return any(_ast_unclosed(_own_nodes(scope), pools, makes) for scope in scopes.values())
