"""shapes: squares numbers in worker processes."""

import multiprocessing as mp


def square(n):
    return n * n


def squares(numbers, context=None):
    context = context or mp.get_context("spawn")
    with context.Pool(2) as pool:
        return pool.map(square, numbers)
