import multiprocessing as mp
import time


def write_log(lock, started, stop):
    while not stop.is_set():
        with lock:  # writes one record, holding the lock while it does
            started.set()
            time.sleep(0.5)


if __name__ == "__main__":
    lock = mp.Lock()
    started = mp.Event()
    stop = mp.Event()
    writer = mp.Process(target=write_log, args=(lock, started, stop))
    writer.start()
    started.wait()
    stop.set()  # the writer finishes its record and returns
    writer.join()
    with lock:
        print("the log is ours")
