import multiprocessing as mp


def squares(out, start, count):
    """Puts the squares of one slice of the numbers into the queue, as one list."""
    out.put((start, [n * n for n in range(start, start + count)]))


if __name__ == "__main__":
    queue = mp.Queue()
    workers = [mp.Process(target=squares, args=(queue, start, 50_000)) for start in (0, 50_000, 100_000)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    results = [queue.get() for _ in workers]
    for start, values in sorted(results):
        print(f"from {start}: {len(values)} squares, the last {values[-1]}")
