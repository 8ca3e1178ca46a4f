from multiprocessing import Pool

FACTOR = 3
TABLE = {n: n * n for n in range(5)}


def scale(x):
    return x * FACTOR + TABLE[x]


if __name__ == "__main__":
    with Pool(2) as pool:
        print(pool.map(scale, range(5)))
