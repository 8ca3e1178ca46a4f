import multiprocessing as mp


def double(x):
    return 2 * x


def announce():
    print("worker ready", flush=True)


def main():
    with mp.Pool(1, initializer=announce) as pool:
        print(pool.map(double, [1, 2, 3]))


if __name__ == "__main__":
    main()
