import multiprocessing as mp


def square(n):
    return n * n


if __name__ == "__main__":
    # No thread runs in this program: forking it copies no lock that another thread holds.
    with mp.get_context("fork").Pool(2) as pool:
        print(pool.map(square, range(4)))
