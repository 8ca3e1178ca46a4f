"""Count the words of the texts that MANIFEST lists, one pool task per text.

A callback collects each task's count; the parent prints the total. Run it with
``python word_totals.py``.
"""

from multiprocessing import Pool
from pathlib import Path

TEXT_DIR = Path(__file__).parent / "texts"
MANIFEST = ["bread.txt", "harbour.txt", "lighthouse.txt", "river.txt"]


def count_words(name):
    """The number of words in the text called ``name``."""
    return len((TEXT_DIR / name).read_text(encoding="utf-8").split())


def main():
    counts = []
    with Pool(2) as pool:
        for name in MANIFEST:
            pool.apply_async(count_words, (name,), callback=counts.append)
        pool.close()
        pool.join()
    print(f"{len(MANIFEST)} texts, {sum(counts)} words")


if __name__ == "__main__":
    main()
