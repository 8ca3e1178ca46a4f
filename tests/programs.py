"""Running example programs under a chosen multiprocessing start method."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

START_METHODS = ("spawn", "forkserver", "fork")
# Running a program under the interpreter's default start method, as a user runs it, adds
# nothing where that default is plain fork (Linux before Python 3.14): the run under "fork"
# is the same. Elsewhere it differs (3.14's forkserver also preloads the main module).
DEFAULT_RUN: tuple[str, ...] = () if multiprocessing.get_all_start_methods()[0] == "fork" else ("default",)

# A program whose one finding (an import in a pool task) has an unsafe fix.
IMPORT_IN_TASK = """\
import multiprocessing as mp


def work(x):
    import json
    return json.dumps(x)


if __name__ == "__main__":
    with mp.Pool(2) as pool:
        print(pool.map(work, [1]))
"""

# Python's message when a child re-runs module-level code that starts processes.
BOOTSTRAP_ERROR = "before the current process has finished its bootstrapping phase"

# Runs the program as ``__main__`` (so spawned children re-import it as ``__mp_main__``)
# after choosing the start method, unless the program chooses one itself.
# Libraries with a context of their own (multiprocess, billiard) named after the path get
# the same start method.
_LAUNCHER = """
import importlib, multiprocessing, runpy, sys
method, path, libraries = sys.argv[1], sys.argv[2], sys.argv[3:]
if method != "default":
    for library in [multiprocessing, *map(importlib.import_module, libraries)]:
        library.set_start_method(method)
sys.argv = [path]
runpy.run_path(path, run_name="__main__")
"""


@dataclass
class Run:
    returncode: int | None  # None: killed (timed out, or stopped once the pitfall showed)
    stdout: str
    stderr: str

    @property
    def bootstrap_error(self) -> bool:
        return BOOTSTRAP_ERROR in self.stderr


def run_program(
    path: Path, method: str, *, timeout: float = 60, stop_on: str | None = None, libraries: tuple[str, ...] = ()
) -> Run:
    """Run ``path`` under ``method`` ("default": the program's own choice), in
    multiprocessing and in each of ``libraries``.

    ``stop_on``: kill the whole process group as soon as stderr shows this text, so a
    program that respawns children forever does not cost the whole timeout.
    """
    process = subprocess.Popen(
        [sys.executable, "-c", _LAUNCHER, method, str(path), *libraries],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=path.parent,
        start_new_session=True,
        env={**os.environ, "PYTHONHASHSEED": "0"},
    )
    out: list[str] = []
    err: list[str] = []
    readers = [
        threading.Thread(target=lambda: out.extend(process.stdout)),  # type: ignore[arg-type]
        threading.Thread(target=lambda: err.extend(process.stderr)),  # type: ignore[arg-type]
    ]
    for reader in readers:
        reader.daemon = True
        reader.start()
    deadline = time.monotonic() + timeout
    killed = False
    while process.poll() is None:
        if time.monotonic() > deadline or (stop_on is not None and stop_on in "".join(err)):
            os.killpg(process.pid, signal.SIGKILL)
            killed = True
            break
        time.sleep(0.05)
    process.wait()
    for reader in readers:
        reader.join(timeout=5)
    return Run(None if killed else process.returncode, "".join(out), "".join(err))
