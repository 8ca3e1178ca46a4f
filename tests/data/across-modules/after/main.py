import multiprocessing as mp

from workers import work

if __name__ == "__main__":
    results = mp.Queue()
    ps = [mp.Process(target=work, args=(i, results)) for i in range(3)]
    for p in ps:
        p.start()
    print(sorted(results.get(timeout=5) for _ in ps))
