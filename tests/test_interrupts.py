"""`mpfix fix` cut short: by Ctrl-C, by SIGTERM, by SIGKILL, or by the death of a worker
process. Whenever it happens, every file is exactly as it was or exactly as fixed, keeps
its mode, no temporary file is left behind and no process is left running."""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import stat
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import mpfix
import pytest

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="reads the process table from /proc")

UNGUARDED = "import multiprocessing as mp\nwith mp.Pool(2) as p:\n    print(p.map(abs, [-1]))\n"
MODES = (0o644, 0o600, 0o755, 0o640)
CORPUS_SIZE = 60


class Corpus:
    """Many small fixable files, each different, with a few different modes."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.files: dict[str, tuple[bytes, bytes, int]] = {}  # name: (original, fixed, mode)
        for number in range(CORPUS_SIZE):
            source = f"# job {number}\n" + UNGUARDED.replace("[-1]", f"[-{number}]")
            self.files[f"job{number:03}.py"] = (
                source.encode(),
                mpfix.fix_source(source).encode(),
                MODES[number % len(MODES)],
            )
        folder.mkdir()
        self.reset()

    def reset(self) -> None:
        for name, (original, _, mode) in self.files.items():
            path = self.folder / name
            path.write_bytes(original)
            path.chmod(mode)

    def fixed_count(self, *, temporaries_allowed: bool = False) -> int:
        """How many files are fixed; fails on a file that is neither old nor new, a changed
        mode or a stray file."""
        names = set(os.listdir(self.folder))
        strays = names - set(self.files)
        if temporaries_allowed:  # SIGKILL cannot be caught: its temporary files may stay
            strays = {name for name in strays if not (name.startswith(".job") and name.endswith(".mpfix"))}
        assert not strays, f"left behind: {sorted(strays)}"
        fixed = 0
        for name, (original, expected, mode) in self.files.items():
            path = self.folder / name
            data = path.read_bytes()
            assert data in (original, expected), f"{name} is neither the original nor the fixed text:\n{data!r}"
            assert stat.S_IMODE(path.stat().st_mode) == mode, name
            fixed += data == expected
        return fixed


# A shell runs background jobs with SIGINT ignored, and Python keeps an ignored SIGINT
# ignored: this driver turns Ctrl-C back into KeyboardInterrupt, as in a terminal. SIGUSR1
# makes it (and its forked workers) print every thread's stack, should a run ever hang.
_DRIVER = """
import faulthandler, signal, sys
signal.signal(signal.SIGINT, signal.default_int_handler)
faulthandler.register(signal.SIGUSR1, all_threads=True)
from mpfix.cli import main
sys.argv[0] = "mpfix"
main()
"""


def start_fix(folder: Path, *options: str) -> subprocess.Popen:
    """`mpfix fix` in a session of its own, so that its workers can be found and signalled."""
    log = open(folder.parent / "mpfix.log", "wb")  # noqa: SIM115 - closed by the child's exit
    return subprocess.Popen(
        [sys.executable, "-c", _DRIVER, "fix", "--jobs", "2", "--no-progress", *options, "."],
        cwd=folder,
        stdout=log,
        stderr=log,
        start_new_session=True,
    )


def wait_for(process: subprocess.Popen, folder: Path, what: str) -> int:
    """The run's exit code; a run that has not ended after two minutes (ten times a whole
    run on a loaded machine) fails the test with every thread's stack of its processes."""
    try:
        return process.wait(timeout=120)
    except subprocess.TimeoutExpired:
        group = [pid for pid, _, pgid in _processes() if pgid == process.pid]
        for pid in group:
            os.kill(pid, signal.SIGUSR1)
        time.sleep(2)
        for pid in group:
            os.kill(pid, signal.SIGKILL)
        log = (folder.parent / "mpfix.log").read_text(encoding="utf-8", errors="replace")
        pytest.fail(f"{what}: mpfix hangs; its processes' stacks:\n{log}")


def _processes() -> list[tuple[int, int, int]]:
    """(pid, parent pid, process group) of every process."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", encoding="utf-8", errors="replace") as file:
                    fields = file.read().rsplit(")", 1)[1].split()
            except OSError:
                continue  # ended meanwhile
            found.append((int(entry), int(fields[1]), int(fields[2])))
    return found


def workers_of(parent: int) -> list[int]:
    return [pid for pid, ppid, _ in _processes() if ppid == parent]


def wait_until_gone(group: int, limit: float = 60.0) -> list[int]:
    """The processes of ``group`` still running after up to ``limit`` seconds (none, normally)."""
    deadline = time.monotonic() + limit
    while True:
        left = [pid for pid, _, pgid in _processes() if pgid == group and _alive(pid)]
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.1)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8", errors="replace") as file:
            return file.read().rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has ended
    except OSError:
        return False


def timed_run(corpus: Corpus, *options: str) -> float:
    """An uninterrupted run: how long it takes (to spread the interrupts over), and a check."""
    corpus.reset()
    began = time.monotonic()
    process = start_fix(corpus.folder, *options)
    assert wait_for(process, corpus.folder, "an uninterrupted run") == 0
    assert corpus.fixed_count() == CORPUS_SIZE
    return time.monotonic() - began


def interrupt(process: subprocess.Popen, how: str) -> None:
    if how == "worker-sigkill":
        while process.poll() is None and not workers_of(process.pid):
            time.sleep(0.01)
        for worker in workers_of(process.pid)[:1]:
            os.kill(worker, signal.SIGKILL)
    elif how == "ctrl-c":
        os.killpg(process.pid, signal.SIGINT)  # the whole process group, as a terminal does
    else:
        os.kill(process.pid, getattr(signal, how.upper()))


def wait_for_the_first_write(process: subprocess.Popen, corpus: Corpus) -> None:
    """Until the first file (in path order, so the first written) holds its fix."""
    first, (_, fixed, _) = next(iter(corpus.files.items()))
    while process.poll() is None and (corpus.folder / first).read_bytes() != fixed:
        time.sleep(0.001)


@pytest.mark.timeout(900)  # above the two minutes each run gets, so that a hang shows its stacks
def test_an_interrupt_at_any_moment_leaves_each_file_old_or_new_and_nothing_behind(tmp_path: Path) -> None:
    corpus = Corpus(tmp_path / "corpus")
    cache = Path(os.environ["MPFIX_CACHE_DIR"])  # empty: each test has its own
    # A cold run spends its time analysing, a warm one (every result in the cache) mostly
    # writing; each kind of interrupt comes at a seeded random moment of each, and once
    # more in the middle of writing.
    durations = {"cold": timed_run(corpus)}  # fills the cache
    durations["warm"] = timed_run(corpus)
    rng = random.Random(20240611)
    outcomes: Counter[str] = Counter()

    for how in ("sigint", "sigterm", "ctrl-c", "worker-sigkill", "sigkill"):
        for moment in ("cold", "warm", "writing"):
            corpus.reset()
            process = start_fix(corpus.folder, *(["--no-cache"] if moment == "cold" else []))
            if moment == "writing":
                wait_for_the_first_write(process, corpus)
                time.sleep(rng.uniform(0, 0.02))
            else:
                time.sleep(rng.uniform(0, durations[moment]))
            interrupt(process, how)
            returncode = wait_for(process, corpus.folder, f"{how} at the {moment} moment")

            left = wait_until_gone(process.pid)
            for pid in left:  # a failing run leaves nothing behind either
                os.kill(pid, signal.SIGKILL)
            assert left == [], f"{how}: processes left running"
            fixed = corpus.fixed_count(temporaries_allowed=how == "sigkill")
            assert not list(cache.glob("*.tmp")), f"{how}: a temporary cache file was left behind"
            if how == "worker-sigkill":
                # The files of the dead worker are analysed again, one at a time: the run goes on.
                assert returncode in (0, 2)
                assert returncode == 2 or fixed == CORPUS_SIZE
            outcomes["none" if fixed == 0 else "all" if fixed == CORPUS_SIZE else "some"] += 1

    # Not asserted (it depends on timing): how many runs were cut in the middle of writing.
    print(f"durations {durations}, files fixed when interrupted: {dict(outcomes)}")


_CRASHING_DRIVER = """
import os, sys
from mpfix.cli import main
from mpfix.run import workers

analyse = workers.analyse_file


def crash_on_marked_files(job):
    if b"# crash" in job.data:
        os._exit(70)  # a worker dying as a segfault or the OOM killer would end it
    return analyse(job)


workers.analyse_file = crash_on_marked_files
sys.argv[0] = "mpfix"
main()
"""


@pytest.mark.skipif(
    multiprocessing.get_start_method() != "fork", reason="the patched worker function reaches workers only by fork"
)
def test_a_worker_that_dies_costs_its_file_one_error_and_the_fix_run_goes_on(tmp_path: Path) -> None:
    for number in range(4):
        (tmp_path / f"script{number}.py").write_text(UNGUARDED, encoding="utf-8")
    (tmp_path / "crash.py").write_text(UNGUARDED + "# crash\n", encoding="utf-8")

    result = subprocess.run(
        [sys.executable, "-c", _CRASHING_DRIVER, "fix", "--no-cache", "--jobs", "2", "--output-format", "concise", "."],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert result.returncode == 2
    assert result.stderr == "crash.py: error: the worker process analysing it died\n"
    assert result.stdout == (
        "".join(f"script{number}.py: fixed 1 finding (MP001)\n" for number in range(4))
        + "Fixed 4 findings in 4 files, 0 remaining. 1 file could not be processed.\n"
    )
    assert (tmp_path / "crash.py").read_text(encoding="utf-8") == UNGUARDED + "# crash\n"
    fixed = mpfix.fix_source(UNGUARDED)
    assert all((tmp_path / f"script{number}.py").read_text(encoding="utf-8") == fixed for number in range(4))
