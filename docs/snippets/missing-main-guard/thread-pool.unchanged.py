# Threads share the interpreter: nothing is re-imported, so no guard is needed.
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.pool import ThreadPool

with ThreadPool(2) as pool:
    print(pool.map(len, ["a", "bb"]))

with ThreadPoolExecutor(max_workers=2) as executor:
    print(list(executor.map(abs, [-1, -2])))
