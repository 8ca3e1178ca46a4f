import json
import multiprocessing as mp


def show(message):
    import json

    print("the child got", json.loads(message))


if __name__ == "__main__":
    child = mp.Process(target=show, args=('{"size": 3}',))
    child.start()
    child.join()
