"""Fixes that change several files at once, as one unit.

A rule plans such a fix from the texts of the project's modules; here each new text is
checked as the engine checks its own (it parses and compiles), and the texts are handed
back whole, so that the runner applies them to every file or to none. Pure: texts in,
texts out.
"""

from __future__ import annotations

import ast
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from .model import Finding
from .rules._base import Unfixable
from .rules.ipc_outside_parent import across_fix


@dataclass(frozen=True)
class Fix:
    """The new text of each file the fix changes (path -> text), and its title."""

    texts: dict[str, str]
    title: str


# The planner of each rule whose spec says it fixes across files: the finding's file, its
# line, and the texts of the project's modules.
_PLANNERS: dict[str, Callable[[str, int, across_fix.Project], across_fix.Plan]] = {"MP003": across_fix.plan}


def fix_across(path: str, finding: Finding, project: Callable[[str, bool], Mapping[str, str] | None]) -> Fix | None:
    """The fix of ``finding`` (in the file at ``path``); None when its rule cannot prove
    one sound, or when a text it makes does not compile. ``project(file, only_itself)``
    gives the texts of that file and of every module of the project that may import it
    (or its own alone); None when one of them cannot be read."""

    def texts(path: str, *, only_itself: bool = False) -> Mapping[str, str]:
        found = project(path, only_itself)
        if found is None:
            raise Unfixable(f"{path} or a module that may import it cannot be read")
        return found

    try:
        plan = _PLANNERS[finding.code](path, finding.line, texts)
        for other, names in plan.unbound.items():
            across_fix.check_unbound(other, names, texts(other))
    except Unfixable:
        return None
    if not all(_compiles(text) for text in plan.texts.values()):
        return None
    return Fix(plan.texts, plan.title)


def _compiles(text: str) -> bool:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            compile(text, "<mpfix>", "exec", flags=ast.PyCF_ONLY_AST, dont_inherit=True)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return False
    return True
