import multiprocessing as mp

results = mp.Queue()


def work(n):
    results.put(n * n)
