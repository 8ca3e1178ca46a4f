import multiprocessing as mp

done = mp.Value("i", 0)


def checked_square(n):
    with done.get_lock():
        done.value += 1
    return n * n


if __name__ == "__main__":
    with mp.Pool(2) as pool:
        squares = pool.map(checked_square, range(6))
    print("squares:", squares)
    print("tasks done:", done.value)
