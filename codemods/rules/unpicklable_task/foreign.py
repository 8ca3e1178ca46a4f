"""Tasks that another module of the project binds to a lambda: pickle cannot send them.

The finding is where the fix is, in the module that binds the lambda, when that module is
one the run checks: there a module-level ``NAME = lambda`` becomes a ``def`` of the same
name (see .named_lambda), which the other module imports and pickle finds. A module that
the run only reads (a neighbour of a file named alone) cannot be changed: then the module
that hands the lambda over reports it, without a fix.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import libcst as cst
from libcst.metadata import GlobalScope

from ...analysis.project.model import ProjectView, SentLambda
from .named_lambda import define, lone_line

# How another module hands a callable to its children, by the handover's kind.
HANDED_AS = {"target": "a process target", "task": "a pool task", "initializer": "a pool initializer"}


def foreign_lambda(project: ProjectView | None, written: str) -> tuple[str, str] | None:
    """(what the task is, how to fix it by hand) when ``written`` (``square``,
    ``helpers.square``) names a lambda bound in another module; None otherwise."""
    found = next((item for item in project.lambdas if item.written == written), None) if project else None
    if found is None:
        return None
    what = f"`{written}`, a lambda that {found.where} binds at line {found.line}"
    return what, f"the lambda is in {found.where}: make it a `def` of the same name there"


@dataclass(frozen=True)
class Sent:
    """A module-level lambda of this module that another module hands to its children."""

    assign: cst.Assign
    message: str
    fix: tuple[cst.Module, str] | None  # the module with the lambda a def, and the fix's title
    reason: str  # what to do by hand, when there is no fix


def sent_lambdas(module: cst.Module, project: ProjectView | None, scope: GlobalScope, why: str) -> Iterator[Sent]:
    """The lambdas of ``module`` (whose global scope is ``scope``) that the project says
    other modules hand over, once each; ``why``: why pickle cannot send a lambda."""
    handed: dict[str, SentLambda] = {}
    for item in project.sent_lambdas if project is not None else ():
        handed.setdefault(item.name, item)
    assigns = [
        (line, small)
        for line in module.body
        if isinstance(line, cst.SimpleStatementLine)
        for small in line.body
        if isinstance(small, cst.Assign) and isinstance(small.value, cst.Lambda) and len(small.targets) == 1
    ]
    for line, assign in assigns:
        target = assign.targets[0].target
        if not isinstance(target, cst.Name) or target.value not in handed:
            continue
        item = handed.pop(target.value)
        if len(scope.assignments[item.name]) != 1:
            continue  # which of its values the other module imports is not plain to see
        # A pool pickles its tasks under every start method; fork copies a process's target.
        when = "" if item.kind == "task" else " under spawn and forkserver"
        message = (
            f"`{item.name}` is a lambda, and {item.by} hands it to child processes as {HANDED_AS[item.kind]} on "
            f"line {item.line}, which pickles it{when}: {why}"
        )
        lone = lone_line(module, line, assign)
        fix = define(module, lone) if lone is not None else None
        yield Sent(assign, message, fix, f"define it with `def {item.name}(...)` on a line of its own")
