def work(n, results):
    results.put(n * n)
