"""How scan.py runs a contender and what it measures: wall time, and peak memory of the
main process and of its largest worker."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The mpfix measured is this checkout's, installed or not.
sys.path.insert(0, str(ROOT))
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}

# ru_maxrss is in kilobytes on Linux, in bytes on macOS.
RSS_PER_MB = 2**20 if sys.platform == "darwin" else 1024

# Each Python contender writes its own peak memory and that of the largest of its finished
# child processes (the workers) to the file named first (see Measure.run): os.wait4 gives
# only the larger of the two on Linux, and the waited process's own on macOS.
# MPFIX is `python -m mpfix ARGS...` run through runpy, as -m does (so that workers
# started by spawn or forkserver import the same main module).
MPFIX = """
import resource, runpy, sys
WHO = resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN
peaks = sys.argv.pop(1)
try:
    runpy.run_module("mpfix", run_name="__main__", alter_sys=True)
finally:
    with open(peaks, "w") as out:
        print(*(resource.getrusage(who).ru_maxrss for who in WHO), file=out)
"""
NAIVE = """
import pathlib, resource, sys
import libcst as cst
from libcst.metadata import MetadataWrapper, QualifiedNameProvider, ScopeProvider, PositionProvider
from concurrent.futures import ProcessPoolExecutor
WHO = resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN

def scan(path):
    try:
        module = cst.parse_module(pathlib.Path(path).read_bytes())
        MetadataWrapper(module).resolve_many([ScopeProvider, QualifiedNameProvider, PositionProvider])
    except Exception:
        pass

if __name__ == "__main__":
    peaks, corpus = sys.argv[1:]
    files = [str(p) for p in pathlib.Path(corpus).rglob("*.py")]
    with ProcessPoolExecutor() as pool:
        list(pool.map(scan, files, chunksize=8))
    with open(peaks, "w") as out:
        print(*(resource.getrusage(who).ru_maxrss for who in WHO), file=out)
"""


@dataclass
class Measure:
    name: str
    command: list[str]
    slow: bool = False
    peaks_file: Path | None = None  # where the command writes its peaks (see MPFIX)
    walls: list[float] = field(default_factory=list)
    main_mb: list[float] = field(default_factory=list)
    worker_mb: list[float] = field(default_factory=list)

    def run(self, env: dict[str, str]) -> None:
        wall, peak_mb = run_once(self.name, self.command, env)
        self.walls.append(wall)
        if self.peaks_file is None:
            self.main_mb.append(peak_mb)
        else:
            main, workers = self.peaks_file.read_text().split()
            self.main_mb.append(int(main) / RSS_PER_MB)
            self.worker_mb.append(int(workers) / RSS_PER_MB)


def run_once(name: str, command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall time and peak memory (MB) of one run of ``command``.

    The peak is at least this process's own (see own_peak_mb): Linux carries the peak of
    the process that starts a command over into the command's own.
    """
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    # 2 is mpfix's exit code when some files cannot be analysed (the standard library has
    # files with syntax errors on purpose); anything else means the run did not finish.
    if (code := os.waitstatus_to_exitcode(status)) not in (0, 2):
        print(f"warning: a run of {name} exited with {code}", file=sys.stderr)
    return wall, usage.ru_maxrss / RSS_PER_MB


def own_peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / RSS_PER_MB


def memory(measure: Measure) -> tuple[str, float]:
    """A run's peak memory, main and largest worker, as text, and the larger of the two (MB)."""
    main_mb, worker_mb = max(measure.main_mb), max(measure.worker_mb, default=0)
    if not worker_mb:
        return f"{main_mb:.0f} MB (no workers)", main_mb
    return f"main {main_mb:.0f} MB, largest worker {worker_mb:.0f} MB", max(main_mb, worker_mb)
