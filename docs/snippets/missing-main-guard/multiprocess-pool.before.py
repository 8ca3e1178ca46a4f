import multiprocess as mp

SCALE = 10


def scale(x):
    return x * SCALE


with mp.Pool(2) as pool:
    print(pool.map(scale, range(5)))
