import multiprocessing as mp

# Fork is asked for explicitly: each child inherits the parent's memory, this value
# included, so sharing through the global is intended here.
fork = mp.get_context("fork")
hits = fork.Value("i", 0)


def hit():
    with hits.get_lock():
        hits.value += 1


if __name__ == "__main__":
    workers = [fork.Process(target=hit) for _ in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    print("hits:", hits.value)
