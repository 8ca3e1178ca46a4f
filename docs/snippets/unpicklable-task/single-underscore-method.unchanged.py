import multiprocessing as mp


class Doubler:
    # One leading underscore: the method's name is the attribute's name, so the
    # worker finds it. With two (`__double`) it would not.
    def _double(self, x):
        return x * 2

    def run(self):
        with mp.Pool(2) as pool:
            return pool.map(self._double, [1, 2])


if __name__ == "__main__":
    print(Doubler().run())
