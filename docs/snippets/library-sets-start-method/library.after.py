"""shapes: squares numbers in worker processes."""

import multiprocessing as mp

ctx = mp.get_context("spawn")


def square(n):
    return n * n


def squares(numbers):
    with ctx.Pool(2) as pool:
        return pool.map(square, numbers)
