import multiprocessing as mp


def main():
    with mp.Pool(2) as pool:
        squares = pool.map(lambda n: n * n, range(6))
    print("squares:", squares)


if __name__ == "__main__":
    main()
