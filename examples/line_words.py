"""Count the words of every line of the texts under texts/.

The lines come from a generator, one at a time, but ``pool.map()`` reads all of them into
a list before the first task starts, and holds every count until the last one is done
(MP005): given a few gigabytes of logs instead of three short texts, the parent would
hold them all. Run it with ``python line_words.py``.
"""

from multiprocessing import Pool
from pathlib import Path

TEXT_DIR = Path(__file__).parent / "texts"
WORKERS = 3


def lines(folder):
    """Every line of every text in ``folder``, one at a time."""
    for path in sorted(folder.glob("*.txt")):
        with path.open(encoding="utf-8") as text:
            yield from text


def word_count(line):
    return len(line.split())


def main():
    with Pool(WORKERS) as pool:
        total = sum(pool.map(word_count, lines(TEXT_DIR)))
    print(f"{total} words in the texts")


if __name__ == "__main__":
    main()
