"""Writing fixed files: atomically (a temporary file renamed over the target, mode kept),
only over the bytes that were analysed, and never cut in half by SIGINT or SIGTERM (for
SIGKILL, see ``temporary``)."""

from __future__ import annotations

import errno
import os
import signal
import stat
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from codemods.model import ErrorKind, FileError, FileResult
from codemods.run import temporary
from codemods.run.discover import read


def os_error(path: str, exc: OSError, kind: ErrorKind) -> FileError:
    return FileError(path, kind, exc.strerror or str(exc))


class ChangedOnDisk(OSError):
    """The file is no longer the bytes that were analysed: someone else wrote it."""


def write_fixed(result: FileResult, original: bytes) -> bool:
    """Write ``result.fixed`` over ``result.path`` unless the file changed since it was read
    as ``original``. On failure the result keeps its findings and gains the error."""
    target = os.path.realpath(result.path)  # replace a symlink's target, not the link
    try:
        write_atomically(target, result.encoded(), expected=original)
    except ChangedOnDisk:
        result.fixes_lost(FileError(result.path, ErrorKind.WRITE, "changed on disk while mpfix ran; not written"))
        return False
    except OSError as exc:
        result.fixes_lost(os_error(result.path, exc, ErrorKind.WRITE))
        return False
    return True


@contextmanager
def signals_deferred() -> Iterator[None]:
    """Hold SIGINT and SIGTERM back until the block is done, then deliver them as before.

    An interrupt between creating a temporary file and renaming it over its target would
    leave the temporary behind (SIGTERM's default action ends the process at once, with no
    ``finally``). Only the main thread may set handlers; elsewhere the block runs as is.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []
    previous = {
        signum: signal.signal(signum, lambda number, frame: received.append(number))
        for signum in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, signal.SIG_DFL if handler is None else handler)
        if received:
            signal.raise_signal(received[0])


def write_atomically(path: str, data: bytes, expected: bytes | None = None) -> None:
    """Replace the file at ``path`` with ``data``: readers see the old or the new file,
    never a part; its mode (and, when permitted, its owner) is kept. With ``expected``,
    raise ChangedOnDisk instead when the file no longer holds those bytes."""
    with signals_deferred():
        _write_atomically(path, data, expected)


def _write_atomically(path: str, data: bytes, expected: bytes | None) -> None:
    before = os.stat(path)
    # Renaming over a file needs only its folder's permission, and root passes every check:
    # a file without write permission is left as `open(path, "w")` would leave it.
    if not before.st_mode & 0o222 or not os.access(path, os.W_OK):
        raise PermissionError(errno.EACCES, "read-only file, not written")
    folder, name = os.path.split(path)
    folder = folder or "."
    temporary.remove_stale(folder, name)
    try:
        written = _written(data, before, folder, name, unnamed=temporary.UNNAMED)
    except temporary.CannotName:
        temporary.UNNAMED = False  # this system gives an unnamed file no name: stop trying
        written = _written(data, before, folder, name, unnamed=False)
    try:
        # Compared as late as possible, right before the rename: an edit made while the
        # temporary was written (fsync can take a while) is kept, not overwritten.
        if expected is not None and read(path) != expected:
            raise ChangedOnDisk(f"{path}: changed on disk")
        os.replace(written, path)
    except BaseException:
        os.unlink(written)
        raise


def _written(data: bytes, before: os.stat_result, folder: str, name: str, *, unnamed: bool) -> str:
    """The name of a temporary file in ``folder`` that holds ``data``, on the disk, with the
    mode and owner of ``before``; with ``unnamed``, it gets its name only once written."""
    handle, named = temporary.open_temporary(folder, name, unnamed=unnamed)
    try:
        _fill(handle, data, before)
        if named is None:
            named = temporary.name_it(handle, folder, name)
    except BaseException:
        os.close(handle)
        if named is not None:
            os.unlink(named)
        raise
    os.close(handle)  # before the rename: Windows renames no open file
    return named


def _fill(handle: int, data: bytes, before: os.stat_result) -> None:
    """Write ``data`` to the open file, to the disk, with the mode and owner of ``before``."""
    view = memoryview(data)
    while view:
        view = view[os.write(handle, view) :]
    os.fsync(handle)
    if hasattr(os, "fchmod"):
        os.fchmod(handle, stat.S_IMODE(before.st_mode))
    if hasattr(os, "fchown"):
        try:
            os.fchown(handle, before.st_uid, before.st_gid)
        except PermissionError:
            pass  # only root may give a file away; it then belongs to whoever ran mpfix
