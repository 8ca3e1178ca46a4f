"""Bound methods with a name-mangled (``__name``) name, sent to another process.

Inside a class, ``self.__work`` reads the attribute ``_Worker__work``, but the method's
``__name__`` stays ``__work``. Multiprocessing's pickler (``multiprocessing.reduction``)
sends a bound method as ``getattr(instance, method.__name__)``, so the child looks up
``__work`` and fails with ``AttributeError``. Python 3.15's ``pickle`` module pickles
such methods, but multiprocessing registers its own reducer for methods and still sends
``__name__``, so this fails on every Python version.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import libcst as cst

from ...prechecks.unpicklable_task import is_mangled
from .._base import Unfixable

WHY = (
    "multiprocessing sends a bound method by its `__name__`, and the child looks up the unmangled name "
    "(also on Python 3.15, whose `pickle` module can)"
)
# Name mangling keeps subclasses apart, and the file cannot tell what other modules do.
RENAME_RISK = "a base or subclass in another module may define the new name, or another module may use the mangled one"


def mangled_method(task: cst.BaseExpression, parents: Mapping[cst.CSTNode, cst.CSTNode]) -> cst.FunctionDef | None:
    """The plain method that ``task`` (``self.__work`` in a method of the class that
    defines ``def __work``) binds, or None."""
    if not (isinstance(task, cst.Attribute) and isinstance(task.value, cst.Name) and is_mangled(task.attr.value)):
        return None
    method, owner = _enclosing_method(task, parents)
    if method is None or owner is None or _first_parameter(method) != task.value.value:
        return None
    for statement in owner.body.body:
        if isinstance(statement, cst.FunctionDef) and statement.name.value == task.attr.value:
            # A decorated def may be a staticmethod, a property or anything else.
            return statement if not statement.decorators and _first_parameter(statement) else None
    return None


def renamed_method(
    module: cst.Module, method: cst.FunctionDef, parents: Mapping[cst.CSTNode, cst.CSTNode]
) -> tuple[cst.Module, str]:
    """``module`` with ``method`` renamed from ``__work`` to ``_work``, and the new name.

    Every use of a mangled name is inside its class, as ``x.__work``; the rename changes
    all of them, so it needs that the file spells ``__work`` nowhere else (a nested
    class, a string) and spells neither ``_work`` nor ``_Worker__work`` at all."""
    owner = parents.get(parents[method])
    assert isinstance(owner, cst.ClassDef)  # mangled_method found it in the class body
    old = method.name.value
    new = old[1:]
    renamer = _Renamer(old, new)
    changed = owner.visit(renamer)
    assert isinstance(changed, cst.ClassDef)  # _Renamer changes names only
    code = module.code
    if _spelled(new, code) or _spelled(f"_{owner.name.value.lstrip('_')}{old}", code):
        raise Unfixable(f"the file already uses `{new}` or the mangled name: rename the method by hand")
    if _spelled(old, code) != renamer.renamed:
        raise Unfixable(f"the file uses `{old}` outside the methods of `{owner.name.value}`: rename it by hand")
    fixed = module.deep_replace(owner, changed)
    assert isinstance(fixed, cst.Module)
    return fixed, new


def _spelled(name: str, code: str) -> int:
    return len(re.findall(rf"(?<![\w]){re.escape(name)}(?![\w])", code))


class _Renamer(cst.CSTTransformer):
    """Renames ``def __work`` and ``x.__work`` in one class, outside the classes nested in it."""

    def __init__(self, old: str, new: str) -> None:
        self.old, self.new = old, new
        self.classes = 0
        self.renamed = 0

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.classes += 1

    def leave_ClassDef(self, original: cst.ClassDef, updated: cst.ClassDef) -> cst.ClassDef:
        self.classes -= 1
        return updated

    def leave_Name(self, original: cst.Name, updated: cst.Name) -> cst.Name:
        if self.classes == 1 and original.value == self.old:
            self.renamed += 1
            return updated.with_changes(value=self.new)
        return updated


def _enclosing_method(
    node: cst.CSTNode, parents: Mapping[cst.CSTNode, cst.CSTNode]
) -> tuple[cst.FunctionDef | None, cst.ClassDef | None]:
    """The def around ``node`` and the class whose body holds that def directly."""
    parent = parents.get(node)
    while parent is not None and not isinstance(parent, (cst.FunctionDef, cst.Lambda, cst.ClassDef)):
        parent = parents.get(parent)
    if not isinstance(parent, cst.FunctionDef) or parent.decorators:
        return None, None
    block = parents.get(parent)
    owner = parents.get(block) if isinstance(block, cst.IndentedBlock) else None
    return (parent, owner) if isinstance(owner, cst.ClassDef) else (None, None)


def _first_parameter(function: cst.FunctionDef) -> str | None:
    given = [*function.params.posonly_params, *function.params.params]
    return given[0].name.value if given else None
