import multiprocessing


class Squarer:
    def __init__(self, workers):
        self.pool = multiprocessing.Pool(workers)

    def work(self, n):
        return n * n

    def run(self, numbers):
        return self.pool.map(self.work, numbers)

    def close(self):
        self.pool.close()
        self.pool.join()


if __name__ == "__main__":
    squarer = Squarer(2)
    print(squarer.run([1, 2, 3, 4]))
    squarer.close()
