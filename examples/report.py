"""Print the most common words in the texts under texts/.

Already safe under every start method: the work starts only under the
``if __name__ == "__main__":`` guard, so mpfix leaves this file alone.
Run it with ``python report.py``.
"""

from multiprocessing import freeze_support
from pathlib import Path

from textstats import word_frequencies

TEXT_DIR = Path(__file__).parent / "texts"
TOP = 8


def main():
    paths = sorted(TEXT_DIR.glob("*.txt"))
    counts = word_frequencies(paths, processes=2)
    print(f"{len(paths)} texts, {counts.total()} words, {len(counts)} different")
    for word, count in counts.most_common(TOP):
        print(f"{count:4}  {word}")


if __name__ == "__main__":
    freeze_support()
    main()
