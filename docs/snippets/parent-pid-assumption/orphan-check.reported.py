import multiprocessing as mp
import os


def work(parent_pid, results):
    # Stops on its own once the process that started it is gone.
    if os.getppid() != parent_pid:
        results.put("parent gone, stopping")
        return
    results.put("working for my parent")


if __name__ == "__main__":
    results = mp.Queue()
    worker = mp.Process(target=work, args=(os.getpid(), results))
    worker.start()
    print(results.get())
    worker.join()
