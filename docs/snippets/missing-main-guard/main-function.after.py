from concurrent.futures import ProcessPoolExecutor


def word_length(word):
    return len(word)


def main():
    words = ["spawn", "fork", "forkserver"]
    with ProcessPoolExecutor(max_workers=2) as executor:
        lengths = list(executor.map(word_length, words))
    for word, length in zip(words, lengths):
        print(f"{word}: {length}")


if __name__ == "__main__":
    main()
