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
        futures = [(line, executor.submit(count_words, line)) for line in LINES]
        for line, future in futures:
            count = future.result()
            print(f"{count} words: {line}")
