import multiprocessing as mp
import threading
import time

settings_lock = threading.Lock()
settings = {"scale": 10}


def refresh_settings():
    # Reloads the settings now and then, holding the lock while it does.
    with settings_lock:
        time.sleep(1)
        settings["scale"] = 10


def scaled(n, results):
    with settings_lock:
        scale = settings["scale"]
    results.put(n * scale)


if __name__ == "__main__":
    mp.set_start_method("fork")
    refresher = threading.Thread(target=refresh_settings)
    refresher.start()
    time.sleep(0.1)  # the refresher holds the lock now
    results = mp.Queue()
    workers = [mp.Process(target=scaled, args=(n, results)) for n in range(3)]
    for worker in workers:
        worker.start()
    print(sorted(results.get() for _ in workers))
    for worker in workers:
        worker.join()
    refresher.join()
