"""A fix as text edits: the minimal regions that turn the original text into the fixed one.

The engine rewrites a whole module; editors, the JSON output and SARIF ``replacements``
want small edits instead. Lines are compared first (so an edit never spans unchanged
lines between two changes), then each changed block is trimmed to the characters that
differ. Positions are 1-based rows and columns in characters (code points); an edit's end
is exclusive, as in ruff's JSON.
"""

from __future__ import annotations

import bisect
import difflib
import io
import os.path
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Edit:
    """Replace the text from (row, column) up to (end_row, end_column) with ``content``."""

    row: int
    column: int
    end_row: int
    end_column: int
    content: str


def lines_of(text: str) -> list[str]:
    """The lines of Python source with their endings; only \\n, \\r\\n and \\r end a line."""
    return io.StringIO(text, newline="").readlines()


def _offsets(lines: Sequence[str]) -> list[int]:
    """Where each line starts, and (last) where the text ends."""
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))
    return offsets


def _row_starts(lines: Sequence[str]) -> list[int]:
    """Where each row starts; there is a row after the last line when it has an ending."""
    offsets = _offsets(lines)
    return offsets if not lines or lines[-1].endswith(("\n", "\r")) else offsets[:-1]


def _position(starts: Sequence[int], offset: int) -> tuple[int, int]:
    row = bisect.bisect_right(starts, offset) - 1
    return row + 1, offset - starts[row] + 1


def text_edits(before: str, after: str) -> list[Edit]:
    """Edits that turn ``before`` into ``after``, in order, none overlapping."""
    old, new = lines_of(before), lines_of(after)
    old_at, new_at, rows = _offsets(old), _offsets(new), _row_starts(old)
    edits = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        start, end = old_at[i1], old_at[i2]
        removed, added = before[start:end], after[new_at[j1] : new_at[j2]]
        prefix = len(os.path.commonprefix([removed, added]))  # noqa: RUF071 - character by character, on purpose
        suffix = len(os.path.commonprefix([removed[prefix:][::-1], added[prefix:][::-1]]))  # noqa: RUF071 - likewise
        content = added[prefix : len(added) - suffix]
        edits.append(Edit(*_position(rows, start + prefix), *_position(rows, end - suffix), content))
    return edits


def apply_edits(text: str, edits: Sequence[Edit]) -> str:
    """``text`` with ``edits`` (in order, not overlapping) applied: the inverse of ``text_edits``."""
    rows = _row_starts(lines_of(text))
    out, at = [], 0
    for edit in edits:
        start = rows[edit.row - 1] + edit.column - 1
        out += [text[at:start], edit.content]
        at = rows[edit.end_row - 1] + edit.end_column - 1
    out.append(text[at:])
    return "".join(out)
