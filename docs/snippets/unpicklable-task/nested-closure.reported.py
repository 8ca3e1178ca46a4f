import multiprocessing as mp


def scale_all(numbers, factor):
    def scale(n):
        return n * factor

    with mp.Pool(2) as pool:
        return pool.map(scale, numbers)


if __name__ == "__main__":
    print(scale_all([1, 2, 3], 10))
