"""Tasks that another module of the project binds to a lambda: pickle cannot send them,
and only that module can be changed to fix it, so the finding is reported only."""

from __future__ import annotations

from ...analysis.project.model import ProjectView


def foreign_lambda(project: ProjectView | None, written: str) -> tuple[str, str] | None:
    """(what the task is, how to fix it by hand) when ``written`` (``square``,
    ``helpers.square``) names a lambda bound in another module; None otherwise."""
    found = next((item for item in project.lambdas if item.written == written), None) if project else None
    if found is None:
        return None
    what = f"`{written}`, a lambda that {found.where} binds at line {found.line}"
    return what, f"the lambda is in {found.where}: make it a `def` of the same name there"
