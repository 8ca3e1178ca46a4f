"""The ``--output-format`` choices, and the machine-readable ones: json and github.

``text`` and ``concise`` are for people (see ``report``), ``json``, ``github`` and ``sarif``
for tools: their stdout holds nothing but the document, and a tool reads the exit code.
Pure formatting: findings in, a string out.
"""

from __future__ import annotations

import enum
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

from codemods import report, sarif
from codemods.edits import Edit, text_edits
from codemods.rule import Finding, Safety

if TYPE_CHECKING:  # pragma: no cover
    from codemods.runner import FileResult


class OutputFormat(str, enum.Enum):
    TEXT = "text"  # each finding with its source lines and its fix
    CONCISE = "concise"  # one line per finding
    JSON = "json"  # as ruff's: a list of findings with their fixes as edits
    GITHUB = "github"  # GitHub Actions workflow commands: annotations on the pull request
    SARIF = "sarif"  # SARIF 2.1.0, for code scanning
    DIFF = "diff"  # the fixes as a unified diff (as `mpfix diff`)

    @property
    def for_tools(self) -> bool:
        """Whether stdout must hold the document alone (summaries go to stderr)."""
        return self in (OutputFormat.JSON, OutputFormat.GITHUB, OutputFormat.SARIF)

    @property
    def needs_fixes(self) -> bool:
        """Whether `check` must compute the fixes: json and sarif carry them as edits."""
        return self in (OutputFormat.JSON, OutputFormat.SARIF, OutputFormat.DIFF)


@dataclass(frozen=True)
class Shown:
    """One file's findings as reported, and the text their positions refer to."""

    path: str
    findings: list[Finding]
    text: str | None
    fixed: str | None = None  # what `fix` would make of ``text``, in a check run

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
    return [Shown(result.path, result.findings, result.source, result.fixed) for result in results if result.findings]


def render(fmt: OutputFormat, files: Sequence[Shown], *, unsafe_fixes: bool, statistics: bool = False) -> str:
    """The findings of ``files`` in ``fmt`` (not ``diff``, which shows fixes, not findings)."""
    if statistics:
        findings = [finding for file in files for finding in file.findings]
        if fmt is OutputFormat.JSON:
            return _json(_statistics(findings, unsafe_fixes))
        return report.statistics_table(findings, unsafe_fixes)
    if fmt is OutputFormat.TEXT:
        # A blank line after each block, as ruff's full output.
        return "".join(
            report.finding_block(file.path, finding, file.text, unsafe_fixes) + "\n"
            for file in files
            for finding in file.findings
        )
    if fmt is OutputFormat.CONCISE:
        return "".join(
            report.finding_line(file.path, finding, unsafe_fixes) + "\n" for file in files for finding in file.findings
        )
    if fmt is OutputFormat.JSON:
        return _json([_json_finding(file, finding, unsafe_fixes) for file in files for finding in file.findings])
    if fmt is OutputFormat.GITHUB:
        return "".join(github_annotation(file.path, finding) + "\n" for file in files for finding in file.findings)
    if fmt is OutputFormat.SARIF:
        return _json(sarif.log(files, unsafe_fixes=unsafe_fixes))
    raise ValueError(f"{fmt.value} shows fixes, not findings")


def _json(document: Any) -> str:
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


# -- json -----------------------------------------------------------------------------


def _location(row: int, column: int) -> dict[str, int]:
    return {"row": row, "column": column}


def _json_finding(file: Shown, finding: Finding, unsafe_fixes: bool) -> dict[str, Any]:
    fix = None
    if finding.fix is not Safety.NONE:
        edits = file.fix_edits(finding, unsafe_fixes)
        fix = {
            "applicability": finding.fix.value,
            "message": finding.fix_title,
            "edits": [
                {
                    "content": edit.content,
                    "location": _location(edit.row, edit.column),
                    "end_location": _location(edit.end_row, edit.end_column),
                }
                for edit in edits
            ],
        }
    return {
        "code": finding.code,
        "name": finding.name,
        "message": finding.message,
        # Absolute, as ruff's: a tool may run mpfix in one folder and read the output in another.
        "filename": file.path if file.path == "-" else os.path.abspath(file.path),
        "location": _location(finding.line, finding.column),
        "end_location": _location(finding.end_line, finding.end_column),
        "fix": fix,
    }


def _statistics(findings: Sequence[Finding], unsafe_fixes: bool) -> list[dict[str, Any]]:
    return [
        {"code": code, "name": name, "count": count, "fixable": fixable}
        for code, name, count, fixable in report.rule_counts(findings, unsafe_fixes)
    ]


# -- github ---------------------------------------------------------------------------


def _escape(text: str, *, property_value: bool = False) -> str:
    # As GitHub's toolkit escapes workflow command data and property values.
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if property_value else text


def github_annotation(path: str, finding: Finding) -> str:
    """``::error file=...,line=...,col=...,endLine=...,endColumn=...,title=MP001::message``."""
    properties = {
        "file": path.replace("\\", "/"),
        "line": finding.line,
        "col": finding.column,
        "endLine": finding.end_line,
        "endColumn": finding.end_column,
        "title": finding.code,
    }
    spec = ",".join(f"{key}={_escape(str(value), property_value=True)}" for key, value in properties.items())
    return f"::error {spec}::{_escape(finding.message)}"
