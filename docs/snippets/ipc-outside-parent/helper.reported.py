import multiprocessing as mp

log = mp.Queue()


def note(text):
    log.put(text)


def work(n):
    # `log` is reached through `note`, which other code may call too.
    note(f"working on {n}")
    return n + 1


if __name__ == "__main__":
    with mp.Pool(2) as pool:
        print(pool.map(work, range(3)))
