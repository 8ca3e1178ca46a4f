"""SARIF 2.1.0 output, for GitHub code scanning and other SARIF readers.

One run; the driver lists every rule (and MP000, for unused suppressions). Paths are
relative to ``%SRCROOT%``, the current folder, as code scanning expects; columns count
code points (``columnKind``). A finding whose fix applies carries it as SARIF ``fixes``:
the minimal replacements that turn the file into what ``mpfix fix`` writes.
"""

from __future__ import annotations

import os
import urllib.parse
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..registry import RULES
from ..suppressions import UNUSED
from .pages import rule_help

if TYPE_CHECKING:  # pragma: no cover
    from ..edits import Edit
    from ..model import FileError, Finding, RuleSpec
    from .shown import Shown

SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SOURCE_ROOT = "%SRCROOT%"


def _version() -> str | None:
    try:
        return metadata.version("mpfix")
    except metadata.PackageNotFoundError:
        return None


def _artifact(path: str) -> dict[str, str]:
    """A relative URI under the source root, or a file URI for a path outside it."""
    relative = os.path.relpath(path) if path != "-" else path
    if os.path.isabs(relative) or relative.split(os.sep)[0] == os.pardir:
        return {"uri": Path(path).resolve().as_uri()}
    # The name's bytes, percent-encoded: a name that is not UTF-8 keeps its bytes (caf%E9.py).
    return {"uri": urllib.parse.quote(os.fsencode(relative.replace(os.sep, "/"))), "uriBaseId": SOURCE_ROOT}


def _region(row: int, column: int, end_row: int, end_column: int) -> dict[str, int]:
    return {"startLine": row, "startColumn": column, "endLine": end_row, "endColumn": end_column}


def _replacement(edit: Edit) -> dict[str, Any]:
    replacement: dict[str, Any] = {"deletedRegion": _region(edit.row, edit.column, edit.end_row, edit.end_column)}
    if edit.content:
        replacement["insertedContent"] = {"text": edit.content}
    return replacement


def _result(file: Shown, finding: Finding, index: dict[str, int], unsafe_fixes: bool) -> dict[str, Any]:
    artifact = _artifact(file.path)
    result: dict[str, Any] = {
        "ruleId": finding.code,
        "level": "error",
        "message": {"text": finding.message},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": artifact,
                    "region": _region(finding.line, finding.column, finding.end_line, finding.end_column),
                }
            }
        ],
    }
    if finding.code in index:
        result["ruleIndex"] = index[finding.code]
    edits = file.fix_edits(finding, unsafe_fixes)
    if edits:
        result["fixes"] = [
            {
                "description": {"text": finding.fix_title or "Apply mpfix's fix"},
                # A fix across files changes each of its files: one change per file.
                "artifactChanges": [
                    {"artifactLocation": artifact, "replacements": [_replacement(edit) for edit in edits]},
                    *(
                        {"artifactLocation": _artifact(path), "replacements": [_replacement(edit) for edit in others]}
                        for path, others in file.others
                    ),
                ],
            }
        ]
    return result


def _notification(error: FileError) -> dict[str, Any]:
    """A file that could not be processed, as a tool execution notification."""
    region = {"startLine": error.line, "startColumn": error.column or 1} if error.line else None
    location: dict[str, Any] = {"artifactLocation": _artifact(error.path)}
    if region is not None:
        location["region"] = region
    return {
        "level": "error",
        "message": {"text": error.message},
        "descriptor": {"id": error.kind.value},
        "locations": [{"physicalLocation": location}],
    }


def _sentence(text: str) -> str:
    """A paragraph that introduces a list on the page ends with a colon: here, a full stop."""
    return text.rstrip(":. ") + "."


def _rule(spec: RuleSpec) -> dict[str, Any]:
    """A rule as code scanning shows it: its summary, what it checks, why it matters and
    a link to its page (from the page itself, when installed)."""
    what, why = (_sentence(text) for text in rule_help(spec.name) or (spec.summary, spec.summary))
    return {
        "id": spec.code,
        "name": spec.name,
        "shortDescription": {"text": spec.summary},
        "fullDescription": {"text": what},
        "help": {"text": f"{why} See {spec.url}", "markdown": f"{why}\n\n[{spec.code} {spec.name}]({spec.url})"},
        "helpUri": spec.url,
        "properties": {"fixSafety": spec.safety.value},
    }


def log(files: Sequence[Shown], *, unsafe_fixes: bool, errors: Sequence[FileError] = ()) -> dict[str, Any]:
    """The SARIF log of ``files``' findings; ``errors``: the files that could not be
    processed, as notifications of the run's invocation, which then did not succeed."""
    specs = [*RULES, UNUSED]
    index = {spec.code: number for number, spec in enumerate(specs)}
    driver: dict[str, Any] = {
        "name": "mpfix",
        "rules": [_rule(spec) for spec in specs],
    }
    version = _version()
    if version is not None:
        driver["version"] = version
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": driver},
                "originalUriBaseIds": {SOURCE_ROOT: {"uri": Path.cwd().as_uri().rstrip("/") + "/"}},
                "columnKind": "unicodeCodePoints",
                "invocations": [
                    {
                        "executionSuccessful": not errors,
                        "toolExecutionNotifications": [_notification(error) for error in errors],
                    }
                ],
                "results": [_result(file, finding, index, unsafe_fixes) for file in files for finding in file.findings],
            }
        ],
    }
