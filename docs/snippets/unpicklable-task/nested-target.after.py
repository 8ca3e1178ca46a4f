import multiprocessing as mp


# What the child runs: it reads two parameters of `countdown`.
def count(start, label):
    for n in range(start, 0, -1):
        print(label, n)


def countdown(start, label):
    child = mp.Process(target=count, args=(start, label))
    child.start()
    child.join()


if __name__ == "__main__":
    countdown(3, "T-minus")
