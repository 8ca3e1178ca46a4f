"""The `ast` pre-check of global-mutation-in-task: False only when the rule can find nothing."""

from __future__ import annotations

import ast

from ..analysis.ast_api import _Unsure
from ..analysis.ast_reach import DEFINITIONS, AstReach
from ..analysis.ast_scopes import reached_functions
from ..analysis.ast_walk import MODULE
from ..analysis.prechecks import AstFacts, callee_name
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


def _ast_change(node: ast.AST, containers: set[str]) -> str | None:
    """``X`` of ``X.append(...)``, ``X[k] = v`` or ``del X[k]`` for ``X`` in ``containers``."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in MUTATORS:
        changed = node.func.value
    elif isinstance(node, ast.Subscript) and isinstance(node.ctx, (ast.Store, ast.Del)):
        changed = node.value
    else:
        return None
    return changed.id if isinstance(changed, ast.Name) and changed.id in containers else None


APIS: frozenset[str] | None = EVERY_API - THREAD_SIDE


def precheck(facts: AstFacts) -> bool:
    """A process target or pool task, and in it or a function it mentions (the rule's
    helpers that only children call are among those) a ``global`` statement or an
    in-place change of a name that module-level code binds to a container, where the
    parent may read that name (see ``_parent_may_read``)."""
    if not facts.entries.targets_or_tasks:
        return False
    inside = facts.top_level.inside
    reached = reached_functions(facts.functions, facts.entries.targets_or_tasks, lambda f: inside(f, ast.Name))
    nodes = [node for name in reached for node in inside(facts.functions[name])]
    changed = {name for node in nodes if isinstance(node, ast.Global) for name in node.names}
    containers = _ast_containers(facts)
    changed |= {name for node in nodes if (name := _ast_change(node, containers)) is not None}
    return bool(changed) and _parent_may_read(facts, changed)


def _parent_may_read(facts: AstFacts, names: set[str]) -> bool:
    """One of ``names`` may be read where the rule's ``_parent_read`` looks: in a
    statement of the module's body that is no definition, or in a function that only the
    parent runs. A read in a class, or in a function that a class or a child may call,
    is never the parent's for sure, and the rule says nothing of it."""
    reach = AstReach(facts)
    parent_only = reach.parent_only(script=True)
    if isinstance(parent_only, _Unsure):
        return True
    for name in names:
        uses = reach.uses(name)
        if isinstance(uses, _Unsure):
            return True
        for use in uses:
            top = facts.top_level_of(use)
            if not isinstance(top, DEFINITIONS) or (
                isinstance(top, (ast.FunctionDef, ast.AsyncFunctionDef)) and top.name in parent_only
            ):
                return True
    return False
