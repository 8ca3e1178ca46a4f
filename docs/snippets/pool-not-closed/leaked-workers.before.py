import multiprocessing as mp


def square(n):
    return n * n


if __name__ == "__main__":
    pool = mp.Pool(4)
    squares = pool.map(square, range(10))
    print(squares)
    print("worker processes still running:", len(mp.active_children()))
