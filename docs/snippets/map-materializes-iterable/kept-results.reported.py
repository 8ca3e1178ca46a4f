from multiprocessing import Pool


def line_length(line):
    return len(line.rstrip("\n"))


if __name__ == "__main__":
    with Pool(4) as pool, open(__file__) as source:
        lengths = pool.map(line_length, source)
    print(len(lengths), "lines; the first is", lengths[0], "characters long")
