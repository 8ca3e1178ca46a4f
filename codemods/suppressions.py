"""Suppression comments: ``# mpfix: ignore[MP001]`` and ``# noqa: MP001``.

Pure: source text in, decisions out. Comments are found with the tokenize module, so a
``# noqa`` inside a string is text, not a directive. A file without the words ``mpfix:``
or ``noqa`` after a ``#`` is never tokenized, nor one where they stand on no line that
could cover a finding (see ``may_cover``).

- ``# mpfix: ignore``, ``# mpfix: ignore[MP001]``, ``# mpfix: ignore[MP001, serial-result-wait]``
  on the first or last line of a finding suppress it; on a line of its own before the first
  statement of the file, they suppress it anywhere in the file.
- ``# noqa`` and ``# noqa: MP001, E501`` on those lines suppress as ruff's do (line only);
  codes that are not mpfix's belong to other tools and are left alone.

``ignore_edit`` writes such a comment for a finding (an editor's "ignore" action).
"""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from .edits import Edit, lines_of
from .model import Finding, RuleSpec, Safety
from .registry import BY_CODE, BY_NAME

# Reported for a suppression that suppressed nothing (with --report-unused-suppressions).
UNUSED = RuleSpec(
    code="MP000",
    name="unused-suppression",
    summary="A suppression comment that suppresses no finding",
    safety=Safety.NONE,
    page="suppressions/#unused-suppressions",
)
OWN_PREFIX = "MP"  # the codes of `# noqa: ...` that are mpfix's to judge

# The cheap test, on the raw text or bytes, before any tokenizing.
_MAYBE = re.compile(r"#\s*(?:mpfix\s*:|noqa)", re.IGNORECASE)
_MAYBE_BYTES = re.compile(rb"#\s*(?:mpfix\s*:|noqa)", re.IGNORECASE)
# Within one comment token (which may hold several `#` parts: `# type: ignore  # noqa`).
# A bare `ignore` must end there (or be followed by a space and a reason): `ignore:MP001`
# is a typo, and reading it as "ignore everything" would hide more than was meant.
_MPFIX = re.compile(r"#\s*mpfix\s*:\s*ignore(?:\s*\[(?P<codes>[^\]]*)\]|(?!\s*\[)(?=\s|#|$))", re.IGNORECASE)
_CODE = r"[A-Z]+[0-9]+"
_NOQA = re.compile(
    rf"#\s*noqa(?!\w)(?:(?P<colon>\s*:)\s*(?P<codes>{_CODE}(?:(?:\s*,\s*|\s+){_CODE})*)?)?", re.IGNORECASE
)
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9-]*")


@dataclass(frozen=True)
class Directive:
    """One suppression comment."""

    line: int
    column: int  # 1-based, of the directive's `#`
    end_column: int
    text: str  # as written, for messages
    codes: frozenset[str] | None  # codes and rule names; None suppresses every rule
    noqa: bool  # `# noqa` (line only; bare ones and foreign codes are other tools' business)
    whole_file: bool

    def covers(self, finding: Finding) -> bool:
        if not self.whole_file and self.line not in (finding.line, finding.end_line):
            return False
        return self.codes is None or finding.code in self.codes or finding.name in self.codes


def might_suppress(data: bytes) -> bool:
    """Whether ``data`` may hold a suppression comment (a byte test, before decoding)."""
    return _MAYBE_BYTES.search(data) is not None


# Where the first line of code starts: the first line whose first character is neither a
# space, a comment nor a backslash. A comment above it may be a whole-file directive.
_FIRST_CODE = re.compile(r"^[ \t\f]*[^\s#\\]", re.MULTILINE)


def may_cover(source: str, findings: Collection[Finding]) -> bool:
    """Whether a suppression comment in ``source`` may cover one of ``findings``: the words
    of one stand on the first or last line of a finding, or above the first line of code
    (where a comment suppresses for the whole file). When not, no directive that ``scan``
    finds covers any of them, and the file need not be tokenized to know it."""
    if not findings:
        return False
    first = _MAYBE.search(source)
    if first is None:
        return False
    code = _FIRST_CODE.search(source)
    if first.start() < (code.start() if code is not None else len(source)):
        return True
    lines = {line for finding in findings for line in (finding.line, finding.end_line)}
    line, at = 1, 0
    for match in _MAYBE.finditer(source, first.start()):
        line += source.count("\n", at, match.start())  # lines as the tokenizer reads them
        at = match.start()
        if line in lines:
            return True
    return False


def scan(source: str) -> list[Directive]:
    """The suppression comments in ``source``, in order; none if it does not tokenize."""
    if _MAYBE.search(source) is None:
        return []
    directives: list[Directive] = []
    first_statement = None  # the line of the first token that is not a comment or blank
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == tokenize.COMMENT:
                alone = not token.line[: token.start[1]].strip()
                whole_file = alone and first_statement is None
                directives.extend(_parse(token, whole_file))
            elif first_statement is None and token.type not in _BLANK:
                first_statement = token.start[0]
    except (tokenize.TokenError, SyntaxError):
        return []  # the engine has parsed it already; this is a tokenizer corner case
    return sorted(directives, key=lambda directive: (directive.line, directive.column))


_BLANK = {tokenize.NL, tokenize.NEWLINE, tokenize.ENCODING, tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER}


def _parse(token: tokenize.TokenInfo, whole_file: bool) -> Iterable[Directive]:
    line, start = token.start
    for match in _MPFIX.finditer(token.string):
        names = None if match["codes"] is None else _names(match["codes"])
        if names is not None and not names:
            continue  # `ignore[]` or `ignore[MP001;x]`: no directive, so the finding still shows
        yield Directive(
            line, start + match.start() + 1, start + match.end() + 1, match.group(), names, False, whole_file
        )
    for match in _NOQA.finditer(token.string):
        if match["colon"] and not match["codes"]:
            continue  # `# noqa:` with no codes after it: ruff ignores it, and so do we
        codes = None if match["codes"] is None else frozenset(re.split(r"[\s,]+", match["codes"].upper()))
        # `# noqa` is never whole-file: ruff and flake8 spell that differently.
        yield Directive(line, start + match.start() + 1, start + match.end() + 1, match.group(), codes, True, False)


def _names(text: str) -> frozenset[str]:
    """``MP001, serial-result-wait`` → {"MP001", "serial-result-wait"}; empty if malformed."""
    parts = [part.strip() for part in text.split(",") if part.strip()]
    if not parts or not all(_NAME.fullmatch(part) for part in parts):
        return frozenset()
    # Codes are upper case and names lower case wherever mpfix prints them.
    return frozenset(part.upper() if re.fullmatch(_CODE, part, re.IGNORECASE) else part.lower() for part in parts)


def unused(
    directives: Iterable[Directive], findings: Iterable[Finding], enabled: Collection[RuleSpec]
) -> list[Finding]:
    """An MP000 finding for each directive (or mpfix code in one) that suppressed nothing.

    ``findings`` are all the findings, before suppression. Only what mpfix can judge is
    reported: codes of the rules that ran on this file (``enabled``) and codes that name no
    mpfix rule. Bare ``# noqa`` and other tools' codes in ``# noqa: ...`` are never reported.
    """
    findings = list(findings)
    ran = {spec.code for spec in enabled} | {spec.name for spec in enabled}
    reports = []
    for directive in directives:
        where = "in this file" if directive.whole_file else "on this line"
        used = [finding for finding in findings if directive.covers(finding)]
        if directive.codes is None:
            if not used and not directive.noqa:
                reports.append(_report(directive, f"no finding {where}"))
            continue
        hit = {finding.code for finding in used} | {finding.name for finding in used}
        ours = sorted(code for code in directive.codes if not directive.noqa or code.startswith(OWN_PREFIX))
        unknown = [code for code in ours if code not in BY_CODE and code not in BY_NAME]
        idle = [code for code in ours if code in ran and code not in hit]
        if unknown:
            reports.append(_report(directive, f"no mpfix rule is called {_join(unknown)}"))
        if idle:
            reports.append(_report(directive, f"no {_join(idle)} finding {where}"))
    return reports


def _join(codes: list[str]) -> str:
    return " or ".join(codes) if len(codes) < 3 else ", ".join(codes[:-1]) + " or " + codes[-1]


def _report(directive: Directive, why: str) -> Finding:
    return Finding(
        code=UNUSED.code,
        name=UNUSED.name,
        message=f"Unused suppression `{directive.text}`: {why}",
        line=directive.line,
        column=directive.column,
        end_line=directive.line,
        end_column=directive.end_column,
    )


def ignore_edit(source: str, finding: Finding) -> Edit | None:
    """The edit that suppresses ``finding`` on its line: its code added to the line's
    ``# mpfix: ignore[...]``, or a new such comment at the end of the line.

    The finding's first line is used, or its last when the first cannot end with a comment
    (it ends inside a string, or goes on after a backslash); None when neither can.
    """
    open_ends = _lines_ending_in_code(source)
    line = next((line for line in (finding.line, finding.end_line) if line in open_ends), None)
    if line is None:
        return None
    for directive in scan(source):
        if directive.line == line and not directive.noqa and directive.codes is not None and not directive.whole_file:
            bracket = directive.end_column - 1  # the column of its closing `]`
            return Edit(line, bracket, line, bracket, f", {finding.code}")
    text = lines_of(source)[line - 1].rstrip("\r\n")
    code_end = len(text.rstrip()) + 1
    return Edit(line, code_end, line, len(text) + 1, f"  # mpfix: ignore[{finding.code}]")


def _lines_ending_in_code(source: str) -> set[int]:
    """The lines whose end a comment may follow: not inside a string, not after a backslash."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError):
        return set()
    return {token.start[0] for token in tokens if token.type in (tokenize.NEWLINE, tokenize.NL)}
