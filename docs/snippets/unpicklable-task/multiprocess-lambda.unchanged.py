import multiprocess as mp

if __name__ == "__main__":
    with mp.get_context("spawn").Pool(2) as pool:
        print(pool.map(lambda x: x * 10, range(5)))
