from multiprocessing import Pool

CONFIG = None


def load_config():
    return {"factor": 3}


def scale(x):
    return x * CONFIG["factor"]


def main():
    global CONFIG
    CONFIG = load_config()
    with Pool(2) as pool:
        print(pool.map(scale, range(5)))


if __name__ == "__main__":
    main()
