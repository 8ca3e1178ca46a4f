import multiprocessing as mp
from concurrent.futures import ProcessPoolExecutor


def word_count(text):
    return len(text.split())


if __name__ == "__main__":
    texts = ["one two three", "four five", "six"]
    with ProcessPoolExecutor(max_workers=2) as executor:
        futures = [executor.submit(word_count, text) for text in texts]
        counts = [future.result() for future in futures]
    print("words:", counts)
    print("any worker process still running:", bool(mp.active_children()))
