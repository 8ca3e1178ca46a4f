# `.get` on a dict is a lookup, not a wait: nothing to report.
from multiprocessing import Pool

PRICES = {"apple": 3, "pear": 4}


def total(order):
    return sum(PRICES.get(item, 0) for item in order)


if __name__ == "__main__":
    with Pool(2) as pool:
        totals = pool.map(total, [["apple", "pear"], ["pear", "plum"]])
    for name in ["apple", "plum"]:
        print(name, PRICES.get(name, "unknown"))
    print(totals)
