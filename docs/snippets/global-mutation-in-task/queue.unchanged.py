import multiprocessing as mp


def add(n, results):
    results.put(n)


if __name__ == "__main__":
    results = mp.Queue()
    workers = [mp.Process(target=add, args=(n, results)) for n in range(1, 5)]
    for worker in workers:
        worker.start()
    total = sum(results.get() for _ in workers)
    for worker in workers:
        worker.join()
    print("total:", total)
