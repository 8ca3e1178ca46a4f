"""A lambda that reads names of the function around it, moved to module level with those
names handed over as values: a ``Process`` target's parameters as ``args=``, and a
pool's task's names as keyword-only parameters of the moved function, which the pool gets
as ``functools.partial(moved, name=name, ...)``: it pickles the values with the
function's name. A lambda never pickles, so the pool call failed under every start
method: the fix makes it run, and the values must pickle then."""

from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst
from libcst.metadata import Assignment, PositionProvider, Scope

from ...analysis import match as m
from ...analysis.ipc import keyword, positional
from ...prechecks.unpicklable_task import ADVICE
from ...rewrite.handover import Edits
from ...rewrite.hoisting import lambda_as_def
from .._base import Unfixable
from .naming import parameter_names

if TYPE_CHECKING:  # pragma: no cover
    from . import Site, UnpicklableTask

# Why a local variable handed over as a value may differ from the lambda's read of it.
LOCAL_VALUE = (
    "a lambda reads {names} when it runs, and `functools.partial` takes the value when the task is sent: "
    "the same unless the function binds it again while the task may run"
)


def bound_names(rule: UnpicklableTask, function: cst.Lambda) -> tuple[list[str], list[str]]:
    """The names of the function around ``function`` that it reads and that the fix may
    hand over as values, in the order first read, and those of them that are local
    variables, not parameters. A name qualifies when the function binds it once: as a
    parameter, or by a plain assignment, ``for`` or ``with`` target in its own body that
    ends before the lambda. Other names are left to the hoisting's judgement."""
    scope = rule.scope(function)
    enclosing = getattr(scope, "node", None)
    if not isinstance(enclosing, cst.FunctionDef) or isinstance(function.params.star_kwarg, cst.Param):
        return [], []  # keywords of the call would go to ``**kwargs``, and could override a value
    start = rule.get_metadata(PositionProvider, function).start
    first_read: dict[str, tuple[int, int]] = {}
    locals_: list[str] = []
    for name in sorted({n.value for n in _reads(function)}):
        assignments = list(scope.assignments[name])
        if len(assignments) != 1 or not isinstance(assignments[0], Assignment):
            continue  # rebound, or a builtin's
        reads = [r.node for r in assignments[0].references if rule.hoisting.within(r.node, function)]
        if not reads:
            continue
        node = assignments[0].node
        if _the_instance(rule, enclosing, node):
            continue  # `self` would take the whole object along, and its pools and locks
        if not isinstance(node, cst.Param):
            if not _plainly_bound_before(rule, node, scope, (start.line, start.column)):
                continue
            locals_.append(name)
        positions = (rule.get_metadata(PositionProvider, read).start for read in reads)
        first_read[name] = min((position.line, position.column) for position in positions)
    names = sorted(first_read, key=first_read.__getitem__)
    return names, [name for name in names if name in locals_]


def _the_instance(rule: UnpicklableTask, function: cst.FunctionDef, node: cst.CSTNode) -> bool:
    """``node`` is the first parameter of a method (``self``, ``cls``)."""
    body = rule.parent(function)
    first = next(iter([*function.params.posonly_params, *function.params.params]), None)
    return node is first and isinstance(rule.parent(body), cst.ClassDef)


def _reads(function: cst.Lambda) -> list[cst.Name]:
    return [node for node in _walk(function.body) if isinstance(node, cst.Name)]


def _walk(node: cst.CSTNode) -> list[cst.CSTNode]:
    found, todo = [], [node]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(current.children)
    return found


def _plainly_bound_before(rule: UnpicklableTask, node: cst.CSTNode, scope: Scope, before: tuple[int, int]) -> bool:
    """``node`` is the target name of an assignment (with a value), a ``for`` or a
    ``with ... as`` in the function's own body, whose statement ends before ``before``."""
    if not isinstance(node, cst.Name) or rule.scope(node) is not scope:
        return False
    parent = rule.parent(node)
    holder = rule.parent(parent) if isinstance(parent, (cst.AssignTarget, cst.AsName)) else parent
    plain = (
        (isinstance(parent, cst.AssignTarget) and isinstance(holder, cst.Assign))
        or (isinstance(holder, cst.AnnAssign) and holder.target is node and holder.value is not None)
        or (isinstance(holder, cst.For) and holder.target is node)
        or (isinstance(parent, cst.AsName) and isinstance(holder, cst.WithItem))
    )
    statement = holder
    while statement is not None and not isinstance(statement, cst.BaseStatement):
        statement = rule.parent(statement)
    if not plain or statement is None:
        return False
    where = rule.get_metadata(PositionProvider, statement)
    if isinstance(statement, (cst.For, cst.With)):  # the lambda may be in its body
        return (where.start.line, where.start.column) < before
    return (where.end.line, where.end.column) <= before


def partial_spelling(rule: UnpicklableTask, at: cst.CSTNode) -> tuple[cst.BaseExpression, bool]:
    """How the module names ``functools.partial`` where ``at`` is: a module-level
    ``partial`` imported from ``functools``, or ``functools.partial`` (True: ``import
    functools`` is to be added). Raises LookupError when ``functools`` means something
    else there: bound otherwise in the module, or by a function around ``at``."""
    scope = rule.reach.global_scope
    for name, spelled in (("partial", cst.Name("partial")), ("functools", _functools_partial())):
        assignments = list(scope.assignments[name])
        if locally_bound(rule, at, name):
            if name == "functools":
                raise LookupError("a function around the task binds `functools` to something else")
            continue
        if not assignments:
            continue
        node = getattr(assignments[0], "node", None)
        if len(assignments) != 1 or not _imports(rule, node, name):
            if name == "functools" and len(assignments) == 1 and _imports(rule, node, name, anywhere=True):
                return spelled, True  # imported only where it may not run (``if TYPE_CHECKING:``)
            if name == "functools":
                raise LookupError("the module binds `functools` to something else")
            continue
        return spelled, False
    return _functools_partial(), True


def locally_bound(rule: UnpicklableTask, at: cst.CSTNode, name: str) -> bool:
    """A scope around ``at`` other than the module binds ``name``: there it does not
    name the module's global."""
    scope = rule.scope(at)
    while scope is not rule.reach.global_scope and scope.parent is not scope:
        if scope.assignments[name]:
            return True
        scope = scope.parent
    return False


def _functools_partial() -> cst.Attribute:
    return cst.Attribute(cst.Name("functools"), cst.Name("partial"))


def _imports(rule: UnpicklableTask, node: cst.CSTNode | None, name: str, anywhere: bool = False) -> bool:
    """``node`` is ``import functools`` (``name`` functools), or ``from functools import
    partial`` (``name`` partial), without ``as``, a statement of the module's own body
    (not under ``if TYPE_CHECKING:`` or in a ``try``), or ``anywhere``."""
    line = rule.parent(node) if node is not None else None
    if line is None or not (anywhere or rule.parent(line) is rule.module):
        return False
    if name == "functools":
        return isinstance(node, cst.Import) and any(
            m.matches(alias, m.ImportAlias(name=m.Name("functools"), asname=None)) for alias in node.names
        )
    return (
        isinstance(node, cst.ImportFrom)
        and m.matches(node.module, m.Name("functools"))
        and not isinstance(node.names, cst.ImportStar)
        and any(m.matches(alias, m.ImportAlias(name=m.Name("partial"), asname=None)) for alias in node.names)
    )


def import_anchor(module: cst.Module) -> cst.BaseStatement:
    """The statement before which ``import functools`` goes: the first at module level
    that is no docstring and no ``from __future__`` import, the first import as a rule,
    where ``functools`` sorts before the imports of ``multiprocessing``."""
    for index, statement in enumerate(module.body):
        first = statement.body[0] if isinstance(statement, cst.SimpleStatementLine) else None
        docstring = index == 0 and isinstance(first, cst.Expr) and isinstance(first.value, cst.SimpleString)
        future = isinstance(first, cst.ImportFrom) and m.matches(first.module, m.Name("__future__"))
        if not (docstring or future):
            return statement
    return module.body[-1]


def as_partial(spelled: cst.BaseExpression, name: str, values: list[str]) -> cst.Call:
    """``functools.partial(name, value=value, ...)``."""
    args = [cst.Arg(cst.Name(name))]
    args += [cst.Arg(cst.Name(value), keyword=cst.Name(value), equal=_EQUAL) for value in values]
    return cst.Call(spelled, args=args)


_EQUAL = cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace(""))


def keyword_only(params: cst.Parameters, values: list[str]) -> cst.Parameters:
    """``params`` and, after them, ``values`` as keyword-only parameters."""
    star = params.star_arg if isinstance(params.star_arg, cst.Param) else cst.ParamStar()
    kwonly = [*params.kwonly_params, *(cst.Param(cst.Name(value)) for value in values)]
    return params.with_changes(star_arg=star, kwonly_params=kwonly)


def passed_parameters(rule: UnpicklableTask, function: cst.Lambda | cst.FunctionDef, site: Site) -> list[str]:
    """The parameters of the function around a ``Process`` target (a lambda or a nested
    def) that the target reads, in the order it first reads them. The process can hand
    them to a module-level function as ``args=``: a parameter never rebound has, when the
    child starts, the value it had when the process was made. Empty unless the target
    takes no arguments and the call passes none, nor unpacks any."""
    scope = rule.scope(function)
    enclosing = getattr(scope, "node", None)
    given = positional(site.call)
    if (
        site.noun != "target"
        or not isinstance(enclosing, cst.FunctionDef)
        or parameter_names(function.params)
        or len(given) > 2
        or any(arg.star for arg in site.call.args)  # ``*a`` or ``**kw`` may already give args
        or keyword(site.call, "args") is not None
        or keyword(site.call, "kwargs") is not None
    ):
        return []
    first_read: dict[str, tuple[int, int]] = {}
    for name in parameter_names(enclosing.params):
        assignments = scope.assignments[name]
        if len(assignments) != 1:
            continue  # rebound: its value may change before the child starts
        if any(_deleted(rule, r.node) for a in assignments for r in a.references):
            continue  # ``del``: a forked child may find it gone, where args would still hold it
        reads = [r.node for a in assignments for r in a.references if rule.hoisting.within(r.node, function)]
        if reads:
            starts = (rule.get_metadata(PositionProvider, node).start for node in reads)
            first_read[name] = min((start.line, start.column) for start in starts)
    return sorted(first_read, key=first_read.__getitem__)


def _deleted(rule: UnpicklableTask, name: cst.CSTNode) -> bool:
    """``name`` is a target of ``del`` (``del n``, ``del a, n``)."""
    parent = rule.parents.get(name)
    while isinstance(parent, (cst.Element, cst.Tuple, cst.List)):
        parent = rule.parents.get(parent)
    return isinstance(parent, cst.Del)


def fix_with_partial(
    rule: UnpicklableTask, function: cst.Lambda, anchor: int, name: str, values: list[str], local: list[str]
) -> tuple[cst.Module, str, str | None]:
    """The lambda moved to module level as ``name``, with ``values`` (names of the
    function around it, ``local`` those of them that are no parameters) as keyword-only
    parameters, and sent as a ``functools.partial``; and why that is unsafe, if it is."""
    module = rule.module
    try:
        spelled, to_import = partial_spelling(rule, function)
    except LookupError as why:
        raise Unfixable(f"{why}: {ADVICE}") from None
    edits = Edits()
    if to_import:
        functools = cst.SimpleStatementLine([cst.Import([cst.ImportAlias(cst.Name("functools"))])])
        edits.insert_before(import_anchor(module), [functools])
    moved = lambda_as_def(name, function.with_changes(params=keyword_only(function.params, values)))
    edits.insert_before(module.body[anchor], [moved])
    partial = as_partial(spelled, name, values)
    edits.change(function, lambda _: partial)
    title = f"Move the lambda to a module-level function `{name}`, sent as `{module.code_for_node(partial)}`"
    unsafe = LOCAL_VALUE.format(names=", ".join(f"`{name}`" for name in local)) if local else None
    return edits.apply(module), title, unsafe
