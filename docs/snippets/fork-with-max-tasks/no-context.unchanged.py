from concurrent.futures import ProcessPoolExecutor


def square(n):
    return n * n


if __name__ == "__main__":
    # Given no context, an executor that replaces its workers spawns them.
    with ProcessPoolExecutor(2, max_tasks_per_child=10) as executor:
        print(sum(executor.map(square, range(5))))
