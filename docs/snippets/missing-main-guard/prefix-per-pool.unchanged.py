from functools import partial
from multiprocessing import Pool


def label(prefix, n):
    return f"{prefix}{n}"


if __name__ == "__main__":
    for prefix in ("a", "b"):
        with Pool(2) as pool:
            print(pool.map(partial(label, prefix), [1, 2]))
