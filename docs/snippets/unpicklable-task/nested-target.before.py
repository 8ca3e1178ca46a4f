import multiprocessing as mp


def countdown(start, label):
    # What the child runs: it reads two parameters of `countdown`.
    def count():
        for n in range(start, 0, -1):
            print(label, n)

    child = mp.Process(target=count)
    child.start()
    child.join()


if __name__ == "__main__":
    countdown(3, "T-minus")
