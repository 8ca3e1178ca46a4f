from multiprocessing import Pool

CONFIG = None


def load_config():
    return {"factor": 3}


def _init_worker(config):
    """Pool initializer: bind what the parent shares with this worker process."""
    global CONFIG
    CONFIG = config


def scale(x):
    return x * CONFIG["factor"]


def main():
    global CONFIG
    CONFIG = load_config()
    with Pool(2, initializer=_init_worker, initargs=(CONFIG,)) as pool:
        print(pool.map(scale, range(5)))


if __name__ == "__main__":
    main()
