import multiprocessing as mp


def invert(n):
    return 1 / n


def report(error):
    print("failed:", error)


if __name__ == "__main__":
    with mp.Pool(2) as pool:
        for n in [4, 2, 0, 1]:
            pool.apply_async(invert, (n,), error_callback=report)
        pool.close()
        pool.join()
    print("all done")
