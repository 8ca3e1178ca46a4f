import multiprocessing as mp
import time


def write_log(lock, started):
    while True:
        with lock:  # writes one record, holding the lock while it does
            started.set()
            time.sleep(0.5)


if __name__ == "__main__":
    lock = mp.Lock()
    started = mp.Event()
    writer = mp.Process(target=write_log, args=(lock, started))
    writer.start()
    started.wait()
    writer.terminate()
    writer.join()
    with lock:
        print("the log is ours")
