from multiprocessing import Pool

CONFIG = None


def load_config():
    return {"factor": 3}


def init_worker():
    global CONFIG
    CONFIG = load_config()


def scale(x):
    return x * CONFIG["factor"]


if __name__ == "__main__":
    with Pool(2, initializer=init_worker) as pool:
        print(pool.map(scale, range(5)))
