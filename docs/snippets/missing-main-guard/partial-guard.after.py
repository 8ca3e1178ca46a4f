import multiprocessing as mp


def count_vowels(text):
    return sum(letter in "aeiou" for letter in text)


if __name__ == "__main__":
    mp.freeze_support()
    texts = ["process", "pool", "queue"]

    # Runs in every child under spawn: the guard above ends too early.
    with mp.Pool(2) as pool:
        print(pool.map(count_vowels, texts))
