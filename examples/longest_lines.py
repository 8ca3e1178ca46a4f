"""The longest line of each text under texts/, found in a pool.

Run it with ``python longest_lines.py``.
"""

import multiprocessing as mp
from pathlib import Path

TEXT_DIR = Path(__file__).parent / "texts"


def main():
    paths = sorted(TEXT_DIR.glob("*.txt"))
    with mp.Pool(2) as pool:
        longest = pool.map(
            lambda path: max(path.read_text(encoding="utf-8").splitlines(), key=len),
            paths,
        )
    for path, line in zip(paths, longest):
        print(f"{path.name}: {len(line)} characters")


if __name__ == "__main__":
    main()
