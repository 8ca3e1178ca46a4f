import itertools
from multiprocessing import Pool


def perfect_or_zero(n):
    """n if it is the sum of its proper divisors, else 0."""
    return n if sum(d for d in range(1, n) if n % d == 0) == n else 0


if __name__ == "__main__":
    found = []
    with Pool(4) as pool:
        for n in pool.imap(perfect_or_zero, itertools.count(1), chunksize=64):
            if n:
                print("found", n)
                found.append(n)
                if len(found) == 3:
                    break
    print("the first perfect numbers:", found)
