import multiprocessing as mp


def square(n):
    return n * n


def main():
    with mp.Pool(2) as pool:
        print(pool.map(square, [1, 2, 3, 4]))


if __name__ == "__main__":
    mp.set_start_method("spawn")
    main()
