import argparse
import multiprocessing as mp

parser = argparse.ArgumentParser(description="Cube some numbers.")
parser.add_argument("--workers", type=int, default=2)
args = parser.parse_args()


def cube(x):
    return x**3


if __name__ == "__main__":
    with mp.Pool(args.workers) as pool:
        print(pool.map(cube, [1, 2, 3]))
