import multiprocessing as mp


def square(n):
    return n * n


if __name__ == "__main__":
    with mp.Pool(4) as pool:
        squares = pool.map(square, range(10))
    print(squares)
    print("worker processes still running:", len(mp.active_children()))
