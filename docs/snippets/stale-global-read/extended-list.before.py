from multiprocessing import Pool

WORDS = []


def setup(prefix):
    global PREFIX
    PREFIX = prefix


def label(i):
    return f"{PREFIX}{i}: {WORDS[i]}"


if __name__ == "__main__":
    WORDS.extend(["alpha", "beta"])
    with Pool(2, initializer=setup, initargs=("#",)) as pool:
        print(pool.map(label, range(2)))
