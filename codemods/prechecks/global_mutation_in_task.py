"""The `ast` pre-check of global-mutation-in-task: False only when the rule can find nothing."""

from __future__ import annotations

import ast

from ..analysis.ast_index import walk
from ..analysis.ast_scopes import reached_functions
from ..analysis.prechecks import MODULE, AstFacts, callee_name
from ..analysis.project.apis import CONTAINER_CALLS, MUTATORS
from ..libraries import EVERY_API, THREAD_SIDE

AST_CONTAINERS = (ast.List, ast.Dict, ast.Set, ast.ListComp, ast.DictComp, ast.SetComp)


def _ast_containers(facts: AstFacts) -> set[str]:
    """Names that module-level code binds to a container (the twin of ``_module_container``)."""
    makers = facts.aliases(name.rsplit(".", 1)[-1] for name in CONTAINER_CALLS)
    return {
        target.id
        for node in facts.nodes(ast.Assign, levels=(MODULE,))
        if isinstance(node.value, AST_CONTAINERS)
        or (isinstance(node.value, ast.Call) and callee_name(node.value) in makers)
        for target in node.targets
        if isinstance(target, ast.Name)
    }


def _ast_change(node: ast.AST, containers: set[str]) -> bool:
    """``X.append(...)``, ``X[k] = v`` or ``del X[k]`` for ``X`` in ``containers``."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in MUTATORS:
        changed = node.func.value
    elif isinstance(node, ast.Subscript) and isinstance(node.ctx, (ast.Store, ast.Del)):
        changed = node.value
    else:
        return False
    return isinstance(changed, ast.Name) and changed.id in containers


APIS: frozenset[str] | None = EVERY_API - THREAD_SIDE


def precheck(facts: AstFacts) -> bool:
    """A process target or pool task, and in it or a function it mentions (the rule's
    helpers that only children call are among those) a ``global`` statement or an
    in-place change of a name that module-level code binds to a container."""
    if not facts.entries.targets_or_tasks:
        return False
    reached = reached_functions(facts.functions, facts.entries.targets_or_tasks)
    nodes = [node for name in reached for node in walk(facts.functions[name])]
    if any(isinstance(node, ast.Global) for node in nodes):
        return True
    containers = _ast_containers(facts)
    return bool(containers) and any(_ast_change(node, containers) for node in nodes)
