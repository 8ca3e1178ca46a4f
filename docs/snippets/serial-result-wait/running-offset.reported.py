from multiprocessing import Pool


def label(x, offset):
    return f"item {x} at {offset}"


if __name__ == "__main__":
    offset = 0
    with Pool(2) as pool:
        for x in [3, 1, 2]:
            print(pool.apply_async(label, (x, offset)).get())
            offset += x
