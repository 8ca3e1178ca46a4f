import json
import multiprocessing as mp


def size(message):
    return json.loads(message)["size"]


if __name__ == "__main__":
    with mp.Pool(2) as pool:
        print("the workers got", pool.map(size, ['{"size": 3}', '{"size": 4}']))
