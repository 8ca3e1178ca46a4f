# Every task is submitted before the first wait: the pool runs them side by side.
from multiprocessing import Pool


def square(x):
    return x * x


if __name__ == "__main__":
    with Pool(4) as pool:
        handles = [pool.apply_async(square, (i,)) for i in range(8)]
        print([handle.get() for handle in handles])
