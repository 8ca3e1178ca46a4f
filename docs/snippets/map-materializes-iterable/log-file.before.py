import os
import tempfile
from collections import Counter
from multiprocessing import Pool


def level(line):
    """The level of a log line such as "12:00:01 WARNING disk almost full"."""
    return line.split()[1]


def write_log(path, lines):
    levels = ["INFO", "INFO", "INFO", "WARNING", "ERROR"]
    with open(path, "w") as log:
        for n in range(lines):
            log.write(f"12:00:{n % 60:02} {levels[n % len(levels)]} event {n}\n")


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "app.log")
        write_log(path, 50_000)
        with Pool(4) as pool, open(path) as log:
            counts = Counter(pool.map(level, log))
    for name, count in sorted(counts.items()):
        print(name, count)
