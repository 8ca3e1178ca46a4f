"""The round of fixes that change several files, after each file's own fixes have settled.

A finding whose rule may fix it across files (see mpfix.across) is planned from the
texts the files would have after their own fixes, and from every file of the run that may
import its module. A plan is taken only when every file it changes is one the run was
asked about, none of them is already part of another such fix, and each new text, analysed
again with the project as it would then be, gives no further fix and no error: a second
run changes nothing. The files of a taken fix are marked to be written together.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, replace

from ..analysis.project.paths import module_name
from ..model import ErrorKind, FileError, FileResult, Finding, Safety
from ..registry import BY_CODE
from . import project
from .cache import digest
from .discover import decode, read
from .request import Job, Request

Analysed = list[tuple[FileResult, bytes | None]]


class _Files:
    """The run's files, each read (again) from disk only when a plan needs it, and the
    files beside those named alone that import them, which a plan reads but never changes."""

    def __init__(self, analysed: Analysed, context: dict[str, bytes]) -> None:
        self.results = {result.path: result for result, _ in analysed}
        self.originals = {result.path: original for result, original in analysed if original is not None}
        run = {os.path.abspath(path) for path in self.results}
        self.context = {path: data for path, data in context.items() if os.path.abspath(path) not in run}

    def original(self, path: str) -> bytes | None:
        """The bytes of a file of the run as read (kept: a fix may be written over them)."""
        if path not in self.originals:
            try:
                self.originals[path] = read(path)
            except OSError:
                return None
        return self.originals[path]

    def text(self, path: str) -> str | None:
        """The text of the file after its own fixes; None when it cannot take part."""
        result = self.results[path]
        if result.errors:
            return None
        return result.fixed if result.fixed is not None else _decoded(self.original(path))

    def project(self, home: str, only_itself: bool) -> dict[str, str] | None:
        """The text of ``home`` and (unless ``only_itself``) of every file that may import
        it (it names its module and says ``import``); None when one of them cannot be
        read, or ``home`` is not a file of the run."""
        if home not in self.results:
            return None
        if only_itself:
            text = self.text(home)
            return None if text is None else {home: text}
        stem = module_name(home)[0].rpartition(".")[2].encode("utf-8", "surrogateescape")
        texts: dict[str, str] = {}
        for path in [*self.results, *self.context]:
            if path == home:
                text = self.text(path)
            else:
                data = self.context.get(path) if path in self.context else _read(path)
                if data is None or self.results.get(path, _READABLE).errors:
                    return None
                if stem not in data or b"import" not in data:
                    continue  # the bytes of files that cannot import it are not kept
                text = self.text(path) if path in self.results else _decoded(data)
            if text is None:
                return None
            texts[path] = text
        return texts


# A file whose result has no error.
_READABLE = FileResult("")


def _read(path: str) -> bytes | None:
    try:
        return read(path)
    except OSError:
        return None


def _decoded(data: bytes | None) -> str | None:
    try:
        return decode(data)[0] if data is not None else None
    except (SyntaxError, UnicodeDecodeError):
        return None


def fix_across(analysed: Analysed, request: Request) -> Analysed:
    """``analysed`` with the fixes across files taken; the bytes read as the original of
    each file they change."""
    if not any(map(may_fix, (finding for result, _ in analysed for finding in result.findings))):
        return analysed
    named_alone = [path for path in request.paths if os.path.isfile(path)]
    files = _Files(analysed, project.neighbours(named_alone))
    for home, result in list(files.results.items()):
        # A file with fixes of its own is left to the next run: its finding's line is in
        # the text as read, not in the text after those fixes.
        if result.fixed is not None or result.together:
            continue
        for finding in [f for f in result.findings if may_fix(f)]:
            try:
                outcome = _outcome(files, home, finding, request)
            except Exception as exc:  # a bug in a rule costs its finding's fix, not the run
                message = f"internal error in a fix across files: {type(exc).__name__}: {exc}"
                result.errors.append(FileError(home, ErrorKind.INTERNAL, message))
                break
            if outcome is not None and not any(files.results[path].together for path in outcome.texts):
                _take(files, home, finding.noted(None, fix=Safety.SAFE, fix_title=outcome.title), outcome)
                break
    if request.cache is not None:
        request.cache.save()
    return [
        (result, files.originals.get(result.path) if result.fixed is not None else None)
        for result in files.results.values()
    ]


@dataclass(frozen=True)
class _Outcome:
    """A fix across files, checked: the new texts, its title, the findings left in each."""

    texts: dict[str, str]
    title: str
    remaining: dict[str, list[Finding]]

    def to_entry(self) -> dict:
        remaining = {path: [finding.to_dict() for finding in found] for path, found in self.remaining.items()}
        return {"texts": self.texts, "title": self.title, "remaining": remaining}

    @classmethod
    def from_entry(cls, entry: dict) -> _Outcome:
        remaining = {path: [Finding.from_dict(item) for item in found] for path, found in entry["remaining"].items()}
        return cls(entry["texts"], entry["title"], remaining)


def _outcome(files: _Files, home: str, finding: Finding, request: Request) -> _Outcome | None:
    """The checked fix of ``finding``, or None. Taken from the cache when the files that
    the plan read then have the same texts now (so a second run need not load libcst)."""
    scans: dict[str, dict[str, str]] = {}

    def scanned(path: str, only_itself: bool) -> dict[str, str] | None:
        texts = files.project(path, only_itself)
        if texts is not None and path != home:  # the texts of ``home`` and its importers are in the key
            scans[f"{path}\0{int(only_itself)}"] = _digests(texts)
        return texts

    own = files.project(home, False)
    if own is None:
        return None
    key = json.dumps([finding.to_dict(), _digests(own)], sort_keys=True).encode()
    salt = f"{_SALT}:{request.options.salt()}:{_rules(request, own)}"
    entry = request.cache.get(key, salt) if request.cache is not None else None
    if entry is not None and all(_digests(files.project(*_split(k)) or {}) == v for k, v in entry["scans"].items()):
        return _Outcome.from_entry(entry["fix"]) if entry["fix"] is not None else None
    outcome = _planned(files, home, finding, request, scanned)
    if request.cache is not None:
        request.cache.put(key, salt, {"scans": scans, "fix": outcome.to_entry() if outcome else None})
    return outcome


# Outcomes share the results' cache file, under a key of their own.
_SALT = "fix-across-1"


def _digests(texts: dict[str, str]) -> dict[str, str]:
    return {path: digest(text.encode("utf-8", "surrogatepass")) for path, text in texts.items()}


def _split(key: str) -> tuple[str, bool]:
    path, _, only_itself = key.rpartition("\0")
    return path, only_itself == "1"


def _rules(request: Request, paths: dict[str, str]) -> str:
    """The rules of each file, when they differ from file to file (per-file ignores)."""
    if request.rules_for is None:
        return ""
    return json.dumps({path: [spec.code for spec in request.rules_for(path)] for path in sorted(paths)})


def _planned(
    files: _Files, home: str, finding: Finding, request: Request, scanned: Callable[[str, bool], dict[str, str] | None]
) -> _Outcome | None:
    from .. import across  # the engine's side, with libcst: only when no cached outcome answers

    fix = across.fix_across(home, finding, scanned)
    if fix is None or any(path not in files.results for path in fix.texts):
        return None
    rechecked = _rechecked(fix.texts, files, request)
    if rechecked is None:
        return None
    return _Outcome(fix.texts, fix.title, {path: again.findings for path, again in rechecked.items()})


def may_fix(finding: Finding) -> bool:
    """Whether a fix across files may exist for this finding, which has none of its own."""
    spec = BY_CODE.get(finding.code)
    return spec is not None and spec.fixes_across_files and finding.fix is Safety.NONE


def _rechecked(texts: dict[str, str], files: _Files, request: Request) -> dict[str, FileResult] | None:
    """Each new text analysed again, as the files would be after the fix; None when one of
    them has an error or a fix of its own left."""
    from . import workers

    encoded: dict[str, bytes] = {}
    for path, text in texts.items():
        try:
            encoded[path] = text.encode(files.results[path].encoding)
        except UnicodeEncodeError:
            return None
    views = project.build(encoded, {}, None)
    found: dict[str, FileResult] = {}
    for path, data in encoded.items():
        rules = request.options.rules if request.rules_for is None else request.rules_for(path)
        options = replace(request.options, rules=rules)
        # Every rule, as if the prefilter had passed them all: a second look, not a quick one.
        again = workers.analyse_in_process(Job(path, data, options, rules, views.get(path)))
        if again.errors or again.fixed is not None:
            return None
        found[path] = again
    return found


def _take(files: _Files, home: str, fixed: Finding, outcome: _Outcome) -> None:
    """Mark every file of the fix as changed by it, the finding as fixed, the files as one unit."""
    for path, text in outcome.texts.items():
        result = files.results[path]
        if result.source is None:
            result.source = files.text(path)
        result.fixed = text
        result.remaining = outcome.remaining[path]
        result.together = tuple(other for other in outcome.texts if other != path)
        if path == home:
            result.findings = [fixed if _same(f, fixed) else f for f in result.findings]
            result.applied = [*result.applied, fixed]


def _same(finding: Finding, fixed: Finding) -> bool:
    return (finding.code, finding.line, finding.column) == (fixed.code, fixed.line, fixed.column)
