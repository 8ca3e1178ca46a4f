import functools
import multiprocessing as mp


def _scale_all_task(n, *, factor):
    return n * factor


def scale_all(numbers, factor):
    with mp.Pool(2) as pool:
        return pool.map(functools.partial(_scale_all_task, factor=factor), numbers)


if __name__ == "__main__":
    print(scale_all([1, 2, 3], 10))
