"""A module-level ``NAME = lambda ...: ...`` made ``def NAME(...): return ...``.

Pickle refers to a function by its module and name, and a lambda's name is ``<lambda>``:
no pool can send it. A ``def`` of the same name in the same place binds the same name, at
the same moment, to a function that computes the same, and pickles by that name.
"""

from __future__ import annotations

import libcst as cst

from ...rewrite.handover import Edits
from ...rewrite.hoisting import lambda_as_def


def lone_line(module: cst.Module, line: cst.CSTNode | None, assign: cst.Assign) -> cst.SimpleStatementLine | None:
    """``line``, when it is a top-level statement of ``module`` (so not under the guard,
    which a child does not run) that holds ``NAME = lambda`` alone, with a single plain name."""
    if not isinstance(line, cst.SimpleStatementLine) or list(line.body) != [assign] or line not in module.body:
        return None
    one_name = len(assign.targets) == 1 and isinstance(assign.targets[0].target, cst.Name)
    return line if one_name else None


def define(module: cst.Module, line: cst.SimpleStatementLine) -> tuple[cst.Module, str]:
    """``module`` with ``line`` (``NAME = lambda ...: ...``) made the def it stands for,
    comments kept, and the fix's title."""
    assign = line.body[0]
    assert isinstance(assign, cst.Assign) and isinstance(assign.value, cst.Lambda)
    name = cst.ensure_type(assign.targets[0].target, cst.Name).value
    function = lambda_as_def(name, assign.value)
    body = cst.ensure_type(function.body, cst.IndentedBlock).with_changes(header=line.trailing_whitespace)
    edits = Edits()
    edits.change(line, lambda _: function.with_changes(leading_lines=line.leading_lines, body=body))
    return edits.apply(module), f"Define `{name}` with `def`, which pickle finds by its name"
