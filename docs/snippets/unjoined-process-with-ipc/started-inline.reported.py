import multiprocessing as mp


def count(total):
    with total.get_lock():
        total.value += 1


if __name__ == "__main__":
    total = mp.Value("i", 0)
    for _ in range(3):
        mp.Process(target=count, args=(total,)).start()
