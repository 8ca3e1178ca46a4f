"""Estimate pi by throwing random points at a square, in four worker processes.

Each worker throws its share of points, with its own seeded random generator, and adds
the points that land inside the quarter circle to a shared counter. Run it with
``python estimate_pi.py``.
"""

import multiprocessing as mp
import random

WORKERS = 4
THROWS = 50_000  # by each worker


def throw(seed, inside):
    """Throw THROWS points; count those inside the quarter circle in ``inside``."""
    rng = random.Random(seed)
    for _ in range(THROWS):
        x, y = rng.random(), rng.random()
        if x * x + y * y <= 1.0:
            inside.value += 1


def main():
    inside = mp.Value("i", 0)
    workers = [mp.Process(target=throw, args=(seed, inside)) for seed in range(WORKERS)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    thrown = WORKERS * THROWS
    print(f"{inside.value} of {thrown} points inside: pi is about {4 * inside.value / thrown:.4f}")


if __name__ == "__main__":
    main()
