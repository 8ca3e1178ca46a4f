from multiprocessing import Pool

WORDS = []


def setup(prefix, words):
    global PREFIX, WORDS
    PREFIX = prefix
    WORDS = words


def label(i):
    return f"{PREFIX}{i}: {WORDS[i]}"


if __name__ == "__main__":
    WORDS.extend(["alpha", "beta"])
    with Pool(2, initializer=setup, initargs=("#", WORDS)) as pool:
        print(pool.map(label, range(2)))
