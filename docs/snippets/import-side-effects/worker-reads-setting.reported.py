import json
import multiprocessing as mp

# The workers read SETTINGS: it must stay at module level, and is read in every child.
with open("settings.json") as file:
    SETTINGS = json.load(file)


def scale(x):
    return x * SETTINGS["factor"]


if __name__ == "__main__":
    with mp.Pool(2) as pool:
        print(pool.map(scale, [1, 2, 3]))
