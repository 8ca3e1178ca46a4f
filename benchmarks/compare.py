"""Two builds of mpfix on one corpus, run in alternating pairs: the change in wall time and
in CPU time (user and system, of mpfix and all its workers), and whether the output is the
same.

On a shared or noisy machine two runs of one build can differ by a fifth, so a change of a
few percent cannot be read from one run against another made earlier. Here each pair runs
both builds back to back, in alternating order (ABBA...), so that a slow minute slows both,
and the report is the mean of the differences within pairs, with its standard error.

    python benchmarks/compare.py --base main~3 CORPUS            # main~3 against the checkout
    python benchmarks/compare.py --base v1 --head v2 --pairs 10 CORPUS -- --jobs 1

A build is a git revision of this repository (its ``codemods`` package, taken with ``git
archive``) or, for ``--head`` left out, the checkout as it is on disk. Arguments after
``--`` go to ``mpfix check`` (which always runs with ``--no-cache``). Before the timed
pairs, each build runs once with ``--output-format json``, and the two outputs are compared.
"""

from __future__ import annotations

import argparse
import compileall
import math
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "codemods"  # installed as ``mpfix``


def build(revision: str | None, into: Path) -> Path:
    """A folder that holds ``mpfix``, the package of ``revision`` (None: the checkout)."""
    target = into / "mpfix"
    if revision is None:
        shutil.copytree(ROOT / PACKAGE, target, ignore=shutil.ignore_patterns("__pycache__"))
    else:
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", "--format=tar", revision, PACKAGE],
            check=True,
            capture_output=True,
        ).stdout
        with tarfile.open(fileobj=BytesIO(archive)) as tar:
            tar.extractall(into, **({"filter": "data"} if hasattr(tarfile, "data_filter") else {}))
        (into / PACKAGE).rename(target)
    compileall.compile_dir(target, quiet=1)  # as pip does when it installs mpfix
    return into


def run(folder: Path, arguments: list[str]) -> tuple[float, float, bytes]:
    """Wall time, CPU time of the process and its children, and the output of one run."""
    env = {**os.environ, "PYTHONPATH": str(folder)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "mpfix", *arguments], env=env, capture_output=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    # With --exit-zero, 0; or 2 when some file could not be analysed (it does not parse...),
    # which the report says. A run that stopped early (a bad option, a crash, a build that
    # does not import) says nothing on standard output.
    if not (done.returncode == 0 or (done.returncode == 2 and done.stdout)):
        sys.exit(f"mpfix exited with {done.returncode}:\n{done.stderr.decode(errors='replace')}")
    return wall, cpu, done.stdout


def paired(label: str, base: list[float], head: list[float]) -> str:
    """A row: the means, and the mean change within pairs with its standard error."""
    changes = [h - b for b, h in zip(base, head, strict=True)]
    mean = statistics.fmean(changes)
    error = statistics.stdev(changes) / math.sqrt(len(changes)) if len(changes) > 1 else float("nan")
    relative = mean / statistics.fmean(base) * 100
    return (
        f"| {label} | {statistics.fmean(base):.3f} | {statistics.fmean(head):.3f} "
        f"| {mean:+.3f} ± {error:.3f} | {relative:+.1f} % |"
    )


def arguments(argv: list[str]) -> tuple[argparse.Namespace, list[str]]:
    """The options of this script, and the options of ``mpfix check`` (those after ``--``).
    They are split here: argparse before Python 3.14 takes no ``--`` after a positional
    argument given before the options (``CORPUS --base REV -- --jobs 1``)."""
    ours, options = (argv[: argv.index("--")], argv[argv.index("--") + 1 :]) if "--" in argv else (argv, [])
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], usage=USAGE)
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--base", required=True, help="a git revision")
    parser.add_argument("--head", help="a git revision (default: the checkout on disk)")
    parser.add_argument("--pairs", type=int, default=10, help="0: only compare the outputs")
    return parser.parse_args(ours), options


USAGE = "%(prog)s --base REV [--head REV] [--pairs N] CORPUS [-- MPFIX CHECK OPTIONS]"


def main() -> None:
    args, options = arguments(sys.argv[1:])
    check = ["check", "--no-cache", "--exit-zero", "--no-progress", *options, str(args.corpus)]
    with tempfile.TemporaryDirectory() as work:
        base = build(args.base, Path(work, "base"))
        head = build(args.head, Path(work, "head"))
        same = run(base, [*check, "--output-format", "json"])[2] == run(head, [*check, "--output-format", "json"])[2]
        times: dict[Path, list[tuple[float, float]]] = {base: [], head: []}
        for pair in range(args.pairs):
            for folder in (base, head) if pair % 2 == 0 else (head, base):
                times[folder].append(run(folder, check)[:2])
    print(f"`mpfix {' '.join(check)}`: {args.base} (base) against {args.head or 'the checkout'} (head),")
    print(f"{args.pairs} pairs run alternately; load average at the end {os.getloadavg()[0]:.2f}.\n")
    if args.pairs:
        print("| seconds | base, mean | head, mean | head − base, mean of pairs ± s.e. | change |")
        print("|---|---|---|---|---|")
        print(paired("wall time", [wall for wall, _ in times[base]], [wall for wall, _ in times[head]]))
        print(paired("CPU time, all processes", [cpu for _, cpu in times[base]], [cpu for _, cpu in times[head]]))
        print()
    print(f"The output of `--output-format json` is {'the same' if same else 'NOT the same'}.")
    if not same:
        sys.exit(1)


if __name__ == "__main__":
    main()
