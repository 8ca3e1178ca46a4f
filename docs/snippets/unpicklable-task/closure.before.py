import multiprocessing as mp


def scale_all(numbers, factor):
    with mp.Pool(2) as pool:
        return pool.map(lambda n: n * factor, numbers)


if __name__ == "__main__":
    print(scale_all([1, 2, 3], 10))
