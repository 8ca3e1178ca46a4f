import itertools
from multiprocessing import Pool


def is_perfect(n):
    return sum(d for d in range(1, n) if n % d == 0) == n


if __name__ == "__main__":
    with Pool(2) as pool:
        for n in itertools.count(2):
            if pool.apply_async(is_perfect, (n,)).get():
                print("first perfect number:", n)
                break
