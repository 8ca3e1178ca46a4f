"""Find the longest word of each text under texts/, one pool task per text.

Each task records what it found in a module-level dict, which the parent then prints.
Run it with ``python longest_words.py``.
"""

import re
from multiprocessing import Pool
from pathlib import Path

TEXT_DIR = Path(__file__).parent / "texts"
longest = {}


def find_longest(path):
    """Record the longest word of the text at ``path`` in ``longest``."""
    words = re.findall(r"[A-Za-z']+", path.read_text(encoding="utf-8"))
    longest[path.name] = max(words, key=len)


def main():
    paths = sorted(TEXT_DIR.glob("*.txt"))
    with Pool(2) as pool:
        pool.map(find_longest, paths)
    for name, word in sorted(longest.items()):
        print(f"{name:16} {word}")
    print(f"longest words of {len(longest)} of {len(paths)} texts")


if __name__ == "__main__":
    main()
