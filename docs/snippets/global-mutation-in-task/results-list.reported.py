import multiprocessing as mp

squares = []


def square(n):
    squares.append(n * n)


if __name__ == "__main__":
    with mp.Pool(2) as pool:
        pool.map(square, range(5))
    print("squares:", squares)
