from multiprocessing import Pool


def step(total, x):
    return total * 2 + x


if __name__ == "__main__":
    total = 0
    with Pool(2) as pool:
        for x in [1, 2, 3]:
            total = pool.apply_async(step, (total, x)).get()
    print(total)
