import multiprocessing as mp
from concurrent.futures import ProcessPoolExecutor


def square(n):
    return n * n


if __name__ == "__main__":
    context = mp.get_context("spawn")
    # Each worker runs ten tasks at most, then is replaced by a fresh one.
    with ProcessPoolExecutor(2, mp_context=context, max_tasks_per_child=10) as executor:
        print(sum(executor.map(square, range(5))))
