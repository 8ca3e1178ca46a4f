import multiprocessing as mp


def square(n):
    return n * n


def squares(numbers):
    return pool.map(square, numbers)


if __name__ == "__main__":
    pool = mp.Pool(2)
    print(squares(range(5)))
    print(squares(range(5, 10)))
