import multiprocessing as mp
import time


def poll_forever():
    while True:
        time.sleep(0.1)


if __name__ == "__main__":
    pool = mp.Pool(1)
    pool.apply_async(poll_forever)
    time.sleep(0.5)
    pool.terminate()
    print("stopped")
