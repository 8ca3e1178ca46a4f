"""The temporary files that fixed text is written to before it is renamed over a file.

Nothing catches SIGKILL, so where the OS allows it (Linux's ``O_TMPFILE``) the temporary
file has no name while it is written, and gets one only for the instant before the
rename. A temporary file that a killed run still left behind is removed by the next run
that writes the same file: its name holds the process that made it
(``.name.PID.xxxxxxxx.mpfix``), and a file of a process that is gone is stale.
"""

from __future__ import annotations

import errno
import os
import sys
import time

UNNAMED = hasattr(os, "O_TMPFILE")  # cleared once this system fails to name such a file
SUFFIX = ".mpfix"
# A write takes milliseconds: a temporary file this old (in seconds) was left behind, even
# where the process that made it cannot be asked about (Windows, or a name without one).
STALE_AGE = 600
_AT_FDCWD, _AT_EMPTY_PATH = -100, 0x1000


class CannotName(OSError):
    """This system gives an unnamed temporary file no name: write through a named one."""


def _name(folder: str, name: str) -> str:
    return os.path.join(folder, f".{name}.{os.getpid()}.{os.urandom(4).hex()}{SUFFIX}")


def open_temporary(folder: str, name: str, *, unnamed: bool) -> tuple[int, str | None]:
    """An open file for the new text of ``name``, and its name: None while unnamed."""
    if unnamed:
        try:
            return os.open(folder, os.O_TMPFILE | os.O_WRONLY, 0o600), None
        except OSError:
            pass  # a file system without O_TMPFILE
    while True:
        named = _name(folder, name)
        try:
            return os.open(named, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600), named
        except FileExistsError:
            continue


def name_it(handle: int, folder: str, name: str) -> str:
    """Give the unnamed file ``handle`` a temporary name in ``folder``; CannotName if the
    system refuses both ways: linkat through /proc (any user), then with AT_EMPTY_PATH
    (which some sandboxes accept instead)."""
    while True:
        named = _name(folder, name)
        try:
            os.link(f"/proc/self/fd/{handle}", named, follow_symlinks=True)
            return named
        except FileExistsError:
            continue
        except OSError:
            pass
        found = _link_empty_path(handle, named)
        if found == 0:
            return named
        if found != errno.EEXIST:
            raise CannotName(found, os.strerror(found))


def _link_empty_path(handle: int, named: str) -> int:
    """linkat(handle, "", AT_FDCWD, named, AT_EMPTY_PATH): 0, or the error number."""
    import ctypes  # only where /proc cannot name the file

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.linkat(handle, b"", _AT_FDCWD, os.fsencode(named), _AT_EMPTY_PATH) == 0:
            return 0
    except (OSError, AttributeError):
        return errno.ENOSYS
    return ctypes.get_errno() or errno.EIO


def _running(pid: int) -> bool:
    if sys.platform == "win32":  # os.kill would end the process there
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # someone else's process
    return True


def remove_stale(folder: str, name: str) -> None:
    """Remove the temporary files of ``name`` that a killed mpfix left in ``folder``:
    those whose process is gone, or that are older than any write takes."""
    prefix = f".{name}."
    try:
        entries = [entry for entry in os.scandir(folder) if entry.name.startswith(prefix)]
    except OSError:
        return
    for entry in entries:
        if not entry.name.endswith(SUFFIX):
            continue
        pid = entry.name[len(prefix) :].partition(".")[0]
        try:
            stale = (pid.isdigit() and not _running(int(pid))) or time.time() - entry.stat().st_mtime > STALE_AGE
            if stale and entry.is_file(follow_symlinks=False):
                os.unlink(entry.path)
        except OSError:
            pass  # gone already, or not ours to remove
