import multiprocessing as mp


def square(x):
    return x * x


if __name__ == "__main__":
    results = []
    with mp.Pool(4) as pool:
        handles = [(i, pool.apply_async(square, (i,))) for i in range(8)]
        for i, handle in handles:
            results.append(handle.get())
    print(results)
