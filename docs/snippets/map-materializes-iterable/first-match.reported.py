import itertools
from concurrent.futures import ProcessPoolExecutor


def score(reading):
    return reading * 1103515245 % 2**31 % 9973


if __name__ == "__main__":
    with ProcessPoolExecutor(4) as executor:
        for reading, value in enumerate(executor.map(score, itertools.count(1)), start=1):
            if value == 0:
                print("first zero score at reading", reading)
                break
