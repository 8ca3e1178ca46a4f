"""Findings, and files that cannot be analysed, as the protocol's diagnostics."""

from __future__ import annotations

from dataclasses import dataclass

from lsprotocol import types

from ..model import FileResult, Finding
from ..registry import BY_CODE
from .positions import Lines

SOURCE = "mpfix"


@dataclass(frozen=True)
class Reported:
    """A finding and the diagnostic that shows it."""

    finding: Finding
    diagnostic: types.Diagnostic


def reported(result: FileResult, lines: Lines) -> list[Reported]:
    return [Reported(finding, _of_finding(finding, lines)) for finding in result.findings]


def of_errors(result: FileResult, lines: Lines) -> list[types.Diagnostic]:
    """One diagnostic per error: a file that does not parse gets one, where it stops parsing."""
    return [error_at(error.message, lines.position(error.line, error.column)) for error in result.errors]


def error_at(message: str, start: types.Position | None = None) -> types.Diagnostic:
    """An error of the whole file (its settings, its syntax), at ``start`` or the top of the file."""
    start = start or types.Position(line=0, character=0)
    return types.Diagnostic(
        range=types.Range(start=start, end=start),
        message=message,
        severity=types.DiagnosticSeverity.Error,
        source=SOURCE,
    )


def _of_finding(finding: Finding, lines: Lines) -> types.Diagnostic:
    spec = BY_CODE.get(finding.code)  # the unused-suppression report has no rule of its own
    return types.Diagnostic(
        range=lines.range(finding.line, finding.column, finding.end_line, finding.end_column),
        message=finding.message,
        severity=types.DiagnosticSeverity.Warning,
        code=finding.code,
        code_description=types.CodeDescription(href=spec.url) if spec else None,
        source=SOURCE,
        tags=None if spec else [types.DiagnosticTag.Unnecessary],
    )
