from concurrent.futures import ThreadPoolExecutor
from multiprocessing.pool import ThreadPool


def main():
    # Threads share the interpreter: nothing is pickled.
    with ThreadPool(2) as pool:
        print(pool.map(lambda n: n * n, range(4)))
    with ThreadPoolExecutor(max_workers=2) as executor:
        print(list(executor.map(lambda n: -n, range(4))))


if __name__ == "__main__":
    main()
