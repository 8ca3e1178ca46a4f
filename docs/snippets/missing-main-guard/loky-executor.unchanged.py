from loky import get_reusable_executor

executor = get_reusable_executor(max_workers=2)
print(list(executor.map(lambda x: x * 10, range(5))))
