"""Code actions: a quick fix per finding that has a fix, "ignore on this line", and fix-all.

A fix rewrites the whole module (a guard takes in the rest of the script), so its edits
are the minimal differences between the text before and after, which may lie far from
the finding. Computing them runs the engine, so fixes are offered without their edits and
resolved when chosen, where the client can (``codeAction/resolve``).
"""

from __future__ import annotations

from collections.abc import Sequence

from lsprotocol import types

from ..edits import Edit, text_edits
from ..model import Finding, Safety
from ..registry import BY_CODE
from ..suppressions import ignore_edit
from .diagnostics import Reported
from .positions import Lines

FIX_ALL = "source.fixAll.mpfix"
KINDS = [types.CodeActionKind.QuickFix, FIX_ALL]
# What a lazy action says it is, in its data: the fix of one finding, or every safe fix.
FIX_ONE, FIX_EVERY = "fix", "fixAll"


def offered(
    uri: str,
    lines: Lines,
    reported: Sequence[Reported],
    requested: types.CodeActionParams,
    *,
    unsafe_fixes: bool,
) -> list[types.CodeAction]:
    """The actions for the findings in the requested range, and fix-all when a safe fix exists."""
    only = requested.context.only
    actions: list[types.CodeAction] = []
    if _wanted(only, types.CodeActionKind.QuickFix):
        for item in reported:
            if _overlaps(item.diagnostic.range, requested.range):
                actions.extend(_for_finding(uri, lines, item, unsafe_fixes))
    if _wanted(only, FIX_ALL) and any(item.finding.fix is Safety.SAFE for item in reported):
        actions.append(types.CodeAction(title="mpfix: fix all (safe fixes)", kind=FIX_ALL, data={"uri": uri}))
    return actions


def _for_finding(uri: str, lines: Lines, item: Reported, unsafe_fixes: bool) -> list[types.CodeAction]:
    finding, diagnostics = item.finding, [item.diagnostic]
    actions = []
    if finding.fixable(unsafe_fixes):
        unsafe = finding.fix is Safety.UNSAFE
        title = finding.fix_title or f"Fix {finding.name}"
        actions.append(
            types.CodeAction(
                title=f"{finding.code}: {title}" + (" (unsafe fix)" if unsafe else ""),
                kind=types.CodeActionKind.QuickFix,
                diagnostics=diagnostics,
                is_preferred=not unsafe,
                data={"uri": uri, "kind": FIX_ONE, "finding": finding.to_dict()},
            )
        )
    if finding.code in BY_CODE and (edit := ignore_edit(lines.text, finding)) is not None:
        actions.append(
            types.CodeAction(
                title=f"Ignore {finding.code} on this line",
                kind=types.CodeActionKind.QuickFix,
                diagnostics=diagnostics,
                edit=workspace_edit(uri, lines, [edit]),
            )
        )
    return actions


def fix_of(action: types.CodeAction) -> tuple[str, Finding | None] | None:
    """What a lazy action fixes: its document, and its finding (None: every safe fix)."""
    data = action.data if isinstance(action.data, dict) else {}
    if "uri" not in data:
        return None
    return data["uri"], Finding.from_dict(data["finding"]) if data.get("kind") == FIX_ONE else None


def workspace_edit(uri: str, lines: Lines, edits: Sequence[Edit]) -> types.WorkspaceEdit:
    return types.WorkspaceEdit(changes={uri: [lines.text_edit(edit) for edit in edits]})


def fixed_edit(uri: str, lines: Lines, fixed: str | None) -> types.WorkspaceEdit:
    """The edit from the text of ``lines`` to ``fixed`` (none when there is no fix)."""
    return workspace_edit(uri, lines, text_edits(lines.text, fixed) if fixed is not None else [])


def _wanted(only: Sequence[str] | None, kind: str) -> bool:
    """Whether the client asks for actions of ``kind`` (``source.fixAll`` asks for ours too)."""
    return only is None or any(kind == asked or kind.startswith(asked + ".") for asked in only)


def _overlaps(a: types.Range, b: types.Range) -> bool:
    def key(position: types.Position) -> tuple[int, int]:
        return position.line, position.character

    return key(a.start) <= key(b.end) and key(b.start) <= key(a.end)
