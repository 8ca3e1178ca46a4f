from multiprocessing import Pool


def square(n):
    return n * n


if __name__ == "__main__":
    numbers = [3, 1, 4, 1, 5, 9, 2, 6]
    with Pool(4) as pool:
        squares = pool.map(square, numbers)  # a list in, a list out: nothing extra is held
        cubes = pool.map(square, range(10))  # a small range
    print(squares, cubes)
