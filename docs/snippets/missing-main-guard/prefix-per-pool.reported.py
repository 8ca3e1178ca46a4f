from multiprocessing import Pool


def label(n):
    return f"{prefix}{n}"


# Under the guard, `prefix` would be hidden from the workers.
for prefix in ("a", "b"):
    with Pool(2) as pool:
        print(pool.map(label, [1, 2]))
