"""The names that a function binds to what a pool hands out, and the lists it makes to
collect them: what tells that a handle is kept, or that an iterator is read to its end."""

from __future__ import annotations

import libcst as cst
from libcst.metadata import BaseAssignment, ScopeProvider

from ...analysis import match as m
from ...analysis.bindings import Bindings


def assignments(bindings: Bindings, target: cst.Name) -> list[BaseAssignment]:
    """The bindings of ``target``'s name in its scope (none when it has no scope)."""
    scope = bindings.visitor.get_metadata(ScopeProvider, target, None)
    return list(scope.assignments[target.value]) if scope is not None else []


def assigned_to(bindings: Bindings, value: cst.CSTNode | None) -> cst.Name | None:
    """``h`` of ``h = value``."""
    assign = bindings.parent(value)
    if not (isinstance(assign, cst.Assign) and assign.value is value and len(assign.targets) == 1):
        return None
    target = assign.targets[0].target
    return target if isinstance(target, cst.Name) and assignments(bindings, target) else None


def new_collection(bindings: Bindings, name: cst.Name, kinds: tuple[str, ...] = ("list", "set")) -> cst.Name | None:
    """The binding of ``name``, when that binding, the only one of the name in its
    scope, makes a new list or set (of ``kinds``)."""
    found = bindings.of(name)
    target = found[0] if len(found) == 1 and isinstance(found[0], cst.Name) else None
    if target is None:
        return None
    value = getattr(bindings.parent(bindings.parent(target)), "value", None)
    literals = {"list": (cst.List, cst.ListComp), "set": (cst.Set, cst.SetComp)}
    made = isinstance(value, tuple(node for kind in kinds for node in literals[kind])) or (
        isinstance(value, cst.Call)
        and bool(bindings.api.qualified_names(value.func) & {f"builtins.{kind}" for kind in kinds})
    )
    alone = assigned_to(bindings, value) is target and len(assignments(bindings, target)) == 1
    return target if made and alone else None


def extends_a_list(bindings: Bindings, value: cst.BaseExpression) -> bool:
    """``xs.extend(value)``, where ``xs`` is a list that its one binding makes: the list
    reads ``value`` to its end there and then."""
    arg = bindings.parent(value)
    call = bindings.parent(arg) if isinstance(arg, cst.Arg) and arg.keyword is None and not arg.star else None
    extend = m.Call(func=m.Attribute(value=m.Name(), attr=m.Name("extend")), args=[m.Arg()])
    if not (isinstance(call, cst.Call) and m.matches(call, extend)):
        return False
    receiver = cst.ensure_type(cst.ensure_type(call.func, cst.Attribute).value, cst.Name)
    return new_collection(bindings, receiver, ("list",)) is not None
