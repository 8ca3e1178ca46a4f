import multiprocessing


class Scaler:
    def __init__(self, factor, workers):
        self.factor = factor
        self.workers = workers

    def work(self, n):
        return n * self.factor

    def run(self, numbers):
        # The object holds no pool: pickling `self.work` pickles a small Scaler.
        with multiprocessing.Pool(self.workers) as pool:
            return pool.map(self.work, numbers)


if __name__ == "__main__":
    print(Scaler(10, 2).run([1, 2, 3, 4]))
