"""Scan speed: mpfix against ruff and a naive libcst scan, on real code.

Prepares the corpora (the running interpreter's standard library, and Django's sdist
from PyPI), then runs each contender alternately, several times, and prints a table of
medians, files per second and peak memory, plus the ratios the project aims for:

    python benchmarks/scan.py                 # everything (needs ruff and network to PyPI)
    python benchmarks/scan.py --runs 3 --corpus stdlib
    python benchmarks/scan.py --corpus PATH   # any folder

Contenders: `mpfix check --no-cache` (cold), `mpfix check` twice (the second is the warm
run), `mpfix check --no-prefilter --no-cache` (every file parsed by libcst),
`ruff check --select ALL --no-cache`, and a naive script that parses every file with
libcst and resolves the metadata mpfix's rules use. Only public tools are used.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tarfile
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

NAIVE = r"""
import pathlib, sys
import libcst as cst
from libcst.metadata import MetadataWrapper, QualifiedNameProvider, ScopeProvider, PositionProvider
from concurrent.futures import ProcessPoolExecutor

def scan(path):
    try:
        module = cst.parse_module(pathlib.Path(path).read_bytes())
        MetadataWrapper(module).resolve_many([ScopeProvider, QualifiedNameProvider, PositionProvider])
    except Exception:
        pass

if __name__ == "__main__":
    files = [str(p) for p in pathlib.Path(sys.argv[1]).rglob("*.py")]
    with ProcessPoolExecutor() as pool:
        list(pool.map(scan, files, chunksize=8))
"""


@dataclass
class Measure:
    name: str
    command: list[str]
    walls: list[float] = field(default_factory=list)
    peaks_mb: list[float] = field(default_factory=list)


def run_once(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    _, _, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    peak_mb = usage.ru_maxrss / 1024 if sys.platform != "darwin" else usage.ru_maxrss / 2**20
    return wall, peak_mb


def stdlib_corpus(workdir: Path) -> Path:
    """A copy of the running interpreter's standard library, without site-packages."""
    target = workdir / "stdlib"
    if not target.exists():
        ignore = shutil.ignore_patterns("site-packages", "dist-packages", "__pycache__")
        shutil.copytree(sysconfig.get_paths()["stdlib"], target, ignore=ignore, symlinks=True)
    return target


def django_corpus(workdir: Path) -> Path | None:
    """Django's sdist from PyPI, unpacked; None when it cannot be downloaded."""
    target = workdir / "django"
    if target.exists():
        return target
    download = subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:", "-d", str(workdir), "django"],
        capture_output=True,
        text=True,
    )
    archives = sorted(workdir.glob("[Dd]jango-*.tar.gz"))
    if download.returncode != 0 or not archives:
        print("could not download Django's sdist; skipping it", file=sys.stderr)
        return None
    with tarfile.open(archives[-1]) as archive:
        archive.extractall(workdir, filter="data") if hasattr(tarfile, "data_filter") else archive.extractall(workdir)
    unpacked = next(p for p in workdir.iterdir() if p.is_dir() and p.name.lower().startswith("django-"))
    unpacked.rename(target)
    return target


def contenders(corpus: Path, cache_dir: Path) -> list[Measure]:
    mpfix = [sys.executable, "-m", "codemods", "check", "--exit-zero", "--no-progress", str(corpus)]
    found = [
        Measure("mpfix (cold, no cache)", [*mpfix, "--no-cache"]),
        Measure("mpfix (warm cache)", mpfix),
        Measure("mpfix, prefilter off", [*mpfix, "--no-cache", "--no-prefilter"]),
        Measure("naive libcst scan", [sys.executable, "-c", NAIVE, str(corpus)]),
    ]
    ruff = shutil.which("ruff")
    if ruff:
        found.append(Measure("ruff --select ALL", [ruff, "check", "--select", "ALL", "--no-cache", "--exit-zero", "-q", str(corpus)]))
    else:
        print("ruff is not installed (pip install ruff); skipping it", file=sys.stderr)
    return found


def bench(corpus: Path, runs: int, slow_runs: int) -> None:
    files = sum(1 for _ in corpus.rglob("*.py"))
    size = sum(p.stat().st_size for p in corpus.rglob("*.py")) / 1e6
    print(f"\n## {corpus} ({files} files, {size:.1f} MB)\n")
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "MPFIX_CACHE_DIR": cache}
        measures = contenders(corpus, Path(cache))
        run_once(measures[1].command, env)  # fill the cache for the warm runs
        for round_ in range(runs):
            for measure in measures:
                if round_ >= slow_runs and measure.name.startswith(("naive", "mpfix, prefilter off")):
                    continue
                wall, peak = run_once(measure.command, env)
                measure.walls.append(wall)
                measure.peaks_mb.append(peak)
    print("| contender | median wall (s) | min–max (s) | files/s | peak memory (MB) |")
    print("|---|---|---|---|---|")
    medians = {}
    for measure in measures:
        median = statistics.median(measure.walls)
        medians[measure.name] = median
        print(
            f"| {measure.name} | {median:.2f} | {min(measure.walls):.2f}–{max(measure.walls):.2f} "
            f"| {files / median:,.0f} | {max(measure.peaks_mb):.0f} |"
        )
    if "ruff --select ALL" in medians:
        ratio = medians["mpfix (cold, no cache)"] / medians["ruff --select ALL"]
        print(f"\nmpfix cold / ruff: {ratio:.2f} (target: at most 1)")
    print(f"mpfix warm: {medians['mpfix (warm cache)']:.2f} s (target: under 0.5 s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="timed runs of each contender (default 5)")
    parser.add_argument("--slow-runs", type=int, default=1, help="runs of the slow contenders (default 1)")
    parser.add_argument("--corpus", action="append", help="stdlib, django, or a folder (default: stdlib and django)")
    args = parser.parse_args()
    print(f"machine: {platform.platform()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    workdir = Path(tempfile.gettempdir()) / "mpfix-bench"
    workdir.mkdir(exist_ok=True)
    for name in args.corpus or ["stdlib", "django"]:
        if name == "stdlib":
            corpus: Path | None = stdlib_corpus(workdir)
        elif name == "django":
            corpus = django_corpus(workdir)
        else:
            corpus = Path(name)
        if corpus is not None:
            bench(corpus, args.runs, min(args.slow_runs, args.runs))


if __name__ == "__main__":
    main()
