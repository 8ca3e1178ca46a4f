"""Scan speed: mpfix against ruff, the floor of a scan on `ast`, and a naive libcst scan.

Prepares the corpora (see corpora.py: the running interpreter's standard library, the
sdists of Django and of Hugging Face `datasets`, and a corpus dense in multiprocessing code
gathered from pinned sdists), then runs each contender alternately, several times, and
prints, in markdown: the machine and its load; the start-up time of `mpfix check` on one
clean file and whether it imported libcst; per corpus, where it comes from, a table of
medians, files per second and peak memory, how many files pass the byte prefilter and
reach libcst, the speed-up of the default jobs over `--jobs 1`, and the ten slowest files
alone through mpfix; the warm run on a big tree (copies of the standard library up to
40,000 files); last, a table of the project's speed targets, each met or not.

    python benchmarks/scan.py                 # everything (needs ruff on PATH and PyPI)
    python benchmarks/scan.py --runs 3 --corpus stdlib --skip-slow --tree-files 0
    python benchmarks/scan.py --corpus PATH   # any folder
    python benchmarks/scan.py --quick         # one run of each, no slow contenders, no big tree

Contenders: `mpfix check --no-cache` (cold), the same with `--jobs 1`, `mpfix check`
twice (the second is the warm run), `mpfix check --no-prefilter --no-cache` (every file
parsed by libcst), `ruff check --select ALL --no-cache`, a naive script that parses
every file with libcst and resolves the metadata mpfix's rules use, and the `ast.parse`
floor (ast_floor.py: read and parse the files mpfix finds, nothing more) in one process
and over as many processes as mpfix's default jobs. The prefilter-off and naive
contenders are slow: they run `--slow-runs` times, and `--skip-slow` leaves them out.
The slowest files are timed one by one in one process (per_file.py). Only public tools
are used.
"""

from __future__ import annotations

import argparse
import compileall
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor
from importlib import metadata
from pathlib import Path

import corpora
from measure import ENV, MPFIX, NAIVE, Measure, memory, own_peak_mb, run_once
from per_file import Survey, count_files, survey

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
SEED, FIRST = "mpfix (cold, one copy)", "mpfix (first run on the tree)"
CHECK = ("check", "--exit-zero", "--no-progress")
RUFF = "ruff --select ALL"
JOBS = os.cpu_count() or 1  # mpfix's default
FLOOR_ONE, FLOOR = "ast.parse floor (1 process)", f"ast.parse floor ({JOBS} processes)"
# The targets: cold mpfix at most this share of ruff's time (1 for corpora not named here),
# within this many times the `ast.parse` floor over mpfix's jobs, warm runs under these.
RUFF_RATIO_TARGET = {"stdlib": 0.25, "django": 0.25, "dense": 1.0}
FLOOR_RATIO_TARGET = {"dense": 3.0}
WARM_TARGET_S = {"stdlib": 0.3}
TREE_WARM_TARGET_S, TREE_FILES = 1.0, 40_000
STARTUP_TARGET_S, SLOWEST_FILE_TARGET_S, MEMORY_TARGET_MB = 0.12, 1.0, 300

SIDE_BY_SIDE = (
    *("corpus", "files", "mpfix cold", "mpfix warm", "ruff", FLOOR_ONE, FLOOR),
    *("cold mpfix / ruff", f"cold mpfix / {FLOOR}", "slowest file", "peak memory of a cold run"),
)
Target = tuple[str, str, bool]  # (target, measured, met)


def contenders(corpus: Path, listing: Path, peaks_dir: Path, skip_slow: bool) -> list[Measure]:
    """The contenders on ``corpus``, whose files mpfix finds are listed in ``listing``."""
    found: list[Measure] = []

    def mpfix(name: str, *options: str, slow: bool = False) -> Measure:
        peaks = peaks_dir / f"{len(found)}.txt"
        command = [sys.executable, "-c", MPFIX, str(peaks), *CHECK, str(corpus)]
        return Measure(name, [*command, *options], slow, peaks)

    def floor(name: str, jobs: int) -> Measure:
        peaks = peaks_dir / f"floor-{jobs}.txt"
        script = Path(__file__).with_name("ast_floor.py")
        return Measure(name, [sys.executable, str(script), str(peaks), str(listing), str(jobs)], peaks_file=peaks)

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
    found += [floor(FLOOR_ONE, 1), floor(FLOOR, JOBS)]
    ruff = shutil.which("ruff")
    if ruff:
        found.append(Measure(RUFF, [ruff, "check", "--select", "ALL", "--no-cache", "--exit-zero", "-q", str(corpus)]))
    else:
        print("ruff is not on PATH (pip install ruff); skipping it", file=sys.stderr)
    return found


def print_measures(measures: list[Measure], found: int) -> dict[str, float]:
    """The table of contenders; their median walls by name."""
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
    return medians


def print_survey(surveyed: Survey) -> None:
    def share(count: int) -> str:
        return f"{count / surveyed.found:.0%}" if surveyed.found else "–"

    print("\n| files | count | share |\n|---|---|---|")
    print(f"| found | {surveyed.found} | {share(surveyed.found)} |")
    print(f"| pass the byte prefilter | {surveyed.prefiltered} | {share(surveyed.prefiltered)} |")
    print(f"| reach libcst (after the `ast` pre-checks) | {surveyed.parsed} | {share(surveyed.parsed)} |")
    print("\n| slowest files, each alone through mpfix in one process | seconds |\n|---|---|")
    for path, seconds in surveyed.slowest:
        print(f"| {path} | {seconds:.3f} |")


def corpus_targets(
    label: str, medians: dict[str, float], cold: Measure, slowest: list[tuple[str, float]]
) -> list[Target]:
    """The targets of one corpus, from its medians, its cold run and its slowest files."""
    text, peak_mb = memory(cold)
    targets = [(f"{label}: peak memory of a cold run under {MEMORY_TARGET_MB} MB", text, peak_mb < MEMORY_TARGET_MB)]
    if slowest:
        path, seconds = slowest[0]
        met = seconds <= SLOWEST_FILE_TARGET_S
        targets.append((f"{label}: no file over {SLOWEST_FILE_TARGET_S:g} s", f"{seconds:.2f} s ({path})", met))
    if label in WARM_TARGET_S:
        warm, limit = medians[WARM], WARM_TARGET_S[label]
        targets.append((f"{label}: warm run under {limit:g} s", f"{warm:.2f} s", warm < limit))
    if label in FLOOR_RATIO_TARGET:
        ratio, limit = medians[COLD] / medians[FLOOR], FLOOR_RATIO_TARGET[label]
        targets.append((f"{label}: cold mpfix / {FLOOR} at most {limit:g}", f"{ratio:.2f}", ratio <= limit))
    if RUFF in medians:
        ratio, limit = medians[COLD] / medians[RUFF], RUFF_RATIO_TARGET.get(label, 1.0)
        targets.insert(0, (f"{label}: cold mpfix / ruff at most {limit:g}", f"{ratio:.2f}", ratio <= limit))
    return targets


def bench(corpus: corpora.Corpus, runs: int, slow_runs: int, skip_slow: bool) -> tuple[list[Target], str]:
    with tempfile.TemporaryDirectory() as scratch, tempfile.TemporaryDirectory() as cache:
        listing = Path(scratch) / "files.txt"
        # In a process of its own, so that this one, which starts the contenders, stays small.
        with ProcessPoolExecutor(max_workers=1) as pool:
            surveyed = pool.submit(survey, corpus.path, listing).result()
        where = "" if corpus.label == str(corpus.path) else f" ({corpus.path})"
        print(f"\n## {corpus.label}{where}: {surveyed.found} files, {surveyed.size_mb:.1f} MB\n")
        print(*(f"{line}\n" for line in corpus.origin), sep="", end="\n" if corpus.origin else "")
        env = {**ENV, "MPFIX_CACHE_DIR": cache}
        measures = contenders(corpus.path, listing, Path(scratch), skip_slow)
        by_name = {measure.name: measure for measure in measures}
        run_once(WARM, by_name[WARM].command, env)  # fill the cache for the warm runs
        for round_ in range(runs):
            for measure in measures:
                if not measure.slow or round_ < slow_runs:
                    measure.run(env)

    medians = print_measures(measures, surveyed.found)
    print_survey(surveyed)
    speedup = medians[COLD_ONE_JOB] / medians[COLD]
    print(f"\nspeed-up of the default ({JOBS} jobs) over --jobs 1: {speedup:.2f}x")
    row = side_by_side(corpus.label, surveyed, medians, by_name[COLD])
    return corpus_targets(corpus.label, medians, by_name[COLD], surveyed.slowest), row


def side_by_side(label: str, surveyed: Survey, medians: dict[str, float], cold: Measure) -> str:
    """One corpus's row of the summary: the cold, warm, ruff and floor medians, the ratios
    the targets judge, the slowest file and the cold run's peak memory."""

    def seconds(name: str) -> str:
        return f"{medians[name]:.2f}" if name in medians else "–"

    def ratio(name: str) -> str:
        return f"{medians[COLD] / medians[name]:.2f}" if name in medians else "–"

    slowest = f"{surveyed.slowest[0][1]:.2f}" if surveyed.slowest else "–"
    cells = [label, f"{surveyed.found:,}", *map(seconds, (COLD, WARM, RUFF, FLOOR_ONE, FLOOR))]
    cells += [ratio(RUFF), ratio(FLOOR), slowest, memory(cold)[0]]
    return f"| {' | '.join(cells)} |"


def bench_tree(source: corpora.Corpus, files: int, workdir: Path, runs: int) -> list[Target]:
    """Warm runs on a tree of at least ``files`` files, copies of ``source``.

    The cache is filled by a run over one copy: it holds results by a file's bytes, so they
    serve every copy, and a cold run over the whole tree would take as long as a cold run
    over ``source`` times the copies. The first run over the tree is measured too.
    """
    with ProcessPoolExecutor(max_workers=1) as pool:
        source_files = pool.submit(count_files, source.path).result()
    tree = corpora.big_tree(source.path, source_files, files, workdir / f"tree-{files}-{source.path.name}")
    copies = sorted(tree.iterdir())
    with tempfile.TemporaryDirectory() as scratch, tempfile.TemporaryDirectory() as cache:
        env = {**ENV, "MPFIX_CACHE_DIR": cache}
        seed, first, warm = (
            Measure(
                name,
                [sys.executable, "-c", MPFIX, str(Path(scratch) / name), *CHECK, str(path)],
                peaks_file=Path(scratch) / name,
            )
            for name, path in ((SEED, copies[0]), (FIRST, tree), (WARM, tree))
        )
        seed.run(env)
        first.run(env)
        for _ in range(runs):
            warm.run(env)
    found = len(copies) * source_files
    print(f"\n## A big tree ({tree}): {len(copies)} copies of {source.label}, {found:,} files\n")
    print(f"The cache filled by a cold run over one copy: {seed.walls[0]:.2f} s.\n")
    medians = print_measures([first, warm], found)
    label, warm_s = f"{found:,}-file tree", medians[WARM]
    text, peak_mb = memory(first)
    return [
        (f"{label}: warm run under {TREE_WARM_TARGET_S:g} s", f"{warm_s:.2f} s", warm_s < TREE_WARM_TARGET_S),
        (f"{label}: peak memory of the first run under {MEMORY_TARGET_MB} MB", text, peak_mb < MEMORY_TARGET_MB),
    ]


def startup(workdir: Path, runs: int) -> list[Target]:
    """`mpfix check` on one small file that names nothing multiprocessing-related."""
    clean = workdir / "clean.py"
    clean.write_text(CLEAN_FILE)
    command = [sys.executable, "-m", "mpfix", "check", str(clean)]
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
        f"machine: {platform.platform()}, {JOBS} cores, Python {platform.python_version()}, "
        f"libcst {metadata.version('libcst')}, ruff {ruff_version}"
    )


def load() -> str:
    """The machine's load average over 1, 5 and 15 minutes: other work skews the times."""
    return "load average (1, 5, 15 min): " + ", ".join(f"{value:.2f}" for value in os.getloadavg())


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="timed runs of each contender (default 5)")
    parser.add_argument("--slow-runs", type=int, default=1, help="runs of the slow contenders (default 1)")
    parser.add_argument("--skip-slow", action="store_true", help="leave out the prefilter-off and naive contenders")
    parser.add_argument(
        "--corpus",
        action="append",
        help="stdlib, django, datasets, dense, or a folder; repeatable (default: the four)",
    )
    parser.add_argument(
        "--tree-files", type=int, help=f"files of the big tree for warm runs (default {TREE_FILES:,}; 0: none)"
    )
    parser.add_argument("--tree-from", default="stdlib", help="the corpus copied into the big tree (default stdlib)")
    parser.add_argument("--tree-only", action="store_true", help="the start-up and the big tree, no corpus")
    parser.add_argument("--workdir", type=Path, help="where corpora and sdists are kept (default: TMPDIR/mpfix-bench)")
    parser.add_argument(
        "--quick", action="store_true", help="one run of each contender, 3 start-up runs, --skip-slow, no big tree"
    )
    args = parser.parse_args()
    if args.quick:
        args.runs, args.skip_slow = 1, True
    if args.tree_files is None:
        args.tree_files = 0 if args.quick else TREE_FILES
    return args


def main() -> None:
    args = arguments()
    print(machine())
    print(load())
    workdir = args.workdir or Path(tempfile.gettempdir()) / "mpfix-bench"
    workdir.mkdir(parents=True, exist_ok=True)
    # pip compiles an installed package's bytecode; a checkout (or PYTHONDONTWRITEBYTECODE)
    # would have every run compile mpfix's modules again, which no user's run does.
    compileall.compile_dir(Path(__file__).resolve().parent.parent / "codemods", quiet=1)
    targets = startup(workdir, 3 if args.quick else max(args.runs, 10))
    rows = []
    for name in [] if args.tree_only else args.corpus or ["stdlib", "django", "datasets", "dense"]:
        corpus = corpora.prepare(name, workdir)
        if corpus is not None:
            found, row = bench(corpus, args.runs, min(args.slow_runs, args.runs), args.skip_slow)
            targets += found
            rows.append(row)
    if args.tree_files and (source := corpora.prepare(args.tree_from, workdir)) is not None:
        targets += bench_tree(source, args.tree_files, workdir, args.runs)
    if rows:
        print("\n## Side by side (medians, seconds)\n")
        print(f"| {' | '.join(SIDE_BY_SIDE)} |\n|{'---|' * len(SIDE_BY_SIDE)}")
        print(*rows, sep="\n")
    print("\n## Targets\n\n| target | measured | met |\n|---|---|---|")
    for target, measured, met in targets:
        print(f"| {target} | {measured} | {'yes' if met else 'no'} |")
    print(f"\n{load()}")


if __name__ == "__main__":
    main()
