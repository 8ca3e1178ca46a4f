import multiprocessing as mp


def invert(n):
    return 1 / n


if __name__ == "__main__":
    numbers = [4, 2, 0, 1]
    with mp.Pool(2) as pool:
        handles = [pool.apply_async(invert, (n,)) for n in numbers]
        for n, handle in zip(numbers, handles):
            try:
                print(n, handle.get())
            except ZeroDivisionError as error:
                print(n, "failed:", error)
