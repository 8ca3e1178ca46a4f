"""What a run gives back for each file, shared by the runner and the output formats.

Standard library only (and the rule kit's plain data): the CLI and the output modules
import it without libcst.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from codemods.rule import Finding


@dataclass
class FileResult:
    """What one file gave. After a run that writes, ``fixed`` is set only for written files."""

    path: str
    findings: list[Finding] = field(default_factory=list)  # in the file as read
    applied: list[Finding] = field(default_factory=list)  # fixes that produced ``fixed``
    remaining: list[Finding] = field(default_factory=list)  # findings left after the fixes
    fixed: str | None = None  # the text with fixes, when they changed it
    source: str | None = None  # the text as read, when there is something to show (a diff, findings)
    encoding: str = "utf-8"  # as detected; "utf-8-sig" keeps a byte order mark
    errors: list[str] = field(default_factory=list)  # one complete line each

    def encoded(self) -> bytes:
        """The fixed text in the file's own encoding."""
        assert self.fixed is not None
        return self.fixed.encode(self.encoding)

    def fixes_lost(self, error: str | None = None) -> None:
        """The fixes do not reach the file (an error, or the user said no): it keeps every finding."""
        self.fixed, self.applied, self.remaining = None, [], self.findings
        if error is not None:
            self.errors.append(error)
