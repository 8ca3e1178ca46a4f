"""Count the words of the texts under texts/ in a pool, and how many files are done.

The workers add to a shared counter as they finish each file. Run it with
``python progress_counter.py``.
"""

import multiprocessing as mp
from pathlib import Path

TEXT_DIR = Path(__file__).parent / "texts"
files_done = mp.Value("i", 0)


def count_words(path):
    """The name of the text at ``path`` and its number of words."""
    words = len(path.read_text(encoding="utf-8").split())
    with files_done.get_lock():
        files_done.value += 1
    return path.name, words


def main():
    paths = sorted(TEXT_DIR.glob("*.txt"))
    with mp.Pool(2) as pool:
        results = pool.map(count_words, paths)
    for name, words in results:
        print(f"{words:5}  {name}")
    print(f"{files_done.value} of {len(paths)} files counted")


if __name__ == "__main__":
    main()
