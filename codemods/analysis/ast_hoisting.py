"""Why a lambda cannot move to module level, on Python's ``ast``: the twin of
mpfix.rewrite.hoisting's ``obstacle`` for the one shape that a rule decides on ``ast``
(see RuleSpec.decide), a lambda in a function's body that reads the function's own
names. Every answer is the one libcst's scopes give, or UNSURE."""

from __future__ import annotations

import ast
import builtins
from collections.abc import Collection

from .ast_api import UNSURE, _Unsure
from .ast_scopes import binds_or_declares, parameters
from .ast_walk import walk
from .prechecks import AstFacts, is_main_guard_test

_BUILTINS = frozenset(dir(builtins))
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
# What makes a lambda's names more than its own parameters and those of the function around it.
_NESTED = (ast.Lambda, *_COMPREHENSIONS, ast.NamedExpr)


def enclosing_function(facts: AstFacts, node: ast.AST) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    """The function whose body holds ``node``, when the scope around ``node`` is that
    body's (not a decorator, a default or a class)."""
    child, parent = node, facts.scopes.parent(node)
    while parent is not None:
        if isinstance(parent, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return parent if any(child is statement for statement in parent.body) else None
        if isinstance(parent, (ast.ClassDef, ast.Lambda, *_COMPREHENSIONS)):
            return None
        child, parent = parent, facts.scopes.parent(parent)
    return None


def _bindings(function: ast.FunctionDef | ast.AsyncFunctionDef, name: str) -> list[ast.AST]:
    """Every node inside ``function`` (nested scopes too) that binds or declares ``name``."""
    return [node for node in walk(function) if node is not function and binds_or_declares(node, name)]


def passed_parameters(
    facts: AstFacts, lambda_: ast.Lambda, call: ast.Call, noun: str, function: ast.FunctionDef | ast.AsyncFunctionDef
) -> set[str] | _Unsure:
    """The rule's ``_passed_parameters``: the parameters of ``function`` that the lambda
    reads and that nothing else binds, when a process target takes no arguments of its own."""
    given = [arg for arg in call.args if not isinstance(arg, ast.Starred)]
    keywords = {k.arg for k in call.keywords}
    if noun != "target" or parameters(lambda_) or len(given) > 2 or keywords & {"args", "kwargs"}:
        return set()
    read = {node.id for node in walk(lambda_.body) if isinstance(node, ast.Name)}
    passed = set()
    for name in read & {arg.arg for arg in parameters(function)}:
        others = [node for node in _bindings(function, name) if not _is_parameter_of(node, function)]
        if others:
            return UNSURE  # rebound, or bound again in a nested scope: libcst's count tells
        passed.add(name)
    return passed


def _is_parameter_of(node: ast.AST, function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    return any(node is arg for arg in parameters(function))


def lambda_obstacle(
    facts: AstFacts, lambda_: ast.Lambda, function: ast.FunctionDef | ast.AsyncFunctionDef, passed: Collection[str]
) -> str | _Unsure | None:
    """Why ``lambda_``, in the body of ``function``, cannot move to module level (the
    first name it reads, in source order, that would mean something else there); None
    when it can; UNSURE where only libcst's scopes can tell."""
    args = lambda_.args
    if args.defaults or any(default is not None for default in args.kw_defaults):
        return UNSURE  # the rule checks where a default's names are bound
    if any(isinstance(node, _NESTED) for node in walk(lambda_.body)):
        return UNSURE
    own = {arg.arg for arg in parameters(lambda_)}
    reads = sorted(
        (node for node in walk(lambda_.body) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)),
        key=lambda node: (node.lineno, node.col_offset),
    )
    for read in reads:
        name = read.id
        if name in own or name in passed:
            continue
        found = _local_reason(facts, lambda_, function, name)
        if found is None:
            found = _global_reason(facts, function, name)
        if found is not None:
            return found
    return None


def _local_reason(
    facts: AstFacts, lambda_: ast.Lambda, function: ast.FunctionDef | ast.AsyncFunctionDef, name: str
) -> str | _Unsure | None:
    """What the rule says of ``name`` bound in ``function``; None when the function binds
    it nowhere, so that the read reaches further out."""
    bindings = _bindings(function, name)
    if not bindings:
        return None
    parameter = [node for node in bindings if _is_parameter_of(node, function)]
    own = [node for node in bindings if not _is_parameter_of(node, function)]
    if parameter and own:
        return UNSURE  # a parameter rebound: which binding libcst names first is not fixed
    if parameter:
        return f"it reads `{name}`, a parameter of `{function.name}`"
    scope = facts.scopes
    if any(
        scope.scope_of(node) is not function or isinstance(node, (ast.Global, ast.Nonlocal, ast.arg)) for node in own
    ):
        return UNSURE  # bound in a nested scope, or declared global
    before = (lambda_.lineno, lambda_.col_offset)
    if any(isinstance(node, ast.Name) and isinstance(node.ctx, ast.Del) for node in own) or not any(
        _plainly_binds(facts, node) and _statement_end(facts, node) <= before for node in own
    ):
        return UNSURE  # bound only after the lambda, or by ``+=`` or ``del``: libcst's scopes tell
    return f"it reads `{name}`, a local variable of `{function.name}`"


def _plainly_binds(facts: AstFacts, node: ast.AST) -> bool:
    """``node`` binds its name by an assignment, a ``for`` or ``with`` target, an import,
    a ``def`` or a ``class``: what libcst, too, takes for an assignment of the name."""
    if isinstance(node, (ast.alias, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return True
    parent = facts.scopes.parent(node)
    if isinstance(parent, ast.Assign):
        return any(node is target for target in parent.targets)
    if isinstance(parent, (ast.AnnAssign, ast.For, ast.AsyncFor)):
        return parent.target is node and (not isinstance(parent, ast.AnnAssign) or parent.value is not None)
    return isinstance(parent, ast.withitem) and parent.optional_vars is node


def _names(node: ast.AST, name: str) -> bool:
    return isinstance(node, ast.Name) and node.id == name


def _statement_end(facts: AstFacts, node: ast.AST) -> tuple[int, int]:
    while not isinstance(node, ast.stmt) and (parent := facts.scopes.parent(node)) is not None:
        node = parent
    return (getattr(node, "end_lineno", None) or 0, getattr(node, "end_col_offset", None) or 0)


def _global_reason(
    facts: AstFacts, function: ast.FunctionDef | ast.AsyncFunctionDef, name: str
) -> str | _Unsure | None:
    """What the rule says of a module-level ``name`` read from ``function``: only a
    function at module level, or a method of a class there, reads the module's names."""
    outer = facts.scopes.scope_of(function)
    while isinstance(outer, ast.ClassDef):
        outer = facts.scopes.scope_of(outer)
    if not isinstance(outer, ast.Module) or name in facts.scopes.declared:
        return UNSURE
    if any(_names(node.target, name) for node in facts.nodes(ast.NamedExpr)):
        return UNSURE  # a := binds where only libcst's scopes tell
    bindings = facts.scopes.module_bindings.get(name)
    if not bindings:
        return None if name in _BUILTINS else UNSURE
    guarded = False
    for node in bindings:
        top = facts.top_level_of(node)
        if isinstance(top, ast.If) and is_main_guard_test(top.test):
            if top.orelse or not is_main_guard_test(top.test, strict=True):
                return UNSURE
            guarded = True
    if guarded:
        return f"it reads `{name}`, which is assigned under the `__main__` guard that child processes do not run"
    return None
