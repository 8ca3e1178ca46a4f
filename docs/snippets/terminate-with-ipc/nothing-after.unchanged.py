import multiprocessing as mp


def produce(queue):
    n = 0
    while True:
        queue.put(n)
        n += 1


if __name__ == "__main__":
    queue = mp.Queue()
    producer = mp.Process(target=produce, args=(queue,))
    producer.start()
    print([queue.get() for _ in range(3)])
    # Nothing uses the queue once the producer is stopped.
    producer.terminate()
    producer.join()
