import multiprocessing as mp


def report(lock, name):
    with lock:
        print(f"hello from {name}", flush=True)


if __name__ == "__main__":
    lock = mp.Lock()
    workers = [mp.Process(target=report, args=(lock, f"worker {n}")) for n in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
