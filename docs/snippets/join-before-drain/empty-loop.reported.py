import multiprocessing as mp


def squares(out, start, count):
    out.put((start, [n * n for n in range(start, start + count)]))


if __name__ == "__main__":
    queue = mp.Queue()
    workers = [mp.Process(target=squares, args=(queue, start, 50_000)) for start in (0, 50_000)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    results = []
    while not queue.empty():
        results.append(queue.get())
    print(sorted(len(values) for _, values in results))
