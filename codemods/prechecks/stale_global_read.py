"""The `ast` pre-check of stale-global-read: False only when the rule can find nothing."""

from __future__ import annotations

import ast

from ..analysis.ast_scopes import reached_functions
from ..analysis.ast_walk import FUNCTION, MODULE, walk
from ..analysis.prechecks import AstFacts, is_main_guard_test
from ..analysis.project.apis import MUTATING_METHODS
from ..libraries import EVERY_API, THREAD_SIDE


def _changed_name(node: ast.AST) -> str | None:
    """``x`` of ``x.append(...)`` (and the other in-place methods), ``x[k] = v``, ``x.a = v``
    or ``del x[k]``."""
    if isinstance(node, ast.Call):
        func = node.func
        changed = func.value if isinstance(func, ast.Attribute) and func.attr in MUTATING_METHODS else None
    elif isinstance(node, (ast.Subscript, ast.Attribute)) and isinstance(node.ctx, (ast.Store, ast.Del)):
        changed = node.value
    else:
        return None
    return changed.id if isinstance(changed, ast.Name) else None


def _ast_run_time_names(facts: AstFacts) -> set[str]:
    """Names that the parent may set at run time: bound anywhere in a ``__main__`` guard,
    declared ``global`` in a function, or changed in place in a function or a guard. The
    rule counts only what a ``def`` of the module's body does (one the parent may run): a
    method runs wherever its object is, and code elsewhere runs at import."""
    guards = [s for s in facts.tree.body if isinstance(s, ast.If) and is_main_guard_test(s.test)]
    in_guards = [node for guard in guards for node in walk(guard)]
    names = {node.id for node in in_guards if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load)}
    globals_ = facts.nodes(ast.Global, levels=(FUNCTION,))
    names |= {name for node in globals_ if _in_a_def(facts, node) for name in node.names}
    changes = facts.nodes(ast.Call, ast.Subscript, ast.Attribute, levels=(FUNCTION,))
    found = [*(node for node in changes if _changed_name(node) is not None and _in_a_def(facts, node)), *in_guards]
    return names | {name for node in found if (name := _changed_name(node)) is not None}


def _in_a_def(facts: AstFacts, node: ast.expr | ast.stmt) -> bool:
    """``node`` lies in a ``def`` of the module's body, not in a class or at module level."""
    return isinstance(facts.top_level.at(node), (ast.FunctionDef, ast.AsyncFunctionDef))


def _module_names(facts: AstFacts) -> set[str]:
    """Every name that module-level code binds (the ``__main__`` guard's included), that a
    function declares ``global``, or that a ``:=`` binds: a superset of the names in the
    module's global scope that may hold data (imports, ``def`` and ``class`` never do)."""
    names = {node.id for node in facts.nodes(ast.Name, levels=(MODULE,)) if not isinstance(node.ctx, ast.Load)}
    names |= {name for node in facts.nodes(ast.Global) for name in node.names}
    names |= {node.target.id for node in facts.nodes(ast.NamedExpr) if isinstance(node.target, ast.Name)}
    captures = facts.nodes(ast.ExceptHandler, ast.MatchAs, ast.MatchStar, levels=(MODULE,))
    names |= {node.name for node in captures if node.name}
    names |= {node.rest for node in facts.nodes(ast.MatchMapping, levels=(MODULE,)) if node.rest}
    return names


APIS: frozenset[str] | None = EVERY_API - THREAD_SIDE


def precheck(facts: AstFacts) -> bool:
    """A function handed to a child, and a module-level name that the parent may set at
    run time (see ``_ast_run_time_names``) read in it or in a function it mentions."""
    if not facts.entries.runs_in_child:
        return False
    written = _ast_run_time_names(facts) & _module_names(facts)
    if not written:
        return False

    def names_in(function: ast.AST) -> list[ast.AST]:
        return facts.top_level.inside(function, ast.Name)

    entries = facts.entries.runs_in_child
    reached = [facts.functions[name] for name in reached_functions(facts.functions, entries, names_in)]
    # A read of the function's own local (``path = ...; open(path)``) reads no module-level name.
    return any(
        isinstance(node, ast.Name)
        and isinstance(node.ctx, ast.Load)
        and node.id in written
        and not facts.scopes.local_before(function, node)
        for function in reached
        for node in names_in(function)
    )
