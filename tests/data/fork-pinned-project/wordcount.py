"""Counts the words of a few documents in parallel, and says how far it got."""

import multiprocessing as mp
import threading
import time

# Python 3.14 made forkserver the default start method on Linux; this puts fork back.
mp.set_start_method("fork")

DOCUMENTS = {
    "a.txt": "the quick brown fox jumps over the lazy dog",
    "b.txt": "the dog barks and the fox runs",
    "c.txt": "a lazy afternoon for a quick fox",
}
results = mp.Queue()


def count_words(name):
    results.put((name, len(DOCUMENTS[name].split())))


def show_progress(done):
    while not done.is_set():
        time.sleep(0.05)


def main():
    done = threading.Event()
    threading.Thread(target=show_progress, args=(done,)).start()
    workers = [mp.Process(target=count_words, args=(name,)) for name in DOCUMENTS]
    for worker in workers:
        worker.start()
    totals = dict(results.get() for _ in workers)
    for worker in workers:
        worker.join()
    done.set()
    print(sorted(totals.items()))


if __name__ == "__main__":
    main()
