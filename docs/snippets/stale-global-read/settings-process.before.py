import multiprocessing as mp

SETTINGS = {"greeting": "hello"}


def greet(name):
    print(SETTINGS["greeting"], name)


if __name__ == "__main__":
    SETTINGS["greeting"] = "welcome"
    process = mp.Process(target=greet, args=("ada",))
    process.start()
    process.join()
