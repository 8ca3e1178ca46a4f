import multiprocessing as mp


def word_lengths(words):
    # The helper that each worker runs.
    def length(word):
        return len(word.strip(".,!?"))

    with mp.Pool(2) as pool:
        return pool.map(length, words)


if __name__ == "__main__":
    print(word_lengths(["Spawn,", "fork", "and", "forkserver!"]))
