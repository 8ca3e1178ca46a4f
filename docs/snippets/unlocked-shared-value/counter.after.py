import multiprocessing as mp


def count(counter, times):
    for _ in range(times):
        with counter.get_lock():
            counter.value += 1


if __name__ == "__main__":
    counter = mp.Value("i", 0)
    workers = [mp.Process(target=count, args=(counter, 50_000)) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    print("counted:", counter.value, "of", 4 * 50_000)
