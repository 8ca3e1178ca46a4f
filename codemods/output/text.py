"""What the user reads: findings (concise lines or with their source), statistics,
summaries, diffs, the rules table, the progress counter.

Pure formatting: strings in, strings out; only ``Progress`` writes, to the stream it is given.
"""

from __future__ import annotations

import difflib
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import TextIO

from ..edits import lines_of
from ..model import FileError, FileResult, Finding, RuleSpec, Safety

FIX_COMMAND = "`mpfix fix`"
UNSAFE_FIX_COMMAND = "`mpfix fix --unsafe-fixes`"


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


_BOLD, _RED, _GREEN, _YELLOW, _BLUE, _CYAN, _RESET = (f"\033[{n}m" for n in (1, 31, 32, 33, 34, 36, 0))


def _paint(text: str, style: str, colour: bool) -> str:
    return f"{style}{text}{_RESET}" if colour and text else text


def finding_line(path: str, finding: Finding, unsafe_fixes: bool) -> str:
    """``path:line:col: CODE message``, marked ``[*]`` when a fix is available, as in ruff."""
    marker = " [*]" if finding.fixable(unsafe_fixes) else ""
    return f"{path}:{finding.line}:{finding.column}: {finding.code} {finding.message}{marker}"


def split_message(message: str) -> tuple[str, str]:
    """A message as its problem and why it matters: the rules word a finding as the
    problem, then ``: `` or ``; `` and the reason, so the first such break outside code
    (backticks) ends the heading. No break: all of it is the heading."""
    in_code = False
    for index, char in enumerate(message):
        if char == "`":
            in_code = not in_code
        elif not in_code and char in ":;" and message.startswith(" ", index + 1):
            return message[:index], message[index + 2 :]
    return message, ""


def as_sentence(note: str) -> str:
    """A note shown on a line of its own, capitalised as a sentence: within the message it
    continues the problem's sentence after ``: `` or ``; ``. Code in backticks stays as is."""
    return note[:1].upper() + note[1:]


# Source lines shown around a finding, and how many of a long finding's own lines.
CONTEXT_LINES = 1
SPAN_LINES = 4


def _fix_label(finding: Finding, unsafe_fixes: bool) -> str | None:
    if finding.fix is Safety.NONE or finding.fix_title is None:
        return None
    if finding.fix is Safety.SAFE:
        return f"fix: {finding.fix_title}"
    hint = "" if unsafe_fixes else ", with --unsafe-fixes"
    return f"fix (unsafe{hint}): {finding.fix_title}"


def _frame(finding: Finding, source: str | None, colour: bool) -> tuple[list[str], int]:
    """The source lines that ``finding`` points at, between gutters, and the gutter's width.

    A finding on one line is underlined with carets; the lines of a longer one are marked
    with ``>`` (the first and last few of them, when there are many).
    """
    lines = lines_of(source) if source is not None else []
    first, last = finding.line, min(finding.end_line, len(lines))
    if not lines or not 1 <= first <= len(lines):
        return [], 0
    shown = list(range(max(1, first - CONTEXT_LINES), min(len(lines), last + CONTEXT_LINES) + 1))
    if last - first + 1 > SPAN_LINES:  # keep the first and last lines of a long finding
        keep = SPAN_LINES // 2
        shown = [n for n in shown if n <= first + keep - 1 or n >= last - keep + 1]
    width = len(str(shown[-1]))
    single = first == last
    gutter = _paint(" " * width + " |", _BOLD + _BLUE, colour)
    out = [gutter]
    previous = None
    for number in shown:
        if previous is not None and number != previous + 1:
            out.append(_paint(" " * width + " :", _BOLD + _BLUE, colour))
        previous = number
        text = lines[number - 1].rstrip("\r\n")  # only the lines shown: a file may be long
        marker = "" if single else ("> " if first <= number <= last else "  ")
        out.append((_paint(f"{number:>{width}} |", _BOLD + _BLUE, colour) + f" {marker}{text}").rstrip())
        if single and number == first:
            # Tabs stay tabs, so that the carets line up under the same columns.
            pad = "".join(c if c == "\t" else " " for c in text[: finding.column - 1])
            carets = "^" * max(1, finding.end_column - finding.column)
            out.append(f"{gutter} {pad}{_paint(f'{carets} {finding.code}', _BOLD + _RED, colour)}")
    out.append(gutter)
    return out, width


def finding_block(path: str, finding: Finding, source: str | None, unsafe_fixes: bool, colour: bool = False) -> str:
    """The ``text`` format, as ruff's: a heading with the problem alone, the source lines it
    points at, then why it matters, why it is not fixed (or why the fix is unsafe) and the
    fix, each on a ``=`` line of its own."""
    heading, why = split_message(finding.heading)
    marker = " " + _paint("[*]", _CYAN, colour) if finding.fixable(unsafe_fixes) else ""
    where = f"{_paint(path, _BOLD, colour)}:{finding.line}:{finding.column}:"
    out = [f"{where} {_paint(finding.code, _BOLD + _RED, colour)} {heading}{marker}"]
    frame, width = _frame(finding, source, colour)
    out += frame
    notes = [f"note: {as_sentence(note)}" for note in (why, finding.note) if note]
    label = _fix_label(finding, unsafe_fixes)
    for line in [*notes, *([label] if label is not None else [])]:
        name, _, rest = line.partition(": ")
        name = _paint(name + ":", _BOLD + (_CYAN if name.startswith("fix") else _YELLOW), colour)
        out.append(" " * width + f" {_paint('=', _BOLD + _BLUE, colour)} {name} {rest}")
    return "\n".join(out) + "\n"


def rule_counts(findings: Iterable[Finding], unsafe_fixes: bool) -> list[tuple[str, str, int, int]]:
    """(code, name, findings, fixable findings) per rule, the most frequent first."""
    counts: Counter[str] = Counter()
    fixable: Counter[str] = Counter()
    names = {}
    for finding in findings:
        counts[finding.code] += 1
        fixable[finding.code] += finding.fixable(unsafe_fixes)
        names[finding.code] = finding.name
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [(code, names[code], count, fixable[code]) for code, count in ranked]


def statistics_table(findings: Iterable[Finding], unsafe_fixes: bool) -> str:
    """One row per rule, as ruff's ``--statistics``: count, code, ``[*]`` all fixable,
    ``[-]`` some, ``[ ]`` none, and the rule's name."""
    rows = rule_counts(findings, unsafe_fixes)
    width = max((len(str(count)) for _, _, count, _ in rows), default=1)

    def mark(count: int, fixable: int) -> str:
        return "[*]" if fixable == count else "[-]" if fixable else "[ ]"

    table = "".join(
        f"{count:>{width}}\t{code}\t{mark(count, fixable)} {name}\n" for code, name, count, fixable in rows
    )
    return table + STATISTICS_LEGEND if rows else table


STATISTICS_LEGEND = f"[*] all fixable, [-] some fixable, [ ] none fixable with {FIX_COMMAND}\n"


def _failures(results: Sequence[FileResult]) -> str:
    failed = sum(1 for result in results if result.errors)
    return f" {_count(failed, 'file')} could not be processed." if failed else ""


def _revealed(results: Sequence[FileResult], unsafe_fixes: bool) -> str:
    revealed = sum(result.revealed(unsafe_fixes) for result in results)
    return f", which then finds {revealed} more" if revealed else ""


def check_summary(results: Sequence[FileResult], unsafe_fixes: bool) -> str:
    """The last line of `check`: how many findings, and how many a fix run would fix (and
    find, when its fixes move code where another rule finds something)."""
    findings = [finding for result in results for finding in result.findings]
    failures = _failures(results)
    if not findings:
        return "No findings." + failures if failures else "All checks passed!"
    resolved = [finding for result in results for finding in result.resolved(unsafe_fixes)]
    now = len(resolved)
    # Fixes that need --unsafe-fixes are announced apart unless it was given, as in ruff;
    # given, it is named only when a fix needs it.
    later = 0 if unsafe_fixes else sum(1 for finding in findings if finding.fix is Safety.UNSAFE)
    command = UNSAFE_FIX_COMMAND if any(finding.fix is Safety.UNSAFE for finding in resolved) else FIX_COMMAND
    fixes = [f"{now} fixable with {command}{_revealed(results, unsafe_fixes)}"] if now else []
    if later:
        fixes.append(f"{later} {'more' if now else 'fixable'} with {UNSAFE_FIX_COMMAND}")
    detail = f" ({', '.join(fixes)})" if fixes else ""
    return f"Found {_count(len(findings), 'error')}{detail}." + failures


def error_line(error: FileError) -> str:
    """``path:line:col: error: message``, or ``path: error: message`` for a whole file."""
    where = f"{error.path}:{error.line}:{error.column}" if error.line else error.path
    return f"{where}: error: {error.message}"


def _fixed_findings(result: FileResult, unsafe_fixes: bool) -> str:
    resolved = result.resolved(unsafe_fixes)
    codes = ", ".join(sorted({finding.code for finding in resolved}))
    return f"{_count(len(resolved), 'finding')} ({codes})"


def fixed_line(result: FileResult, unsafe_fixes: bool) -> str:
    """What a fix run changed in one file."""
    if result.together and not result.resolved(unsafe_fixes):
        return f"{result.path}: changed by the fix of a finding in {', '.join(result.together)}"
    return f"{result.path}: fixed {_fixed_findings(result, unsafe_fixes)}"


def review_header(result: FileResult, unsafe_fixes: bool) -> str:
    """What `fix --interactive` says before showing a file's fix: the file, then each
    finding that the fix resolves, with its heading."""
    lines = [f"{result.path}: a fix for {_fixed_findings(result, unsafe_fixes)}"]
    for finding in result.resolved(unsafe_fixes):
        lines.append(f"  {finding.line}:{finding.column}: {finding.code} {split_message(finding.heading)[0]}")
    return "\n".join(lines)


def unreviewed_line(results: Sequence[FileResult]) -> str:
    """What `fix --interactive` says of the files it did not ask about, after a quit."""
    findings = sum(len(result.findings) for result in results)
    return (
        f"Quit: the fixes of {_count(len(results), 'file')} ({_count(findings, 'finding')}) were not shown"
        " and not written; `mpfix fix --interactive` asks again."
    )


def _fixed_count(results: Sequence[FileResult], unsafe_fixes: bool) -> str:
    changed = [result for result in results if result.fixed is not None]
    fixed = sum(len(result.resolved(unsafe_fixes)) for result in changed)
    return f"{_count(fixed, 'finding')} in {_count(len(changed), 'file')}"


def fix_summary(results: Sequence[FileResult], unsafe_fixes: bool) -> str:
    """The last line of `fix`: what was fixed and written, and what remains."""
    remaining = sum(len(result.remaining) for result in results)
    if not any(result.fixed is not None for result in results):
        if not remaining:
            return "No findings." + _failures(results) if _failures(results) else "All checks passed!"
        return f"No fixes applied, {remaining} remaining." + _failures(results)
    return f"Fixed {_fixed_count(results, unsafe_fixes)}, {remaining} remaining." + _failures(results)


def diff_summary(results: Sequence[FileResult], unsafe_fixes: bool) -> str:
    """The last line of `diff`: what `fix` would change."""
    if not any(result.fixed is not None for result in results):
        return "No fixes to apply." + _failures(results)
    revealed = _revealed(results, unsafe_fixes)
    return f"Would fix {_fixed_count(results, unsafe_fixes)}{revealed}." + _failures(results)


# -- diffs ----------------------------------------------------------------------------

def _colour(line: str, is_header: bool) -> str:
    if is_header:
        code = _BOLD
    elif line.startswith("@@"):
        code = _CYAN
    elif line.startswith(("-", "+")):
        code = _RED if line[0] == "-" else _GREEN
    else:
        return line
    body = line.rstrip("\r\n")
    return code + body + _RESET + line[len(body) :]


def unified_diff(path: str, before: str, after: str, *, colour: bool = False) -> str:
    """A unified diff with ``--- a/path`` and ``+++ b/path`` headers; line endings kept."""
    name = path.replace("\\", "/").lstrip("/")
    diff = difflib.unified_diff(lines_of(before), lines_of(after), f"a/{name}", f"b/{name}")
    lines = []
    for number, line in enumerate(diff):
        if not line.endswith(("\n", "\r")):
            line += "\n\\ No newline at end of file\n"
        # The first two lines are the file headers; a removed "-- x" line looks like one.
        lines.append(_colour(line, is_header=number < 2) if colour else line)
    return "".join(lines)


# -- rules ----------------------------------------------------------------------------


def rules_table(specs: Iterable[RuleSpec]) -> str:
    """One row per rule: code, name, fix safety, summary."""
    rows = [("Code", "Name", "Fix", "Summary")]
    rows += [(spec.code, spec.name, str(spec.safety), spec.summary) for spec in specs]
    widths = [max(len(row[column]) for row in rows) for column in range(3)]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row[:3], widths, strict=True)) + "  " + row[3]
        for row in rows
    )


# -- progress -------------------------------------------------------------------------


class Progress:
    """A one-line counter of the files done out of those found so far, drawn only for runs
    long enough to need it, and at most every ``interval`` seconds (and at the end)."""

    def __init__(self, stream: TextIO, minimum: int = 40, interval: float = 0.1) -> None:
        self.stream = stream
        self.minimum = minimum
        self.interval = interval
        self.drawn = False
        self.last: float | None = None  # when the counter was last drawn

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        # The first count is drawn at once: the clock may read less than one interval
        # (it counts from the machine's start).
        recent = self.last is not None and now - self.last < self.interval
        if total < self.minimum or (done < total and recent):
            return
        self.last = now
        self.stream.write(f"\rmpfix: {done}/{total} files")
        self.stream.flush()
        self.drawn = True

    def close(self) -> None:
        if self.drawn:
            self.stream.write("\r\033[K")  # erase the counter line
            self.stream.flush()
