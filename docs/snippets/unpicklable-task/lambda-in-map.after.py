import multiprocessing as mp


def _main_task(n):
    return n * n


def main():
    with mp.Pool(2) as pool:
        squares = pool.map(_main_task, range(6))
    print("squares:", squares)


if __name__ == "__main__":
    main()
