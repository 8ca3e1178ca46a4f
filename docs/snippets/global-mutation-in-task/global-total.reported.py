import multiprocessing as mp

total = 0


def add(n):
    global total
    total += n


if __name__ == "__main__":
    workers = [mp.Process(target=add, args=(n,)) for n in range(1, 5)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    print("total:", total)
