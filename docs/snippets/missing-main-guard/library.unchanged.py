"""A library module: it defines a function that uses a pool, and starts nothing itself."""

from multiprocessing import Pool


def parallel_squares(numbers, processes=2):
    with Pool(processes) as pool:
        return pool.map(pow, numbers, [2] * len(numbers))
