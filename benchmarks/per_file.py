"""What mpfix does with each file of a corpus: how many files pass each stage, and how long
each one takes alone through the runner's per-file work, in one process.

Run in a process of its own (see scan.bench): it imports mpfix's engine and libcst.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported by the functions that need them, once the checkout is on sys.path
    from mpfix.model import RuleSpec


@dataclass(frozen=True)
class Survey:
    found: int
    size_mb: float
    prefiltered: int  # pass the byte prefilter
    parsed: int  # reach libcst
    slowest: list[tuple[str, float]]  # (path in the corpus, seconds), slowest first


def reaches_libcst(source: str) -> bool:
    """Whether mpfix parses ``source`` with libcst: as mpfix.screening decides, when some
    rule's needles and ``ast`` pre-check let it through and the rule does not decide on
    ``ast`` (or Python cannot parse it)."""
    from mpfix.registry import RULES
    from mpfix.screening import screen

    screened = screen(source, RULES)
    return bool(screened.passed - screened.decided.keys())


def needled(data: bytes) -> tuple[RuleSpec, ...] | None:
    """The rules whose needles a file's bytes hold, every rule selected; None when the
    runner hands the file to no worker (the byte prefilter, or its size, rules it out)."""
    from mpfix.registry import RULES
    from mpfix.run.pipeline import MAX_FILE_SIZE, prefilter

    return prefilter(data, RULES) if len(data) <= MAX_FILE_SIZE else None


def seconds_alone(path: str, data: bytes) -> float:
    """The time of `mpfix check`'s work on one file, every rule selected, in this process:
    the byte prefilter and, when the file passes it, what a worker does with the file
    (mpfix.run.workers.analyse_file, without what other modules tell it), fixes included:
    `check` works them out to say how many findings a fix run would fix."""
    from mpfix.registry import RULES
    from mpfix.run.request import Job, Options
    from mpfix.run.workers import analyse_file

    start = time.perf_counter()
    rules = needled(data)
    if rules is not None:
        analyse_file(Job(path, data, Options(RULES, fix=True), rules))
    return time.perf_counter() - start


def survey(corpus: Path, listing: Path, slowest: int = 10) -> Survey:
    """The files that mpfix finds in ``corpus`` (their paths written to ``listing``, one a
    line), their size, how many pass the byte prefilter and reach libcst, and the
    ``slowest`` of them alone through mpfix with their time."""
    # Imported here, in the one task that needs them, after the checkout is on sys.path;
    # the engine (and libcst) before the first file is timed, as a worker does when it starts.
    from mpfix import engine  # noqa: F401  # mpfix: ignore[import-in-task]
    from mpfix.registry import RULES  # mpfix: ignore[import-in-task]
    from mpfix.run.discover import decode, discover  # mpfix: ignore[import-in-task]

    for spec in RULES:
        spec.load()  # the rules' modules, which a worker imports with its first file
    found = prefiltered = parsed = 0
    size = 0.0
    times: list[tuple[str, float]] = []
    paths = list(discover([str(corpus)]))
    listing.write_text("".join(f"{path}\n" for path in paths), encoding="utf-8")
    for path in paths:
        data = Path(path).read_bytes()
        found += 1
        size += len(data) / 1e6
        times.append((os.path.relpath(path, corpus), seconds_alone(path, data)))
        if needled(data) is not None:
            prefiltered += 1
            try:
                parsed += reaches_libcst(decode(data)[0])
            except (SyntaxError, UnicodeDecodeError):
                pass  # reported as undecodable, never parsed
    times.sort(key=lambda pair: pair[1], reverse=True)
    return Survey(found, size, prefiltered, parsed, times[:slowest])


def count_files(corpus: Path) -> int:
    """How many Python files mpfix finds in ``corpus``."""
    from mpfix.run.discover import discover  # mpfix: ignore[import-in-task]

    return sum(1 for _ in discover([str(corpus)]))
