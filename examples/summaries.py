"""Print a one-line summary of each text under texts/: words, sentences, longest word.

Each text is summarised in a worker process of a pool, but the loop waits for each
summary before it asks for the next, so the pool's workers take turns instead of working
side by side. Run it with ``python summaries.py``.
"""

import re
from multiprocessing import Pool
from pathlib import Path

TEXT_DIR = Path(__file__).parent / "texts"
WORKERS = 3


def summarize(path):
    """Words, sentences and the longest word of the text at ``path``."""
    text = path.read_text(encoding="utf-8")
    words = re.findall(r"[a-z']+", text.lower())
    sentences = len(re.findall(r"[.!?](?:\s|$)", text))
    return len(words), sentences, max(words, key=len)


def main():
    with Pool(WORKERS) as pool:
        for path in sorted(TEXT_DIR.glob("*.txt")):
            words, sentences, longest = pool.apply_async(summarize, (path,)).get()
            print(f"{path.stem:12} {words:4} words {sentences:3} sentences  longest: {longest}")


if __name__ == "__main__":
    main()
