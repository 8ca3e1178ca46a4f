"""Writing a fixed file leaves no temporary file behind: it is unnamed while written where
the OS allows, and the next run removes what a killed run left."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from mpfix.run import temporary
from mpfix.run.write import write_atomically

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(params=["unnamed", "named"])
def temporaries(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Both ways of writing: through an unnamed file (Linux) and through a named one."""
    if request.param == "unnamed" and not temporary.UNNAMED:
        pytest.skip("no O_TMPFILE here")
    monkeypatch.setattr(temporary, "UNNAMED", request.param == "unnamed")
    return request.param


def test_a_write_keeps_the_mode_and_leaves_only_the_file(tmp_path: Path, temporaries: str) -> None:
    path = tmp_path / "tool.py"
    path.write_bytes(b"old\n")
    path.chmod(0o740)

    write_atomically(str(path), b"new\n" * 10_000)

    assert path.read_bytes() == b"new\n" * 10_000
    assert stat.S_IMODE(path.stat().st_mode) == 0o740
    assert os.listdir(tmp_path) == ["tool.py"]


def test_a_failed_rename_leaves_the_file_and_no_temporary(
    tmp_path: Path, temporaries: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "tool.py"
    path.write_bytes(b"old\n")

    def refuse(source: str, target: str) -> None:
        raise PermissionError(13, "refused")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(PermissionError):
        write_atomically(str(path), b"new\n")
    assert (os.listdir(tmp_path), path.read_bytes()) == (["tool.py"], b"old\n")


@pytest.mark.skipif(not temporary.UNNAMED, reason="no O_TMPFILE here")
def test_while_the_text_is_written_the_temporary_file_has_no_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "tool.py"
    path.write_bytes(b"old\n")
    seen: list[list[str]] = []
    fsync = os.fsync

    def look(handle: int) -> None:  # the moment a kill would most likely hit
        seen.append(sorted(os.listdir(tmp_path)))
        fsync(handle)

    monkeypatch.setattr(os, "fsync", look)
    write_atomically(str(path), b"new\n")
    assert seen == [["tool.py"]]
    assert path.read_bytes() == b"new\n"


def _gone_pid() -> int:
    """The id of a process that has ended."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


@pytest.mark.skipif(sys.platform == "win32", reason="process ids are not asked about on Windows")
def test_the_next_write_removes_what_a_killed_run_left_and_nothing_else(tmp_path: Path) -> None:
    path = tmp_path / "tool.py"
    path.write_bytes(b"old\n")
    left = tmp_path / f".tool.py.{_gone_pid()}.0a1b2c3d.mpfix"
    old_style = tmp_path / ".tool.py.2q2gw1c2.mpfix"  # no process id: removed once old
    recent_old_style = tmp_path / ".tool.py.x7y8z9w0.mpfix"
    running = tmp_path / f".tool.py.{os.getpid()}.00000000.mpfix"  # a run still writing it
    other_file = tmp_path / f".other.py.{_gone_pid()}.0a1b2c3d.mpfix"  # not this file's
    users = tmp_path / ".tool.py.notes"
    for stray in (left, old_style, recent_old_style, running, other_file, users):
        stray.write_bytes(b"half")
    an_hour_ago = time.time() - 3600
    os.utime(old_style, (an_hour_ago, an_hour_ago))

    write_atomically(str(path), b"new\n")

    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        p.name for p in (path, recent_old_style, running, other_file, users)
    )


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
def test_a_run_killed_while_writing_leaves_nothing_the_next_run_keeps(tmp_path: Path) -> None:
    """A process killed in the middle of its writes; a second writer cleans up after it."""
    path = tmp_path / "tool.py"
    path.write_bytes(b"old\n")
    program = (
        "import sys\nfrom mpfix.run.write import write_atomically\n"
        "print('ready', flush=True)\n"
        "while True:\n    write_atomically(sys.argv[1], b'x' * 1_000_000)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen([sys.executable, "-c", program, str(path)], env=env, stdout=subprocess.PIPE)
    assert process.stdout is not None and process.stdout.readline() == b"ready\n"
    time.sleep(0.3)
    process.send_signal(signal.SIGKILL)
    process.wait()

    write_atomically(str(path), b"new\n")
    assert [p.name for p in tmp_path.iterdir()] == ["tool.py"]
    assert path.read_bytes() == b"new\n"
