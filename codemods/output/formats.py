"""The ``--output-format`` choices, and the machine-readable ones: json and github.

``text`` and ``concise`` are for people (see ``text``), ``json``, ``github`` and ``sarif``
for tools: their stdout holds nothing but the document, and a tool reads the exit code.
Pure formatting: findings in, a string out.
"""

from __future__ import annotations

import enum
import json
import os
from collections.abc import Sequence
from typing import Any

from ..edits import Edit
from ..model import FileError, Finding, Safety
from ..registry import BY_CODE
from ..suppressions import UNUSED
from . import text
from .shown import Shown


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


def render(
    fmt: OutputFormat,
    files: Sequence[Shown],
    *,
    unsafe_fixes: bool,
    statistics: bool = False,
    colour: bool = False,
    errors: Sequence[FileError] = (),
) -> str:
    """The findings of ``files`` in ``fmt`` (not ``diff``, which shows fixes, not findings);
    ``colour``: with ANSI colours, for a terminal (the ``text`` format only).

    The formats for tools carry ``errors`` too (the files that could not be processed), so
    that a tool reading the document alone learns of them; people read them on stderr."""
    if statistics:
        findings = [finding for file in files for finding in file.findings]
        if fmt is OutputFormat.JSON:
            return _json(_statistics(findings, unsafe_fixes))
        return text.statistics_table(findings, unsafe_fixes)
    if fmt is OutputFormat.TEXT:
        # A blank line after each block, as ruff's full output.
        return "".join(
            text.finding_block(file.path, finding, file.text, unsafe_fixes, colour) + "\n"
            for file in files
            for finding in file.findings
        )
    if fmt is OutputFormat.CONCISE:
        return "".join(
            text.finding_line(file.path, finding, unsafe_fixes) + "\n" for file in files for finding in file.findings
        )
    if fmt is OutputFormat.JSON:
        entries = [_json_finding(file, finding, unsafe_fixes) for file in files for finding in file.findings]
        return _json(entries + [_json_error(error) for error in errors])
    if fmt is OutputFormat.GITHUB:
        annotations = [github_annotation(file.path, finding) for file in files for finding in file.findings]
        return "".join(line + "\n" for line in annotations + [github_error(error) for error in errors])
    if fmt is OutputFormat.SARIF:
        from . import sarif  # and importlib.metadata with it: loaded for SARIF only

        return _json(sarif.log(files, unsafe_fixes=unsafe_fixes, errors=errors))
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
        fix = {"applicability": finding.fix.value, "message": finding.fix_title, "edits": _json_edits(edits)}
        if file.others and edits:
            # A fix across files: the edits of the other files it changes, file by file.
            fix["other_files"] = [
                {"filename": _filename(path), "edits": _json_edits(others)} for path, others in file.others
            ]
    return {
        "code": finding.code,
        "name": finding.name,
        "message": finding.message,
        "filename": _filename(file.path),
        "location": _location(finding.line, finding.column),
        "end_location": _location(finding.end_line, finding.end_column),
        "fix": fix,
        "url": _url(finding.code),
    }


def _json_edits(edits: Sequence[Edit]) -> list[dict[str, Any]]:
    return [
        {
            "content": edit.content,
            "location": _location(edit.row, edit.column),
            "end_location": _location(edit.end_row, edit.end_column),
        }
        for edit in edits
    ]


def _url(code: str) -> str | None:
    """The page of the rule with this code."""
    spec = UNUSED if code == UNUSED.code else BY_CODE.get(code)
    return spec.url if spec is not None else None


def _filename(path: str) -> str:
    # Absolute, as ruff's: a tool may run mpfix in one folder and read the output in another.
    return path if path == "-" else os.path.abspath(path)


def _json_error(error: FileError) -> dict[str, Any]:
    """A file that could not be processed, as ruff words a syntax error: no code, and its
    kind (``parse``, ``read``, ...) as the name; an error about the whole file is at 1:1."""
    where = _location(error.line or 1, error.column or 1)
    return {
        "code": None,
        "name": error.kind.value,
        "message": error.message,
        "filename": _filename(error.path),
        "location": where,
        "end_location": where,
        "fix": None,
        "url": None,
    }


def _statistics(findings: Sequence[Finding], unsafe_fixes: bool) -> list[dict[str, Any]]:
    return [
        {"code": code, "name": name, "count": count, "fixable": fixable}
        for code, name, count, fixable in text.rule_counts(findings, unsafe_fixes)
    ]


# -- github ---------------------------------------------------------------------------


def _escape(value: str, *, property_value: bool = False) -> str:
    # As GitHub's toolkit escapes workflow command data and property values.
    value = value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return value.replace(":", "%3A").replace(",", "%2C") if property_value else value


def github_error(error: FileError) -> str:
    """``::error file=...,line=...,col=...,title=mpfix (parse)::message``."""
    properties = {"file": error.path.replace("\\", "/"), "line": error.line or 1, "col": error.column or 1}
    properties["title"] = f"mpfix ({error.kind.value})"
    spec = ",".join(f"{key}={_escape(str(value), property_value=True)}" for key, value in properties.items())
    return f"::error {spec}::{_escape(error.message)}"


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
