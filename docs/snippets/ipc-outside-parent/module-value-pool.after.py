import multiprocessing as mp

done = None


def _init_worker(parent_done):
    """Pool initializer: bind what the parent shares with this worker process."""
    global done
    done = parent_done


def checked_square(n):
    with done.get_lock():
        done.value += 1
    return n * n


if __name__ == "__main__":
    done = mp.Value("i", 0)
    with mp.Pool(2, initializer=_init_worker, initargs=(done,)) as pool:
        squares = pool.map(checked_square, range(6))
    print("squares:", squares)
    print("tasks done:", done.value)
