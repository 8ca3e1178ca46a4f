import multiprocessing as mp


def shout(word):
    return word.upper()


if __name__ == "__main__":
    print("starting")
    with mp.Pool(2) as pool:
        print(pool.map(shout, ["a", "b"]))
