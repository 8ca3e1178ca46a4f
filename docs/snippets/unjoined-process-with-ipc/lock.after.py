import multiprocessing as mp


def report(lock, name):
    with lock:
        print(f"hello from {name}", flush=True)


if __name__ == "__main__":
    lock = mp.Lock()
    worker = mp.Process(target=report, args=(lock, "the worker"))
    worker.start()
    worker.join()
