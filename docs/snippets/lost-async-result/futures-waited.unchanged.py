from concurrent.futures import ProcessPoolExecutor, wait


def invert(n):
    return 1 / n


if __name__ == "__main__":
    numbers = [4, 2, 0, 1]
    with ProcessPoolExecutor(2) as executor:
        futures = [executor.submit(invert, n) for n in numbers]
        wait(futures)
    for n, future in zip(numbers, futures):
        error = future.exception()
        print(n, f"failed: {error}" if error else future.result())
