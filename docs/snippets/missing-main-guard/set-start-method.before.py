import multiprocessing as mp


def greet(name):
    print(f"hello from {name}", flush=True)


mp.set_start_method("spawn")
worker = mp.Process(target=greet, args=("a child",))
worker.start()
worker.join()
print("exit code", worker.exitcode)
