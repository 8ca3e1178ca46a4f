"""shapes: squares numbers in worker processes."""

import multiprocessing as mp


def use_spawn():
    mp.set_start_method("spawn")


def square(n):
    return n * n


def squares(numbers):
    with mp.Pool(2) as pool:
        return pool.map(square, numbers)
