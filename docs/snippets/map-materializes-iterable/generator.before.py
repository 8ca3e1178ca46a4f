from multiprocessing import Pool


def readings(count):
    """A stream of sensor readings, one at a time (here: a pseudo-random sequence)."""
    value = 17
    for _ in range(count):
        value = value * 1103515245 % 2**31
        yield value


def score(reading):
    return reading % 97


if __name__ == "__main__":
    with Pool(4) as pool:
        total = sum(pool.map(score, readings(200_000)))
    print("total score:", total)
