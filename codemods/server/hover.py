"""Hover on a rule code in a suppression comment: the rule's one-line summary and its page."""

from __future__ import annotations

import re

from lsprotocol import types

from ..registry import BY_CODE, BY_NAME
from ..suppressions import scan
from .positions import Lines

_WORD = re.compile(r"[A-Za-z][A-Za-z0-9-]*")


def hover(lines: Lines, position: types.Position) -> types.Hover | None:
    """The rule named where ``position`` is, inside a `# mpfix: ignore[...]` or `# noqa: ...`."""
    row, column = lines.row_column(position)
    for directive in scan(lines.text):
        if directive.line != row or not directive.column <= column < directive.end_column:
            continue
        for word in _WORD.finditer(directive.text):
            start = directive.column + word.start()
            spec = BY_CODE.get(word.group().upper()) or BY_NAME.get(word.group().lower())
            if spec is not None and start <= column < start + len(word.group()):
                summary = f"**{spec.code}** `{spec.name}`: {spec.summary}\n\n[{spec.name}]({spec.url})"
                return types.Hover(
                    contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=summary),
                    range=lines.range(row, start, row, start + len(word.group())),
                )
    return None
