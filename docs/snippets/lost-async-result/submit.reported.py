from concurrent.futures import ProcessPoolExecutor


def invert(n):
    return 1 / n


if __name__ == "__main__":
    with ProcessPoolExecutor(2) as executor:
        for n in [4, 2, 0, 1]:
            executor.submit(invert, n)
    print("all done")
