"""Counting words, one worker process per file.

A library module: it only defines functions, and starts processes only when a caller
asks, so it needs no ``if __name__ == "__main__":`` guard of its own.
"""

import re
from collections import Counter
from multiprocessing import Pool

WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")
STOP_WORDS = frozenset(
    """a all an and are as at be but by for from if in into is it its not of on or so the
    their they to was we when where while with""".split()
)


def count_words(path):
    """How often each word other than a stop word occurs in the file at ``path``."""
    text = path.read_text(encoding="utf-8").lower()
    return Counter(word for word in WORD.findall(text) if word not in STOP_WORDS)


def word_frequencies(paths, processes=None):
    """The word counts of all ``paths`` together, counted in ``processes`` workers."""
    with Pool(processes) as pool:
        counts = pool.map(count_words, paths)
    return sum(counts, Counter())
