import functools
import multiprocessing as mp


def scale(factor, n):
    return n * factor


def scale_all(numbers, factor):
    with mp.Pool(2) as pool:
        return pool.map(functools.partial(scale, factor), numbers)


if __name__ == "__main__":
    print(scale_all([1, 2, 3], 10))
    with mp.Pool(2) as pool:
        print(pool.map(abs, [-1, -2]))
