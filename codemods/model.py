"""What a run gives back for each file, and why a file could not be processed, as data:
shared by the runner, which creates them, and the output formats, which word them.

Standard library only (and the rule kit's plain data): the CLI and the output modules
import it without libcst.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from codemods.rule import Finding


class ErrorKind(str, enum.Enum):
    """Why a file (or a folder) could not be processed."""

    LIST = "list"  # a folder cannot be listed
    READ = "read"  # a file cannot be read (missing, not a regular file, no permission)
    TOO_LARGE = "too-large"  # over the size mpfix analyses
    DECODE = "decode"  # its bytes are not text in the encoding it declares
    PARSE = "parse"  # it does not parse, or nests too deeply to analyse
    FIX = "fix"  # a fix misbehaved: nothing was changed
    ENCODE = "encode"  # the fixed text cannot be written in the file's encoding
    WRITE = "write"  # the fixed text cannot be written, or the file changed meanwhile
    INTERNAL = "internal"  # a bug in mpfix or a rule
    CRASH = "crash"  # the worker process analysing it died


@dataclass(frozen=True)
class FileError:
    """One error of one file: where, what kind, and the message (the output words the rest)."""

    path: str
    kind: ErrorKind
    message: str
    line: int = 0  # 0: about the whole file
    column: int = 0


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
    errors: list[FileError] = field(default_factory=list)

    def encoded(self) -> bytes:
        """The fixed text in the file's own encoding."""
        assert self.fixed is not None
        return self.fixed.encode(self.encoding)

    def fixes_lost(self, error: FileError | None = None) -> None:
        """The fixes do not reach the file (an error, or the user said no): it keeps every finding."""
        self.fixed, self.applied, self.remaining = None, [], self.findings
        if error is not None:
            self.errors.append(error)
