import multiprocessing as mp


def square(n, results):
    results.put(n * n)


if __name__ == "__main__":
    # Created by the parent and handed to each child: one queue, shared by all.
    results = mp.Queue()
    workers = [mp.Process(target=square, args=(n, results)) for n in range(1, 4)]
    for worker in workers:
        worker.start()
    total = sum(results.get(timeout=3) for _ in workers)
    for worker in workers:
        worker.join()
    print("sum of squares:", total)
