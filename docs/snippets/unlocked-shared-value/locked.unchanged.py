import multiprocessing as mp


def count(counter, lock, times):
    for _ in range(times):
        with counter.get_lock():
            counter.value += 1
        with lock:  # one lock that every process shares works too
            counter.value += 1


if __name__ == "__main__":
    counter = mp.Value("i", 0)
    lock = mp.Lock()
    workers = [mp.Process(target=count, args=(counter, lock, 1000)) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    print("counted:", counter.value)
