"""The `ast` pre-check of pool-not-closed: False only when the rule can find nothing."""

from __future__ import annotations

import ast
from collections.abc import Collection, Iterator

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


def _ast_pool_name(node: ast.AST, pools: Collection[str]) -> str | None:
    """``NAME`` of ``NAME = <a call spelled like a pool>``."""
    if not (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)):
        return None
    return node.targets[0].id if isinstance(node.value, ast.Call) and callee_name(node.value) in pools else None


def _ast_scopes(tree: ast.Module) -> Iterator[list[ast.AST]]:
    """The nodes of each scope, without those of the scopes inside it."""
    scopes: list[ast.AST] = [tree]
    while scopes:
        nodes, pending = [], list(ast.iter_child_nodes(scopes.pop()))
        while pending:
            node = pending.pop()
            nodes.append(node)
            if isinstance(node, _AST_SCOPES):
                scopes.append(node)
            else:
                pending.extend(ast.iter_child_nodes(node))
        yield nodes


def _ast_unclosed(nodes: list[ast.AST], pools: Collection[str]) -> bool:
    """A pool bound to a name in this scope that the scope's own code never closes (the
    twin of ``Uses.closed``, which also sees the references in nested scopes), or whose
    name is declared global or nonlocal."""
    made = {name for node in nodes if (name := _ast_pool_name(node, pools))}
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
    """``NAME = <a call named like a pool, or imported as one>(...)`` in a scope whose
    own code never closes ``NAME`` (``NAME.close()``, ``with NAME``, ``del NAME``...)."""
    pools = facts.aliases(spellings(KINDS))
    if not any(_ast_pool_name(n, pools) for n in facts.nodes(ast.Assign)):
        return False
    return any(_ast_unclosed(nodes, pools) for nodes in _ast_scopes(facts.tree))
