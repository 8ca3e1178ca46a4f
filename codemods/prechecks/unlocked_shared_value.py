"""The `ast` pre-check of unlocked-shared-value: False only when the rule can find nothing."""

from __future__ import annotations

import ast

from ..analysis.ast_walk import CLASS, FUNCTION, children, walk
from ..analysis.prechecks import AstFacts, callee_name, positional_args
from ..analysis.project.apis import POOLS
from ..libraries import spellings

FACTORIES = frozenset({"Value", "Array", "RawValue", "RawArray"})
# Pool and executor methods that hand their first argument the task's arguments (the
# rule's HANDING, which this module may not import: it imports libcst).
HANDING = frozenset({"apply", "apply_async", "submit"})


def _ast_held(facts: AstFacts) -> set[int]:
    """The statements (by id) that ``_held`` surely finds held: in the body of a ``with``
    on something lock-like (see ``_lock_like``), in the same function."""
    held: set[int] = set()
    for node in facts.nodes(ast.With, ast.AsyncWith):
        if any(_ast_lock_like(item.context_expr) for item in node.items):
            inside: list[ast.AST] = list(node.body)
            while inside:
                child = inside.pop()
                held.add(id(child))
                if not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
                    inside.extend(children(child))
    return held


def _ast_lock_like(item: ast.expr) -> bool:
    """Any name or attribute, or a call whose callee's name says "lock"."""
    if not isinstance(item, ast.Call):
        return True
    func = item.func
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    return "lock" in name.lower()


def _ast_updated(statement: ast.AugAssign | ast.Assign) -> ast.Name | None:
    """``v`` when ``statement`` may be what ``_check`` is given: ``v.value`` or ``v[...]``
    updated, by an augmented assignment or by one whose value reads ``v``."""
    targets = [statement.target] if isinstance(statement, ast.AugAssign) else statement.targets
    target = targets[0] if len(targets) == 1 else None
    if not ((isinstance(target, ast.Attribute) and target.attr == "value") or isinstance(target, ast.Subscript)):
        return None
    base = target.value
    if not isinstance(base, ast.Name):
        return None
    if isinstance(statement, ast.AugAssign) or any(
        isinstance(n, ast.Name) and n.id == base.id for n in walk(statement.value)
    ):
        return base
    return None


def _ast_may_be_shared(facts: AstFacts, factories: frozenset[str]) -> set[str]:
    """Names that ``SharedValues.lock_of`` may prove shared: parameters, and names assigned
    a call spelled like a factory or another name (every other binding proves nothing)."""
    names = {arg.arg for arg in facts.nodes(ast.arg)}
    for node in facts.nodes(ast.Assign, ast.AnnAssign):
        value = node.value
        if isinstance(value, ast.Name) or (isinstance(value, ast.Call) and callee_name(value) in factories):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names |= {target.id for target in targets if isinstance(target, ast.Name)}
    return names


def _unproven_parameter(facts: AstFacts, base: ast.Name) -> bool:
    """``base`` is a parameter of the function whose own scope reads it, and one that
    ``SharedValues._handed`` proves nothing of: the function is decorated, or it is a
    method whose name its class never mentions (no call of it passes anything that
    libcst follows). The parameter binds before the body, so it is among the bindings
    that the read refers to, and one unproven binding leaves ``lock_of`` with None."""
    function = facts.scopes.scope_of(base)
    if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return False
    arguments = function.args
    every = [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs, arguments.vararg, arguments.kwarg]
    if not any(arg is not None and arg.arg == base.id for arg in every):
        return False
    if function.decorator_list:
        return True
    owner = facts.scopes.parent(function)
    if isinstance(owner, ast.ClassDef):
        return not any(isinstance(node, ast.Name) and node.id == function.name for node in walk(owner))
    # A use of the function's name that hands nothing the rule follows (``partial(f, v)``,
    # ``callbacks.append(f)``): read in the scope that defines it, after the def, it is a
    # use of the def, or of another binding of the name (and the rule follows a name
    # bound once only).
    scope, pools = facts.scopes.scope_of(function), facts.aliases(spellings(POOLS))
    return any(not _may_hand(facts, read, pools) for read in facts.scopes.reads(scope, function.name, after=function))


def _may_hand(facts: AstFacts, read: ast.Name, pools: frozenset[str]) -> bool:
    """The ``ast`` twin of ``SharedValues._arguments``, a superset: ``read`` is called, or
    given as ``target=`` or ``initializer=``, or as the task of ``x.submit(read, ...)`` and
    its kin, or among the arguments of a call spelled like a pool."""
    parent = facts.scopes.parent(read)
    if isinstance(parent, ast.keyword):
        return parent.arg in ("target", "initializer")
    if not isinstance(parent, ast.Call):
        return False
    func = parent.func
    first = positional_args(parent)[:1]  # ``*args`` left out, as the rule leaves them
    if func is read or (isinstance(func, ast.Attribute) and func.attr in HANDING and first == [read]):
        return True
    return any(arg is read for arg in parent.args) and callee_name(parent) in pools


APIS = FACTORIES


def precheck(facts: AstFacts) -> bool:
    """A call spelled like a factory, and in a function or class ``v.value += ...``,
    ``v[i] += ...`` or ``v.value = <an expression that reads v>`` that no ``with`` on
    something lock-like holds, where ``v`` may be shared: a parameter (not one of a
    decorated function or of a method that its class never names), or a name assigned
    such a call or another name."""
    factories = facts.aliases(spellings(FACTORIES))
    if not facts.calls_to(factories):
        return False
    nodes = facts.nodes(ast.AugAssign, ast.Assign, levels=(CLASS, FUNCTION))
    updates = {id(node): base for node in nodes if (base := _ast_updated(node))}
    if not updates:
        return False
    shared, held = _ast_may_be_shared(facts, factories), _ast_held(facts)
    # A base bound before, in its own scope, to anything but a name, a factory's call
    # or None is one that ``SharedValues.lock_of`` cannot prove shared.
    return any(
        base.id in shared
        and node not in held
        and not facts.scopes.bound_to_others(base, factories, none_binds=False)
        and not _unproven_parameter(facts, base)
        for node, base in updates.items()
    )
