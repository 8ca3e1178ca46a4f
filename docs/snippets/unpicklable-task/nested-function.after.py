import multiprocessing as mp


# The helper that each worker runs.
def length(word):
    return len(word.strip(".,!?"))


def word_lengths(words):
    with mp.Pool(2) as pool:
        return pool.map(length, words)


if __name__ == "__main__":
    print(word_lengths(["Spawn,", "fork", "and", "forkserver!"]))
