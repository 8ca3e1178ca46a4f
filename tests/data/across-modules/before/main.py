import multiprocessing as mp

from workers import results, work

if __name__ == "__main__":
    ps = [mp.Process(target=work, args=(i,)) for i in range(3)]
    for p in ps:
        p.start()
    print(sorted(results.get(timeout=5) for _ in ps))
