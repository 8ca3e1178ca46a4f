"""The floor of a scan on Python's `ast`: read each file of a list and parse it with
``ast.parse``, nothing more, in one process or over a pool of them.

    python benchmarks/ast_floor.py PEAKS LISTING JOBS

LISTING names one file a line; JOBS is 1 (this process alone) or the number of worker
processes. Like the other Python contenders of scan.py, it writes its own peak memory
and the largest of its workers' to PEAKS.
"""

from __future__ import annotations

import ast
import resource
import sys
import warnings
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

WHO = resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN


def parse(path: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # invalid escape sequences and the like
        try:
            ast.parse(Path(path).read_bytes())
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            pass  # a file that does not parse costs what it cost to find out


def main() -> None:
    peaks, listing, jobs = sys.argv[1], sys.argv[2], int(sys.argv[3])
    paths = Path(listing).read_text(encoding="utf-8").splitlines()
    if jobs == 1:
        for path in paths:
            parse(path)
    else:
        # The largest files first, so that no big file is left to end the run alone.
        paths.sort(key=lambda path: Path(path).stat().st_size, reverse=True)
        with ProcessPoolExecutor(jobs) as pool:
            list(pool.map(parse, paths, chunksize=8))
    with open(peaks, "w") as out:
        print(*(resource.getrusage(who).ru_maxrss for who in WHO), file=out)


if __name__ == "__main__":
    main()
