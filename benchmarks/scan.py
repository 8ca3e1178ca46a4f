"""Scan speed: mpfix against ruff and a naive libcst scan, on real code.

Prepares the corpora (the running interpreter's standard library, and Django's sdist
from PyPI), then runs each contender alternately, several times, and prints, in markdown:
the machine; the start-up time of `mpfix check` on one clean file (at least 10 runs) and
whether it imported libcst; per corpus, a table of medians, files per second and peak
memory, how many files pass the byte prefilter and reach libcst, and the speed-up of the
default jobs over `--jobs 1`; last, a table of the project's speed targets, each met or not.

    python benchmarks/scan.py                 # everything (needs ruff on PATH and network to PyPI)
    python benchmarks/scan.py --runs 3 --corpus stdlib --skip-slow
    python benchmarks/scan.py --corpus PATH   # any folder

Contenders: `mpfix check --no-cache` (cold), the same with `--jobs 1`, `mpfix check`
twice (the second is the warm run), `mpfix check --no-prefilter --no-cache` (every file
parsed by libcst), `ruff check --select ALL --no-cache`, and a naive script that parses
every file with libcst and resolves the metadata mpfix's rules use. The prefilter-off and
naive contenders are slow: they run `--slow-runs` times, and `--skip-slow` leaves them
out. Only public tools are used.
"""

from __future__ import annotations

import argparse
import ast
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tarfile
import tempfile
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from importlib import metadata
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
# MPFIX is `python -m codemods ARGS...` run through runpy, as -m does (so that workers
# started by spawn or forkserver import the same main module).
MPFIX = """
import resource, runpy, sys
WHO = resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN
peaks = sys.argv.pop(1)
try:
    runpy.run_module("codemods", run_name="__main__", alter_sys=True)
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
# What a pre-commit hook hands mpfix most of the time: a small file with nothing to do.
CLEAN_FILE = '''\
"""Word counts."""

from collections import Counter


def most_common(text: str, n: int = 3) -> list[tuple[str, int]]:
    return Counter(text.lower().split()).most_common(n)


if __name__ == "__main__":
    print(most_common("the cat and the hat and the bat"))
'''

COLD, COLD_ONE_JOB, WARM = "mpfix (cold, no cache)", "mpfix (cold, no cache, --jobs 1)", "mpfix (warm cache)"
RUFF = "ruff --select ALL"
STARTUP_TARGET_S, WARM_TARGET_S, MEMORY_TARGET_MB = 0.15, 0.5, 300

Target = tuple[str, str, bool]  # (target, measured, met)


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


# -- corpora ----------------------------------------------------------------------------


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
        check=False,
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


# -- what reaches each stage ------------------------------------------------------------


def reaches_libcst(source: str) -> bool:
    """Whether mpfix parses ``source`` with libcst: as codemods.engine.analyze decides,
    when some rule's needles and ``ast`` pre-check let it through (or Python cannot parse it)."""
    from codemods.engine import prefiltered
    from codemods.registry import RULES

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            tree = ast.parse(source)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return True
    return bool(prefiltered(source, tree, RULES))


def stages(corpus: Path) -> tuple[int, float, int, int]:
    """The Python files that mpfix finds in ``corpus`` and their size (MB), then how many
    pass the byte prefilter and how many reach libcst, with every rule selected."""
    # Imported here, in the one task that needs them, after the checkout is on sys.path.
    from codemods.registry import RULES  # mpfix: ignore[import-in-task]
    from codemods.run.discover import decode, discover  # mpfix: ignore[import-in-task]
    from codemods.run.pipeline import MAX_FILE_SIZE, prefilter  # mpfix: ignore[import-in-task]

    found = prefiltered = parsed = 0
    size = 0.0
    for path in discover([str(corpus)]):
        data = Path(path).read_bytes()
        found += 1
        size += len(data) / 1e6
        if prefilter(data, RULES) is not None and len(data) <= MAX_FILE_SIZE:
            prefiltered += 1
            try:
                parsed += reaches_libcst(decode(data)[0])
            except (SyntaxError, UnicodeDecodeError):
                pass  # reported as undecodable, never parsed
    return found, size, prefiltered, parsed


# -- measuring --------------------------------------------------------------------------


def contenders(corpus: Path, peaks_dir: Path, skip_slow: bool) -> list[Measure]:
    found: list[Measure] = []

    def mpfix(name: str, *options: str, slow: bool = False) -> Measure:
        peaks = peaks_dir / f"{len(found)}.txt"
        command = [sys.executable, "-c", MPFIX, str(peaks), "check", "--exit-zero", "--no-progress", str(corpus)]
        return Measure(name, [*command, *options], slow, peaks)

    found.append(mpfix(COLD, "--no-cache"))
    found.append(mpfix(COLD_ONE_JOB, "--no-cache", "--jobs", "1"))
    found.append(mpfix(WARM))
    if not skip_slow:
        found.append(mpfix("mpfix, prefilter off", "--no-cache", "--no-prefilter", slow=True))
        peaks = peaks_dir / "naive.txt"
        # A file, not ``-c``: under spawn and forkserver (the default from Python 3.14) the
        # workers import the main module to find ``scan``, and ``-c`` code has no module.
        script = peaks_dir / "naive_scan.py"
        script.write_text(NAIVE, encoding="utf-8")
        found.append(Measure("naive libcst scan", [sys.executable, str(script), str(peaks), str(corpus)], True, peaks))
    ruff = shutil.which("ruff")
    if ruff:
        found.append(Measure(RUFF, [ruff, "check", "--select", "ALL", "--no-cache", "--exit-zero", "-q", str(corpus)]))
    else:
        print("ruff is not on PATH (pip install ruff); skipping it", file=sys.stderr)
    return found


def bench(label: str, corpus: Path, runs: int, slow_runs: int, skip_slow: bool) -> list[Target]:
    # In a process of its own, so that this one, which starts the contenders, stays small.
    with ProcessPoolExecutor(max_workers=1) as pool:
        found, size, prefiltered, parsed = pool.submit(stages, corpus).result()
    where = "" if label == str(corpus) else f" ({corpus})"
    print(f"\n## {label}{where}: {found} files, {size:.1f} MB\n")
    with tempfile.TemporaryDirectory() as peaks, tempfile.TemporaryDirectory() as cache:
        env = {**ENV, "MPFIX_CACHE_DIR": cache}
        measures = contenders(corpus, Path(peaks), skip_slow)
        by_name = {measure.name: measure for measure in measures}
        run_once(WARM, by_name[WARM].command, env)  # fill the cache for the warm runs
        for round_ in range(runs):
            for measure in measures:
                if not measure.slow or round_ < slow_runs:
                    measure.run(env)

    print("| contender | median wall (s) | min–max (s) | files/s | peak memory, main (MB) | largest worker (MB) |")
    print("|---|---|---|---|---|---|")
    medians = {}
    for measure in measures:
        median = medians[measure.name] = statistics.median(measure.walls)
        worker = f"{max(measure.worker_mb):.0f}" if max(measure.worker_mb, default=0) else "–"
        print(
            f"| {measure.name} | {median:.2f} | {min(measure.walls):.2f}–{max(measure.walls):.2f} "
            f"| {found / median:,.0f} | {max(measure.main_mb):.0f} | {worker} |"
        )
    print(f"\nNo peak reads below this script's own, {own_peak_mb():.0f} MB (see run_once).")

    def share(count: int) -> str:
        return f"{count / found:.0%}" if found else "–"

    print("\n| files | count | share |\n|---|---|---|")
    print(f"| found | {found} | {share(found)} |")
    print(f"| pass the byte prefilter | {prefiltered} | {share(prefiltered)} |")
    print(f"| reach libcst (after the `ast` pre-checks) | {parsed} | {share(parsed)} |")
    speedup = medians[COLD_ONE_JOB] / medians[COLD]
    print(f"\nspeed-up of the default ({os.cpu_count()} jobs) over --jobs 1: {speedup:.2f}x")

    cold = by_name[COLD]
    main_mb, worker_mb = max(cold.main_mb), max(cold.worker_mb, default=0)
    memory = (
        f"main {main_mb:.0f} MB, largest worker {worker_mb:.0f} MB" if worker_mb else f"{main_mb:.0f} MB (no workers)"
    )
    targets = [
        (f"{label}: warm run under {WARM_TARGET_S} s", f"{medians[WARM]:.2f} s", medians[WARM] < WARM_TARGET_S),
        (
            f"{label}: peak memory of a cold run under {MEMORY_TARGET_MB} MB",
            memory,
            max(main_mb, worker_mb) < MEMORY_TARGET_MB,
        ),
    ]
    if RUFF in medians:
        ratio = medians[COLD] / medians[RUFF]
        targets.insert(0, (f"{label}: cold mpfix / ruff at most 1", f"{ratio:.2f}", ratio <= 1))
    return targets


def startup(workdir: Path, runs: int) -> list[Target]:
    """`mpfix check` on one small file that names nothing multiprocessing-related."""
    clean = workdir / "clean.py"
    clean.write_text(CLEAN_FILE)
    command = [sys.executable, "-m", "codemods", "check", str(clean)]
    with tempfile.TemporaryDirectory() as cache:
        env = {**ENV, "MPFIX_CACHE_DIR": cache}
        walls = [run_once("mpfix check (start-up)", command, env)[0] for _ in range(runs)]
        importtime = subprocess.run(
            [sys.executable, "-X", "importtime", *command[1:]], check=False, capture_output=True, text=True, env=env
        )
    # Each line reads "import time: self | cumulative | module", the module indented by depth.
    imported = [line.rsplit("|", 1)[-1].strip() for line in importtime.stderr.splitlines()]
    libcst = any(name.split(".")[0] == "libcst" for name in imported)
    median = statistics.median(walls)
    print(f"\n## Start-up: `mpfix check {clean.name}` ({runs} runs)\n")
    print(f"median {median:.3f} s, min–max {min(walls):.3f}–{max(walls):.3f} s")
    print(f"libcst imported: {'yes' if libcst else 'no'}")
    return [
        (f"start-up on one clean file under {STARTUP_TARGET_S} s", f"{median:.3f} s", median < STARTUP_TARGET_S),
        ("start-up on one clean file does not import libcst", "imported" if libcst else "not imported", not libcst),
    ]


def machine() -> str:
    ruff = shutil.which("ruff")
    ruff_version = "not found"
    if ruff:
        output = subprocess.run([ruff, "--version"], check=False, capture_output=True, text=True).stdout
        ruff_version = output.strip().removeprefix("ruff ")
    return (
        f"machine: {platform.platform()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"libcst {metadata.version('libcst')}, ruff {ruff_version}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="timed runs of each contender (default 5)")
    parser.add_argument("--slow-runs", type=int, default=1, help="runs of the slow contenders (default 1)")
    parser.add_argument("--skip-slow", action="store_true", help="leave out the prefilter-off and naive contenders")
    parser.add_argument(
        "--corpus", action="append", help="stdlib, django, or a folder; repeatable (default: stdlib and django)"
    )
    args = parser.parse_args()
    print(machine())
    workdir = Path(tempfile.gettempdir()) / "mpfix-bench"
    workdir.mkdir(exist_ok=True)
    targets = startup(workdir, max(args.runs, 10))
    for name in args.corpus or ["stdlib", "django"]:
        if name == "stdlib":
            corpus: Path | None = stdlib_corpus(workdir)
        elif name == "django":
            corpus = django_corpus(workdir)
        else:
            corpus = Path(name)
        if corpus is not None:
            targets += bench(name, corpus, args.runs, min(args.slow_runs, args.runs), args.skip_slow)
    print("\n## Targets\n\n| target | measured | met |\n|---|---|---|")
    for target, measured, met in targets:
        print(f"| {target} | {measured} | {'yes' if met else 'no'} |")


if __name__ == "__main__":
    main()
