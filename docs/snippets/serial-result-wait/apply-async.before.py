import multiprocessing as mp


def square(x):
    return x * x


if __name__ == "__main__":
    results = []
    with mp.Pool(4) as pool:
        for i in range(8):
            results.append(pool.apply_async(square, (i,)).get())
    print(results)
