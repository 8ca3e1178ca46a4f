import multiprocessing as mp


def init_worker():
    # Once per worker: the place for a slow import that only the workers need.
    global zlib
    import zlib


def compress(data):
    try:
        import lzma  # optional: some Python builds lack it
    except ImportError:
        return zlib.compress(data)
    return lzma.compress(data)


def describe(data, verbose):
    if verbose:
        import pprint  # only when asked for

        pprint.pprint(data)
    return len(data)


def announce(name):
    import platform  # a process target runs once per process: this import costs no more

    print(name, "runs on", platform.system() or "an unknown system")


if __name__ == "__main__":
    child = mp.Process(target=announce, args=("the child",))
    child.start()
    child.join()
    with mp.Pool(2, initializer=init_worker) as pool:
        print(len(pool.map(compress, [b"spawn" * 100])[0]) > 0)
        print(pool.starmap(describe, [(b"fork", False)]))
