"""What a report shows of each file: the findings and the text their positions refer to.

Shared by every output format; pure data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

from ..edits import Edit, text_edits
from ..model import FileResult, Finding


@dataclass(frozen=True)
class Shown:
    """One file's findings as reported, and the text their positions refer to."""

    path: str
    findings: list[Finding]
    text: str | None
    fixed: str | None = None  # what `fix` would make of ``text``, in a check run
    # The other files that the file's fix changes, each with its edits (a fix across files).
    others: tuple[tuple[str, tuple[Edit, ...]], ...] = ()

    @cached_property
    def edits(self) -> list[Edit]:
        """The file's fix as edits: mpfix fixes a file as a whole, so every finding whose
        fix applies carries all of them, and applying them once fixes all those findings."""
        if self.text is None or self.fixed is None:
            return []
        return text_edits(self.text, self.fixed)

    def fix_edits(self, finding: Finding, unsafe_fixes: bool) -> list[Edit]:
        return self.edits if finding.fixable(unsafe_fixes) else []


def shown(results: Sequence[FileResult], *, after_fix: bool) -> list[Shown]:
    """What to report of each file: its findings as read, or (after a fix run) the ones
    that remain, in the text as written."""
    if after_fix:
        return [
            Shown(result.path, result.remaining, result.fixed if result.fixed is not None else result.source)
            for result in results
            if result.remaining
        ]
    by_path = {result.path: result for result in results}
    return [
        Shown(result.path, result.findings, result.source, result.fixed, _others(result, by_path))
        for result in results
        if result.findings
    ]


def _others(result: FileResult, by_path: dict[str, FileResult]) -> tuple[tuple[str, tuple[Edit, ...]], ...]:
    """The edits that the file's fix makes to the other files it changes."""
    others = [by_path[path] for path in result.together if path in by_path]
    return tuple(
        (other.path, tuple(text_edits(other.source, other.fixed)))
        for other in others
        if other.source is not None and other.fixed is not None
    )
