from concurrent.futures import ProcessPoolExecutor

LINES = [
    "the quick brown fox",
    "jumps over",
    "the lazy dog",
]


def count_words(line):
    return len(line.split())


if __name__ == "__main__":
    with ProcessPoolExecutor(max_workers=2) as executor:
        for line in LINES:
            count = executor.submit(count_words, line).result()
            print(f"{count} words: {line}")
