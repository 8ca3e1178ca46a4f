import multiprocess as mp

SCALE = 10


def scale(x):
    return x * SCALE


if __name__ == "__main__":
    with mp.Pool(2) as pool:
        print(pool.map(scale, range(5)))
