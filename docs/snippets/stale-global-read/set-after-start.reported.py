from multiprocessing import Pool

CONFIG = None


def scale(x):
    return x * CONFIG["factor"]


if __name__ == "__main__":
    with Pool(2) as pool:
        for factor in (2, 3):
            CONFIG = {"factor": factor}
            print(pool.map(scale, range(3)))
