"""Print a SHA-256 checksum of every file under images/ and texts/.

Two worker processes take file names from a queue and put checksums on another.
Run it with ``python checksums.py``.
"""

import hashlib
import multiprocessing
from pathlib import Path

ROOT = Path(__file__).parent
CHUNK_SIZE = 64 * 1024
WORKERS = 2


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for chunk in iter(lambda: file.read(CHUNK_SIZE), b""):
            digest.update(chunk)
    return digest.hexdigest()


def hash_files(tasks, results):
    """Hash the files named on ``tasks`` until it yields None."""
    for name in iter(tasks.get, None):
        results.put((name, sha256_of(ROOT / name)))


multiprocessing.freeze_support()  # for a frozen Windows executable
names = sorted(
    path.relative_to(ROOT).as_posix()
    for folder in ("images", "texts")
    for path in (ROOT / folder).iterdir()
)
tasks, results = multiprocessing.Queue(), multiprocessing.Queue()
workers = [multiprocessing.Process(target=hash_files, args=(tasks, results)) for _ in range(WORKERS)]
for worker in workers:
    worker.start()
for name in names:
    tasks.put(name)
for worker in workers:
    tasks.put(None)
checksums = dict(results.get() for _ in names)
for worker in workers:
    worker.join()

for name in names:
    print(f"{checksums[name][:16]}  {name}")
