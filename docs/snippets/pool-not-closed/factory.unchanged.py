import multiprocessing as mp


def square(n):
    return n * n


def make_pool(workers):
    pool = mp.Pool(workers)
    return pool  # the caller owns the pool, and closes it


if __name__ == "__main__":
    with make_pool(2) as pool:
        print(pool.map(square, range(5)))
