import multiprocessing as mp

print("loading the word list")
WORDS = ["spawn", "fork", "forkserver"]


def shout(word):
    return word.upper()


if __name__ == "__main__":
    with mp.Pool(2) as pool:
        print(pool.map(shout, WORDS))
