import multiprocessing as mp


def double(x):
    return 2 * x


if __name__ == "__main__":
    with mp.Pool(2) as pool:
        print(pool.map(double, [1, 2, 3]))
