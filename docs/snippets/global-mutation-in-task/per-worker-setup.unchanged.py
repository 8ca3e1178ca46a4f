import multiprocessing as mp

table = None
_cache = {}


def load_table(size):
    """Pool initializer: each worker builds its own lookup table, once."""
    global table
    table = [n * n for n in range(size)]


def lookup(n):
    if n not in _cache:  # remembered by this worker, for its own later tasks
        _cache[n] = table[n] + 1
    return _cache[n]


if __name__ == "__main__":
    with mp.Pool(2, initializer=load_table, initargs=(10,)) as pool:
        print(pool.map(lookup, [1, 2, 1, 3]))
