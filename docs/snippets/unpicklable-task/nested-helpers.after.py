import multiprocessing as mp


def square(x):
    return x * x


def square_to_queue(x, queue):
    queue.put(square(x))


def main():
    queue = mp.Queue()
    child = mp.Process(target=square_to_queue, args=(3, queue))
    child.start()
    print("square:", queue.get())
    child.join()


if __name__ == "__main__":
    main()
