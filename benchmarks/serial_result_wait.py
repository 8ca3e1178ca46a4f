"""What serial-result-wait (MP002) costs: a loop that waits for each task, against the
loop that mpfix rewrites it into, on a pool of sleeping tasks.

    python benchmarks/serial_result_wait.py
    python benchmarks/serial_result_wait.py --tasks 16 --workers 8 --seconds 0.1 --runs 7

Both loops run on the same warm pool, alternately, and the script prints the median of
each and the speed-up: about min(tasks, workers)-fold, 4x with the defaults. Standard
library only; no test asserts these timings.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import statistics
import time


def task(seconds: float, x: int) -> int:
    time.sleep(seconds)
    return x * x


def serial(pool, seconds: float, tasks: int) -> list[int]:
    """The pitfall: each `get()` waits before the next task is submitted."""
    results = []
    for i in range(tasks):
        results.append(pool.apply_async(task, (seconds, i)).get())  # mpfix: ignore[MP002] on purpose
    return results


def batched(pool, seconds: float, tasks: int) -> list[int]:
    """mpfix's rewrite of `serial`: submit every task, then wait in order."""
    results = []
    handles = [(i, pool.apply_async(task, (seconds, i))) for i in range(tasks)]
    for i, handle in handles:  # noqa: B007 - as the rewrite writes it
        results.append(handle.get())
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", type=int, default=8)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=0.2, help="how long each task sleeps")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--start-method", choices=mp.get_all_start_methods())
    args = parser.parse_args()

    context = mp.get_context(args.start_method)
    times: dict[str, list[float]] = {"serial": [], "batched": []}
    with context.Pool(args.workers) as pool:
        pool.map(abs, range(args.workers))  # start every worker before timing
        for _ in range(args.runs):
            for name, loop in (("serial", serial), ("batched", batched)):
                start = time.perf_counter()
                results = loop(pool, args.seconds, args.tasks)
                times[name].append(time.perf_counter() - start)
                assert results == [i * i for i in range(args.tasks)]

    medians = {name: statistics.median(values) for name, values in times.items()}
    print(
        f"{args.tasks} tasks of {args.seconds} s on {args.workers} workers "
        f"({context.get_start_method()}), median of {args.runs} runs:"
    )
    for name, median in medians.items():
        print(f"  {name:8} {median:6.3f} s")
    print(f"  speed-up {medians['serial'] / medians['batched']:6.2f}x")


if __name__ == "__main__":
    main()
