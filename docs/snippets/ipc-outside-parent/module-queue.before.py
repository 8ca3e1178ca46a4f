import multiprocessing as mp

results = mp.Queue()


def square(n):
    results.put(n * n)


if __name__ == "__main__":
    workers = [mp.Process(target=square, args=(n,)) for n in range(1, 4)]
    for worker in workers:
        worker.start()
    total = sum(results.get(timeout=3) for _ in workers)
    for worker in workers:
        worker.join()
    print("sum of squares:", total)
