"""`mpfix fix --interactive`: show each file's fix and ask before writing it.

The unit of review is a file's fix: mpfix fixes a file as a whole, to a fixpoint, and
checks the result before it may be written, so a part of it (one hunk, or one finding's
share of a rewrite) is never something mpfix has verified. Files are reviewed in path
order while the rest are still being analysed.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from typing import TextIO

import typer

from codemods.model import FileResult

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


def review(
    analysed: Iterable[tuple[FileResult, bytes | None]],
    *,
    show: Callable[[FileResult], None],
    answer: Callable[[], Answer],
    write: Callable[[FileResult, bytes], bool],
) -> list[FileResult]:
    """Every result; the fixes that were accepted (and written) keep ``fixed``, the others
    are dropped, so their findings are reported as remaining."""
    results = []
    asking, quitting = True, False
    for result, original in analysed:
        results.append(result)
        if result.fixed is None or original is None:
            continue
        if asking:
            show(result)
            reply = answer()
            asking, quitting = reply in (Answer.YES, Answer.NO), reply is Answer.QUIT
            if reply in (Answer.NO, Answer.QUIT):
                result.fixes_lost()
                continue
        elif quitting:
            result.fixes_lost()
            continue
        write(result, original)
    return results
