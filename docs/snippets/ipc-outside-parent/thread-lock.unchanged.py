import queue
import threading
from concurrent.futures import ThreadPoolExecutor

import multiprocessing as mp

# Threads share the interpreter's memory: these objects need no hand-over.
lock = threading.Lock()
lines = queue.Queue()


def record(n):
    with lock:
        lines.put(f"task {n}")


def cpu_bound(n):
    return n * n


if __name__ == "__main__":
    with ThreadPoolExecutor(max_workers=2) as executor:
        list(executor.map(record, range(3)))
    with mp.Pool(2) as pool:
        print(pool.map(cpu_bound, range(3)), lines.qsize())
