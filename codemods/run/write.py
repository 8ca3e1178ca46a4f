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

from ..model import ErrorKind, FileError, FileResult
from . import temporary
from .discover import read


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


def write_all(fixed: list[tuple[FileResult, bytes]]) -> None:
    """Write each fixed file over the bytes it was read as; the files of a fix that
    changes several are written together (see ``write_together``)."""
    by_path = dict((result.path, (result, original)) for result, original in fixed)
    written: set[str] = set()
    for result, original in fixed:
        if result.path in written or result.fixed is None:
            continue
        if not result.together:
            write_fixed(result, original)
            continue
        unit = [result.path, *result.together]
        written.update(unit)
        write_together([by_path[path] for path in unit if path in by_path], expected=len(unit))


def write_together(unit: list[tuple[FileResult, bytes]], expected: int) -> bool:
    """Write every file of ``unit`` (``expected`` files) or none: each new text goes to a
    temporary file beside its target first, and only when all are on the disk, and no
    target changed since it was read, are they renamed over their targets; a rename that
    fails puts the files renamed before it back. On failure every result keeps its
    findings, and the one that failed gains the error."""
    results = [result for result, _ in unit]
    if len(unit) != expected:  # a file of the fix is not to be written: none is
        _lost_together(results, None, None)
        return False
    staged: list[tuple[str, str, bytes]] = []  # target, temporary, original
    with signals_deferred():
        current = results[0]
        try:
            for current, original in unit:
                target = os.path.realpath(current.path)
                staged.append((target, _staged(target, current.encoded()), original))
            for (target, _, original), current in zip(staged, results, strict=True):
                if read(target) != original:
                    raise ChangedOnDisk(f"{current.path}: changed on disk")
        except OSError as exc:
            for _, temporary_path, _ in staged:
                os.unlink(temporary_path)
            _lost_together(results, current, exc)
            return False
        return _rename_all(staged, results)


def _staged(target: str, data: bytes) -> str:
    """A temporary file beside ``target`` holding ``data``, with the target's mode."""
    before = os.stat(target)
    if not before.st_mode & 0o222 or not os.access(target, os.W_OK):
        raise PermissionError(errno.EACCES, "read-only file, not written")
    folder, name = os.path.split(target)
    temporary.remove_stale(folder or ".", name)
    return _written(data, before, folder or ".", name, unnamed=False)


def _rename_all(staged: list[tuple[str, str, bytes]], results: list[FileResult]) -> bool:
    done: list[tuple[str, bytes]] = []
    for index, (target, temporary_path, original) in enumerate(staged):
        try:
            os.replace(temporary_path, target)
        except OSError as exc:
            for _, left, _ in staged[index:]:
                os.unlink(left)
            for renamed, before in done:
                _write_atomically(renamed, before, None)
            _lost_together(results, results[index], exc)
            return False
        done.append((target, original))
    return True


def _lost_together(results: list[FileResult], failed: FileResult | None, why: OSError | None) -> None:
    """Every file of a fix across files keeps its findings; the one that failed says why."""
    paths = ", ".join(result.path for result in results)
    for result in results:
        if result is failed and why is not None:
            message = "changed on disk while mpfix ran" if isinstance(why, ChangedOnDisk) else why.strerror or str(why)
            result.fixes_lost(FileError(result.path, ErrorKind.WRITE, f"{message}; none of {paths} written"))
        else:
            result.fixes_lost()


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
