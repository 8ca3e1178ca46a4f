import multiprocessing as mp
from concurrent.futures import ProcessPoolExecutor


def square(n):
    return n * n


if __name__ == "__main__":
    # Workers that live as long as the executor may fork.
    with ProcessPoolExecutor(2, mp_context=mp.get_context("fork")) as executor:
        print(sum(executor.map(square, range(5))))
