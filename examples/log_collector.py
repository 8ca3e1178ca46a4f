"""Check the images under images/ in worker processes; the parent collects their log lines.

Each worker checks one image and sends what it found through a queue; the parent prints
the lines once every worker has reported. Run it with ``python log_collector.py``.
"""

import multiprocessing as mp
from pathlib import Path

IMAGE_DIR = Path(__file__).parent / "images"
DONE = "done"  # what a worker sends last
log_lines = mp.Queue()


def check_image(path):
    """Send a line about the PGM image at ``path``: its size, or what is wrong with it."""
    lines = path.read_text().splitlines()
    tokens = [token for line in lines if not line.startswith("#") for token in line.split()]
    if tokens[:1] != ["P2"]:
        log_lines.put(f"{path.name}: not a plain PGM file")
    else:
        width, height = int(tokens[1]), int(tokens[2])
        log_lines.put(f"{path.name}: {width} x {height} pixels")
    log_lines.put(DONE)


paths = sorted(IMAGE_DIR.glob("*.pgm"))
workers = [mp.Process(target=check_image, args=(path,)) for path in paths]
for worker in workers:
    worker.start()
collected = []
finished = 0
while finished < len(workers):
    line = log_lines.get(timeout=10)
    if line == DONE:
        finished += 1
    else:
        collected.append(line)
for worker in workers:
    worker.join()
for line in sorted(collected):
    print(line)
