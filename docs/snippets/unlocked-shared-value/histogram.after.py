import multiprocessing as mp

buckets = None


def share(parent_buckets):
    """Pool initializer: each worker keeps the parent's array."""
    global buckets
    buckets = parent_buckets


def tally(numbers):
    for n in numbers:
        # one more number with this remainder
        with buckets.get_lock():
            buckets[n % 3] += 1


if __name__ == "__main__":
    buckets = mp.Array("i", 3)
    chunks = [range(start, start + 30_000) for start in range(0, 120_000, 30_000)]
    with mp.Pool(4, initializer=share, initargs=(buckets,)) as pool:
        pool.map(tally, chunks)
    print("numbers by remainder:", list(buckets))
