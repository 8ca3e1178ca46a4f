import multiprocessing as mp


def squares(out, start, count):
    out.put((start, [n * n for n in range(start, start + count)]))


if __name__ == "__main__":
    with mp.Manager() as manager:
        queue = manager.Queue()  # the items wait in the manager's process, not in a pipe
        workers = [mp.Process(target=squares, args=(queue, start, 50_000)) for start in (0, 50_000)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        results = [queue.get() for _ in workers]
    print(sorted(len(values) for _, values in results))
