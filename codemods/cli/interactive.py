"""`mpfix fix --interactive`: show each file's fix and ask before writing it.

The unit of review is a file's fix: mpfix fixes a file as a whole, to a fixpoint, and
checks the result before it may be written, so a part of it (one hunk, or one finding's
share of a rewrite) is never something mpfix has verified. Files are reviewed in path
order while the rest are still being analysed.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TextIO

import typer

from ..model import FileResult

PROMPT = "Apply this fix? [y]es, [n]o, [a]ll remaining, [q]uit: "
HELP = (
    "y: write this fix; n: skip it (its findings stay reported); "
    "a: write it and every fix after it without asking; q: write nothing more"
)


class Answer(str, enum.Enum):
    YES = "y"
    NO = "n"
    ALL = "a"
    QUIT = "q"


def ask(stdin: TextIO, echo: Callable[[str], None]) -> Answer:
    """Read one answer: a key press on a terminal, a line otherwise; end of input quits."""
    while True:
        echo(PROMPT)
        if stdin.isatty():
            try:
                key = typer.getchar()
            except EOFError:  # Ctrl-D
                key = Answer.QUIT.value
        else:
            line = stdin.readline()
            # Piped answers: end of input means quit, so nothing is written unasked.
            key = line.strip()[:1].lower() if line else Answer.QUIT.value
        echo(key + "\n")
        try:
            return Answer(key.lower())
        except ValueError:
            echo(HELP + "\n")


@dataclass
class Review:
    """What a review gave: every result (the fixes that were not written are dropped, so
    their findings remain), and the files whose fix was never asked about (after a quit)."""

    results: list[FileResult] = field(default_factory=list)
    unreviewed: list[FileResult] = field(default_factory=list)


def review(
    analysed: Iterable[tuple[FileResult, bytes | None]],
    *,
    show: Callable[[FileResult], None],
    answer: Callable[[], Answer],
    write: Callable[[FileResult, bytes], bool],
    skipped: Callable[[FileResult], None],
) -> Review:
    """Ask about each file's fix in turn, and write the accepted ones; ``skipped`` hears
    of each fix the user said no to."""
    outcome = Review()
    asking, quitting = True, False
    for result, original in analysed:
        outcome.results.append(result)
        if result.fixed is None or original is None:
            continue
        if quitting:
            outcome.unreviewed.append(result)
            result.fixes_lost()
            continue
        if asking:
            show(result)
            reply = answer()
            asking, quitting = reply in (Answer.YES, Answer.NO), reply is Answer.QUIT
            if reply is Answer.NO:
                result.fixes_lost()
                skipped(result)
                continue
            if reply is Answer.QUIT:
                outcome.unreviewed.append(result)
                result.fixes_lost()
                continue
        write(result, original)
    return outcome
