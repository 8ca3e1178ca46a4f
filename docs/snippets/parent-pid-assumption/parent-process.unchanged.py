import multiprocessing as mp


def work(results):
    # Stops on its own once the process that started it is gone.
    if not mp.parent_process().is_alive():
        results.put("parent gone, stopping")
        return
    results.put("working for my parent")


if __name__ == "__main__":
    results = mp.Queue()
    worker = mp.Process(target=work, args=(results,))
    worker.start()
    print(results.get())
    worker.join()
