import multiprocessing as mp


def square(n):
    return n * n


if __name__ == "__main__":
    with mp.Pool(4) as pool:  # terminated when the block ends
        print(pool.map(square, range(5)))

    pool = mp.Pool(2)
    try:
        print(pool.map(square, range(5, 10)))
    finally:
        pool.close()  # no more tasks; the workers exit when the queued ones are done
        pool.join()
