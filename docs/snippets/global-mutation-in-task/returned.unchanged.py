import multiprocessing as mp


def square(n):
    return n * n


if __name__ == "__main__":
    with mp.Pool(2) as pool:
        squares = pool.map(square, range(5))
    print("squares:", squares)
