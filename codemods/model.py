"""The data every layer shares: fix safety, the finding a user sees, a rule's spec, and
what a run gives back for each file (or why a file could not be processed).

Standard library only: the CLI and the output modules import it without libcst.
"""

from __future__ import annotations

import dataclasses
import enum
import importlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from .analysis.prechecks import AstFacts
    from .rules._base import RuleVisitor


def not_fixed_note(reason: object) -> str:
    return f"not fixed: {reason}"


def unsafe_note(reason: object) -> str:
    return f"the fix is unsafe: {reason}"


class Safety(str, enum.Enum):
    """How far a fix may be trusted, as in ruff."""

    SAFE = "safe"  # applied by `mpfix fix`
    UNSAFE = "unsafe"  # applied only with --unsafe-fixes; the rule's page says what may change
    NONE = "none"  # reported only

    def __str__(self) -> str:
        return self.value


class TargetVersion(str, enum.Enum):
    """The oldest Python a project runs on, spelled as ruff spells it: a fix uses only what
    that version has."""

    PY310 = "py310"
    PY311 = "py311"
    PY312 = "py312"
    PY313 = "py313"
    PY314 = "py314"
    PY315 = "py315"

    def __str__(self) -> str:
        return self.value

    @property
    def version(self) -> tuple[int, int]:
        """(3, 14) for py314."""
        return (3, int(self.value[3:]))

    @property
    def dotted(self) -> str:
        """3.14 for py314."""
        major, minor = self.version
        return f"{major}.{minor}"

    @classmethod
    def of(cls, minor: int) -> TargetVersion:
        """The version 3.``minor``, within the versions mpfix knows (older ones read as the oldest)."""
        known = [target for target in cls if target.version[1] <= minor]
        return known[-1] if known else cls.PY310


@dataclass(frozen=True)
class Finding:
    """One problem in one source text; positions are 1-based lines and columns."""

    code: str
    name: str
    message: str
    line: int
    column: int
    end_line: int
    end_column: int
    fix: Safety = Safety.NONE
    fix_title: str | None = None
    # Why there is no fix ("not fixed: ...") or why the fix is unsafe ("the fix is unsafe: ...").
    # ``message`` ends with it, so that tools reading the message alone get the whole story;
    # the text output shows it apart, under the source lines.
    note: str | None = None

    @property
    def heading(self) -> str:
        """The message without its note."""
        if self.note and self.message.endswith("; " + self.note):
            return self.message[: -len(self.note) - 2]
        return self.message

    def noted(self, note: str | None, **changes: object) -> Finding:
        """This finding with ``note`` (None: without one), and the message worded with it."""
        message = self.heading if note is None else f"{self.heading}; {note}"
        return dataclasses.replace(self, message=message, note=note, **changes)  # type: ignore[arg-type]

    def sort_key(self) -> tuple[int, int, str]:
        return (self.line, self.column, self.code)

    def to_dict(self) -> dict[str, object]:
        return {**dataclasses.asdict(self), "fix": self.fix.value}

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Finding:
        # ``data`` is what to_dict made (read back from the result cache), field by field.
        return cls(**{**data, "fix": Safety(data["fix"])})  # type: ignore[arg-type]

    def fixable(self, unsafe_fixes: bool = False) -> bool:
        """Whether `mpfix fix` (with or without --unsafe-fixes) applies this finding's fix."""
        return self.fix is Safety.SAFE or (unsafe_fixes and self.fix is Safety.UNSAFE)


# The documentation site; a rule's page is at rules/<name>/ under it.
DOCS_URL = "https://mpfix.readthedocs.io/en/latest/"


@dataclass(frozen=True)
class RuleSpec:
    """A rule's identity, cheap to import: the CLI lists and selects rules from these."""

    code: str
    name: str
    summary: str
    safety: Safety
    # The prefilter: a file can produce a finding only if its bytes hold every byte string
    # of at least one of these groups.
    needles: tuple[tuple[bytes, ...], ...] = field(default=())
    page: str = ""  # its page on the site, when not rules/<name>/
    # Some of its findings have no fix in their file but may have one that changes other
    # files too, planned once every file is analysed (see mpfix.across).
    fixes_across_files: bool = False

    def __hash__(self) -> int:
        # By the code alone (two specs with one code are equal or a bug): the generated
        # hash walks every needle, and specs key the prefilter's caches of every file.
        return hash(self.code)

    @property
    def url(self) -> str:
        """The rule's page on the documentation site."""
        return DOCS_URL + (self.page or f"rules/{self.name}/")

    @property
    def module_name(self) -> str:
        return f"{__package__}.rules." + self.name.replace("-", "_")

    def may_find(self, facts: AstFacts) -> bool:
        """False only when this rule can find nothing in a module with these ``ast`` facts:
        no name refers to the ``APIS`` of its pre-check module (mpfix.prechecks, which
        never imports libcst), or that module's ``precheck`` says no."""
        module = importlib.import_module(f"{__package__}.prechecks." + self.name.replace("-", "_"))
        apis: frozenset[str] | None = module.APIS
        return (apis is None or facts.refers_to(apis, self.code)) and bool(module.precheck(facts))

    def decide(self, facts: AstFacts) -> list[Finding] | None:
        """The rule's findings in a module with these ``ast`` facts, made on ``ast`` by its
        pre-check module's ``decide`` as its libcst side would make them (none has a fix);
        None when the rule has no ``decide``, or it cannot tell without libcst."""
        module = importlib.import_module(f"{__package__}.prechecks." + self.name.replace("-", "_"))
        decide = getattr(module, "decide", None)
        return None if decide is None else decide(facts, self)

    def load(self) -> type[RuleVisitor]:
        """The rule's visitor class: the one class its module defines with this code."""
        module = importlib.import_module(self.module_name)
        return module.RULE


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
    # The other files that ``fixed`` goes with: a fix that changes several files is
    # written to all of them or to none.
    together: tuple[str, ...] = ()

    def resolved(self, unsafe_fixes: bool) -> list[Finding]:
        """The findings that the fixes resolve, when they were computed and reach the file."""
        if self.fixed is None:
            return []
        return [finding for finding in self.findings if finding.fixable(unsafe_fixes)]

    def revealed(self, unsafe_fixes: bool) -> int:
        """How many findings remain after the fixes that the text as read did not have:
        a fix can move code where another rule finds something."""
        left = len(self.findings) - len(self.resolved(unsafe_fixes))
        return max(0, len(self.remaining) - left)

    def encoded(self) -> bytes:
        """The fixed text in the file's own encoding."""
        assert self.fixed is not None
        return self.fixed.encode(self.encoding)

    def fixes_lost(self, error: FileError | None = None) -> None:
        """The fixes do not reach the file (an error, or the user said no): it keeps every finding."""
        self.fixed, self.applied, self.remaining, self.together = None, [], self.findings, ()
        if error is not None:
            self.errors.append(error)
