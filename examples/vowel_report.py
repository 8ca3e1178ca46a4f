"""Report the vowels of each text under texts/, counted line by line in a pool.

The pool is never closed (MP011): its worker processes stay alive, idle, while the rest
of the report is written, until ``main()`` returns and the pool happens to be collected.
The script prints how many are still running at the end. Run it with
``python vowel_report.py``.
"""

import multiprocessing as mp
from pathlib import Path

TEXT_DIR = Path(__file__).parent / "texts"
WORKERS = 3


def vowels(line):
    return sum(line.lower().count(vowel) for vowel in "aeiou")


def main():
    pool = mp.Pool(WORKERS)
    for path in sorted(TEXT_DIR.glob("*.txt")):
        counts = pool.map(vowels, path.read_text(encoding="utf-8").splitlines())
        print(f"{path.stem:12} {sum(counts):5} vowels, at most {max(counts)} in a line")
    print("worker processes still running:", len(mp.active_children()))


if __name__ == "__main__":
    main()
