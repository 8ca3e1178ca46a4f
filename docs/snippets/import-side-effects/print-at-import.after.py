import multiprocessing as mp

WORDS = ["spawn", "fork", "forkserver"]


def shout(word):
    return word.upper()


if __name__ == "__main__":
    print("loading the word list")
    with mp.Pool(2) as pool:
        print(pool.map(shout, WORDS))
