import multiprocessing


class Scaler:
    def __init__(self, factor, workers):
        self.factor = factor
        self.pool = multiprocessing.Pool(workers)

    def work(self, n):
        return n * self.factor

    def run(self, numbers):
        return self.pool.map(self.work, numbers)

    def close(self):
        self.pool.close()
        self.pool.join()


if __name__ == "__main__":
    scaler = Scaler(10, 2)
    print(scaler.run([1, 2, 3, 4]))
    scaler.close()
