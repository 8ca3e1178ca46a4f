import os
import tempfile
from multiprocessing import Pool


def touch(path):
    with open(path, "w") as f:
        f.write("done")


def paths(folder, count):
    for n in range(count):
        yield os.path.join(folder, f"{n}.txt")


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as folder:
        with Pool(4) as pool:
            for _ in pool.imap(touch, paths(folder, 1_000), chunksize=64):
                pass
        print(len(os.listdir(folder)), "files written")
