import multiprocessing as mp
import time


def deposit(balance, times):
    lock = mp.Lock()
    for _ in range(times):
        with lock:
            current = balance.value
            time.sleep(0.01)
            balance.value = current + 1


if __name__ == "__main__":
    balance = mp.Value("i", 0, lock=False)
    clerks = [mp.Process(target=deposit, args=(balance, 10)) for _ in range(4)]
    for clerk in clerks:
        clerk.start()
    for clerk in clerks:
        clerk.join()
    print("balance:", balance.value)
