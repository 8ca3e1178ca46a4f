import multiprocessing as mp


def squares(out, start, count):
    out.put((start, [n * n for n in range(start, start + count)]))


if __name__ == "__main__":
    queue = mp.Queue()
    workers = [mp.Process(target=squares, args=(queue, start, 50_000)) for start in (0, 50_000)]
    for worker in workers:
        worker.start()
    results = [queue.get() for _ in workers]  # read everything first...
    for worker in workers:
        worker.join()  # ...then join: each child has flushed its items and can exit
    print(sorted(len(values) for _, values in results))
