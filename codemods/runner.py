"""The I/O layer around the engine: find files, prefilter, analyse in parallel, write.

The engine (and with it libcst) is imported only once a file passes the byte prefilter,
so a run over files that cannot match any selected rule never pays for it.
"""

from __future__ import annotations

import errno
import io
import json
import os
import signal
import stat
import tempfile
import threading
import tokenize
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import closing, contextmanager
from dataclasses import dataclass, field, replace
from multiprocessing import Pipe, get_context
from multiprocessing.connection import Connection
from multiprocessing.context import BaseContext

from pathspec import GitIgnoreSpec

from codemods.cache import Entry, ResultCache
from codemods.config import DEFAULT_EXCLUDES, Pattern
from codemods.rule import Finding, RuleSpec
from codemods.rules import could_match
from codemods.suppressions import might_suppress

PYTHON_SUFFIXES = (".py", ".pyw")
# Starting worker processes (each imports libcst) costs more than analysing this many files.
IN_PROCESS_MAX = 2
# Larger files that pass the prefilter are skipped with an error: libcst's tree and its
# metadata take about a kilobyte of memory per byte of source, and the rules analyse some
# 30 kB a second, so a 30 MB generated file would take gigabytes and a quarter of an hour.
MAX_FILE_SIZE = 2 * 1024 * 1024

Progress = Callable[[int, int], None]  # (files analysed, files to analyse)
OnError = Callable[[str, str], None]  # (path, message)
RulesFor = Callable[[str], tuple[RuleSpec, ...]]  # the rules for one path (per-file ignores)
_Ignores = list[tuple[str, GitIgnoreSpec]]  # (folder, its .gitignore), outermost first
_Excludes = list[tuple[str | None, GitIgnoreSpec]]  # (folder the patterns are relative to, patterns)


@dataclass(frozen=True)
class Options:
    """What to do with each file; sent to the worker processes, so it must pickle."""

    rules: tuple[RuleSpec, ...]
    fix: bool = False  # compute fixes (for `fix` and `diff`), not only findings
    unsafe_fixes: bool = False
    report_unused_suppressions: bool = False
    prefilter: bool = True  # skip files that no rule can match (off: to measure what it saves)

    def salt(self) -> str:
        """What, besides a file's bytes, its result depends on: the key of the cache."""
        return json.dumps(
            [[spec.code for spec in self.rules], self.fix, self.unsafe_fixes, self.report_unused_suppressions]
        )


@dataclass(frozen=True)
class FileFilter:
    """Which files a walk through folders yields."""

    # Gitignore-style patterns, each with the folder it is relative to (None: the folder named).
    exclude: tuple[Pattern, ...] = tuple((None, pattern) for pattern in DEFAULT_EXCLUDES)
    respect_gitignore: bool = True
    force_exclude: bool = False  # apply ``exclude`` to paths named explicitly too


@dataclass
class FileResult:
    """What one file gave. After ``run(write=True)``, ``fixed`` is set only for written files."""

    path: str
    findings: list[Finding] = field(default_factory=list)  # in the file as read
    applied: list[Finding] = field(default_factory=list)  # fixes that produced ``fixed``
    remaining: list[Finding] = field(default_factory=list)  # findings left after the fixes
    fixed: str | None = None  # the text with fixes, when they changed it
    source: str | None = None  # the text as read, when there is something to show (a diff, findings)
    encoding: str = "utf-8"  # as detected; "utf-8-sig" keeps a byte order mark
    errors: list[str] = field(default_factory=list)  # one complete line each

    def encoded(self) -> bytes:
        """The fixed text in the file's own encoding."""
        assert self.fixed is not None
        return self.fixed.encode(self.encoding)

    def fixes_lost(self, error: str | None = None) -> None:
        """The fixes do not reach the file (an error, or the user said no): it keeps every finding."""
        self.fixed, self.applied, self.remaining = None, [], self.findings
        if error is not None:
            self.errors.append(error)


# -- discovery ------------------------------------------------------------------------


def discover(
    paths: Iterable[str],
    excludes: Iterable[str] = (),
    on_error: OnError | None = None,
    files: FileFilter = FileFilter(),
) -> Iterator[str]:
    """The Python files under ``paths``, each once, in a deterministic order.

    Directories are walked without following symlinks, skipping what ``.gitignore``
    files (unless ``files.respect_gitignore`` is off), ``files.exclude`` and ``excludes``
    (more gitignore patterns, relative to the directory named) exclude. A path named
    explicitly is yielded whatever its name, unless ``files.force_exclude`` applies the
    excludes to it too; reading reports one that does not exist. ``on_error`` hears of
    folders that cannot be listed.
    """
    exclude = _compile([*files.exclude, *((None, pattern) for pattern in excludes)])
    seen: set[str] = set()
    for path in paths:
        is_dir = os.path.isdir(path)
        if files.force_exclude and _excluded(path, is_dir, os.curdir, exclude, None):
            continue
        if is_dir:
            ignores = _enclosing_gitignores(path) if files.respect_gitignore else None
            found: Iterable[str] = _walk(path, path, exclude, ignores, on_error)
        else:
            found = [path]
        for file in map(os.path.normpath, found):
            if file not in seen:
                seen.add(file)
                yield file


def _compile(patterns: Iterable[Pattern]) -> _Excludes:
    """One spec per folder that patterns are relative to, in the order first named."""
    by_base: dict[str | None, list[str]] = {}
    for base, pattern in patterns:
        by_base.setdefault(base, []).append(pattern)
    return [(base, GitIgnoreSpec.from_lines(lines)) for base, lines in by_base.items()]


def _walk(
    folder: str, root: str, exclude: _Excludes, ignores: _Ignores | None, on_error: OnError | None
) -> Iterator[str]:
    """``ignores`` is None when .gitignore files are not respected."""
    try:
        with os.scandir(folder) as scan:
            entries = sorted(scan, key=lambda entry: entry.name)
    except OSError as exc:
        if on_error is not None:
            on_error(os.path.normpath(folder), exc.strerror or str(exc))
        return
    if ignores is not None:
        ignores = ignores + _gitignore_of(folder)
    for entry in entries:
        # Without following links, a symlink is neither a folder nor a file: it is skipped.
        is_dir = entry.is_dir(follow_symlinks=False)
        if _excluded(entry.path, is_dir, root, exclude, ignores):
            continue
        if is_dir:
            yield from _walk(entry.path, root, exclude, ignores, on_error)
        elif entry.name.endswith(PYTHON_SUFFIXES) and entry.is_file(follow_symlinks=False):
            yield entry.path


def _excluded(
    path: str, is_dir: bool, root: str, exclude: _Excludes, ignores: _Ignores | None
) -> bool:
    # A trailing slash lets folder-only patterns such as `build/` match.
    suffix = "/" if is_dir else ""
    if any(spec.match_file(os.path.relpath(path, base or root) + suffix) for base, spec in exclude):
        return True
    # The nearest .gitignore that has a say decides, as in git.
    for base, spec in reversed(ignores or []):
        verdict = spec.check_file(os.path.relpath(path, base) + suffix).include
        if verdict is not None:
            return verdict
    return False


def _gitignore_of(folder: str) -> _Ignores:
    try:
        with open(os.path.join(folder, ".gitignore"), encoding="utf-8", errors="replace") as file:
            return [(folder, GitIgnoreSpec.from_lines(file.read().splitlines()))]
    except OSError:
        return []


def _enclosing_gitignores(folder: str) -> _Ignores:
    """The .gitignore files above ``folder`` up to the top of its repository; none outside one."""
    ignores: _Ignores = []
    current = os.path.abspath(folder)
    while not os.path.isdir(os.path.join(current, ".git")):
        parent = os.path.dirname(current)
        if parent == current:
            return []
        current = parent
        ignores = _gitignore_of(current) + ignores
    return ignores


# -- analysis -------------------------------------------------------------------------


def decode(data: bytes) -> tuple[str, str]:
    """The text and encoding of Python source bytes, as the interpreter reads them.

    The encoding comes from a PEP 263 cookie or a UTF-8 byte order mark ("utf-8-sig",
    which encoding adds back). Line endings are kept as they are.
    """
    encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    return data.decode(encoding), encoding


def _worth_analysing(data: bytes, options: Options) -> bool:
    """The byte prefilter: can a rule match, or (when asked) is there a suppression to judge?"""
    if not options.prefilter:
        return True
    return could_match(data, options.rules) or (options.report_unused_suppressions and might_suppress(data))


def _too_large(path: str, data: bytes) -> FileResult | None:
    """The error of a file too large to analyse (see MAX_FILE_SIZE); None for the others."""
    if len(data) <= MAX_FILE_SIZE:
        return None
    size, limit = len(data) / 2**20, MAX_FILE_SIZE / 2**20
    return FileResult(path, errors=[f"{path}: error: too large to analyse ({size:.1f} MB, over {limit:g} MB)"])


def check_bytes(path: str, data: bytes, options: Options) -> FileResult:
    """Analyse one file's bytes, shown as ``path`` (the entry point for stdin)."""
    if not _worth_analysing(data, options):
        return FileResult(path)
    return _too_large(path, data) or _analyse_in_process(path, data, options)


def _analyse_in_process(path: str, data: bytes, options: Options) -> FileResult:
    try:
        return _analyse(path, data, options)
    except Exception as exc:  # a bug in a rule must cost one file, not the run
        return _internal_error(path, exc)


def _analyse(path: str, data: bytes, options: Options) -> FileResult:
    """The work of one file, in a worker or in-process; the prefilter has passed."""
    from codemods import engine

    try:
        text, encoding = decode(data)
    except (SyntaxError, UnicodeDecodeError) as exc:
        return FileResult(path, errors=[f"{path}: error: cannot decode: {exc}"])
    try:
        result = engine.analyze(
            text,
            rules=options.rules,
            fix=options.fix,
            unsafe_fixes=options.unsafe_fixes,
            report_unused_suppressions=options.report_unused_suppressions,
            precheck=options.prefilter,
        )
    except engine.SourceError as exc:
        where = f"{path}:{exc.line}:{exc.column}" if exc.line else path
        return FileResult(path, errors=[f"{where}: error: {exc}"])
    except engine.FixError as exc:
        return FileResult(path, errors=[f"{path}: error: fix failed, nothing changed: {exc}"])
    file_result = FileResult(
        path,
        findings=result.findings,
        applied=result.applied,
        remaining=result.remaining,
        fixed=result.fixed if result.changed else None,
        # Only diffs and context lines need it: do not ship it back otherwise.
        source=text if result.changed or result.findings else None,
        encoding=encoding,
    )
    if file_result.fixed is not None:
        try:
            file_result.encoded()
        except UnicodeEncodeError as exc:
            file_result.fixes_lost(f"{path}: error: the fixed text cannot be written as {encoding}: {exc.reason}")
    return file_result


def _internal_error(path: str, exc: BaseException) -> FileResult:
    return FileResult(path, errors=[f"{path}: error: internal error: {type(exc).__name__}: {exc}"])


class _Lifeline:
    """A pipe whose write end only mpfix's own process holds, so that its workers learn of
    its death from the pipe's end-of-file, whoever their OS parent is.

    Under ``fork`` a worker's parent is mpfix, under ``forkserver`` (the default on Linux
    since Python 3.14) the fork server, under ``spawn`` on some systems a launcher: a worker
    cannot tell from ``os.getppid()`` that mpfix is gone. Each worker gets the read end
    (pickled across ``spawn`` and ``forkserver``, inherited across ``fork``); a forked child
    closes its inherited copy of the write end at once (``os.register_at_fork``), so when
    mpfix ends, however it ends, the last write end closes with it.
    """

    held: list[Connection] = []  # the write ends this process holds, closed in a forked child

    def __init__(self) -> None:
        self.reader, self.writer = Pipe(duplex=False)
        _Lifeline.held.append(self.writer)

    def close(self) -> None:
        for end in (self.reader, self.writer):
            end.close()
        if self.writer in _Lifeline.held:
            _Lifeline.held.remove(self.writer)

    @staticmethod
    def close_inherited() -> None:
        for writer in _Lifeline.held:
            writer.close()
        _Lifeline.held.clear()


if hasattr(os, "register_at_fork"):  # not on Windows, which cannot fork
    os.register_at_fork(after_in_child=_Lifeline.close_inherited)


def _load_engine(lifeline: Connection) -> None:
    """Worker initializer: end this worker when mpfix ends, and import libcst and the
    engine once per worker, not per file."""
    # A worker holds both ends of the queue it takes work from, so when mpfix dies without
    # shutting the pool down (SIGTERM, SIGKILL) the worker would wait for work forever.
    threading.Thread(target=_end_with, args=(lifeline,), daemon=True).start()
    import codemods.engine  # noqa: F401


def _end_with(lifeline: Connection) -> None:
    """End this process once every write end of ``lifeline`` is closed: mpfix is gone."""
    try:
        while True:
            lifeline.recv_bytes()  # nothing is ever sent: this returns only at the end
    except (EOFError, OSError):
        os._exit(1)


_Pending = tuple[str, bytes, Options]  # a file that passed the prefilter, and the options for it


def _analysed(
    pending: Sequence[_Pending], jobs: int, progress: Progress | None, context: BaseContext | None = None
) -> Iterator[FileResult]:
    """The result of each pending file, in the order given, each as soon as it is ready.

    ``context`` picks the start method of the workers (by default the interpreter's own).
    """
    if jobs <= 1 or len(pending) <= IN_PROCESS_MAX:
        for done, (path, data, options) in enumerate(pending, 1):
            result = _analyse_in_process(path, data, options)
            if progress is not None:
                progress(done, len(pending))
            yield result
        return

    lifeline = _Lifeline()
    pool = ProcessPoolExecutor(
        max_workers=min(jobs, len(pending)),
        mp_context=context,
        initializer=_load_engine,
        initargs=(lifeline.reader,),
    )
    retry = _OneAtATime(lifeline, context)
    try:
        # Submit every file first, then collect: the workers never wait for the parent.
        # The largest go first, so that no large file starts last and keeps one worker
        # busy while the others idle; results are still yielded in the order given.
        futures: list[Future[FileResult] | None] = [None] * len(pending)
        for index in sorted(range(len(pending)), key=lambda i: -len(pending[i][1])):
            path, data, options = pending[index]
            try:
                futures[index] = pool.submit(_analyse, path, data, options)
            except BrokenProcessPool:  # a worker died before this file was handed over
                pass
        for done, ((path, data, options), future) in enumerate(zip(pending, futures), 1):
            try:
                result = retry(path, data, options) if future is None else future.result()
            except BrokenProcessPool:
                result = retry(path, data, options)
            except Exception as exc:  # raised by the rule in the worker
                result = _internal_error(path, exc)
            if progress is not None:
                progress(done, len(pending))
            yield result
    finally:
        # A consumer that stops early (an interactive quit) leaves nothing running behind.
        pool.shutdown(cancel_futures=True)
        retry.close()
        lifeline.close()


class _OneAtATime:
    """Re-runs the files of a broken pool alone, so a dead worker costs only its own file."""

    def __init__(self, lifeline: _Lifeline, context: BaseContext | None) -> None:
        self.lifeline = lifeline
        self.context = context
        self.pool: ProcessPoolExecutor | None = None

    def __call__(self, path: str, data: bytes, options: Options) -> FileResult:
        self.pool = self.pool or ProcessPoolExecutor(
            max_workers=1, mp_context=self.context, initializer=_load_engine, initargs=(self.lifeline.reader,)
        )
        try:
            return self.pool.submit(_analyse, path, data, options).result()
        except BrokenProcessPool:
            self.close()
            return FileResult(path, errors=[f"{path}: error: the worker process analysing it died"])
        except Exception as exc:
            return _internal_error(path, exc)

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown()
            self.pool = None


# -- reading and writing --------------------------------------------------------------


def _read(path: str) -> bytes:
    # Opening a fifo blocks until someone writes to it, and a device may never end.
    if not stat.S_ISREG(os.stat(path).st_mode):
        raise OSError("not a regular file")
    with open(path, "rb") as file:
        return file.read()


def _os_error(path: str, exc: OSError) -> str:
    return f"{path}: error: {exc.strerror or exc}"


class ChangedOnDisk(OSError):
    """The file is no longer the bytes that were analysed: someone else wrote it."""


def write_fixed(result: FileResult, original: bytes) -> bool:
    """Write ``result.fixed`` over ``result.path`` unless the file changed since it was read
    as ``original``. On failure the result keeps its findings and gains the error."""
    target = os.path.realpath(result.path)  # replace a symlink's target, not the link
    try:
        write_atomically(target, result.encoded(), expected=original)
    except ChangedOnDisk:
        result.fixes_lost(f"{result.path}: error: changed on disk while mpfix ran; not written")
        return False
    except OSError as exc:
        result.fixes_lost(_os_error(result.path, exc))
        return False
    return True


@contextmanager
def _signals_deferred() -> Iterator[None]:
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
    with _signals_deferred():
        _write_atomically(path, data, expected)


def _write_atomically(path: str, data: bytes, expected: bytes | None) -> None:
    before = os.stat(path)
    # Renaming over a file needs only its folder's permission, and root passes every check:
    # a file without write permission is left as `open(path, "w")` would leave it.
    if not before.st_mode & 0o222 or not os.access(path, os.W_OK):
        raise PermissionError(errno.EACCES, "read-only file, not written")
    folder, name = os.path.split(path)
    handle, temporary = tempfile.mkstemp(prefix=f".{name}.", suffix=".mpfix", dir=folder or ".")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, stat.S_IMODE(before.st_mode))
        if hasattr(os, "chown"):
            try:
                os.chown(temporary, before.st_uid, before.st_gid)
            except PermissionError:
                pass  # only root may give a file away; it then belongs to whoever ran mpfix
        # Compared as late as possible, right before the rename: an edit made while the
        # temporary was written (fsync can take a while) is kept, not overwritten.
        if expected is not None and _read(path) != expected:
            raise ChangedOnDisk(f"{path}: changed on disk")
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


# -- the whole run --------------------------------------------------------------------


def analyse(
    paths: Sequence[str],
    options: Options,
    *,
    jobs: int | None = None,
    excludes: Iterable[str] = (),
    files: FileFilter = FileFilter(),
    rules_for: RulesFor | None = None,
    progress: Progress | None = None,
    cache: ResultCache | None = None,
    start_method: str | None = None,
) -> Iterator[tuple[FileResult, bytes | None]]:
    """Each file's result and the bytes it was read from, sorted by path; None instead of the
    bytes when unread, or when nothing will be written (the prefilter or the cache says so).

    The files that pass the prefilter are handed to ``jobs`` worker processes (default:
    one per CPU) all at once, and each result is yielded as soon as it and those before it
    are ready: a caller can act on the first files while the rest are still analysed.
    ``rules_for`` narrows the rules for one path (per-file ignores); ``progress`` hears
    after each analysed file. Files whose bytes and options ``cache`` knows are not analysed
    again. ``start_method`` starts the workers by another method than the interpreter's
    default ("fork", "forkserver" or "spawn").
    """
    done: dict[str, tuple[FileResult, bytes | None]] = {}

    def unlistable(path: str, message: str) -> None:
        done[path] = (FileResult(path, errors=[f"{path}: error: {message}"]), None)

    pending: list[_Pending] = []
    for path in discover(paths, excludes, unlistable, files):
        try:
            data = _read(path)
        except OSError as exc:
            done[path] = (FileResult(path, errors=[_os_error(path, exc)]), None)
            continue
        file_options = options if rules_for is None else replace(options, rules=rules_for(path))
        if not _worth_analysing(data, file_options):
            # Nothing will be written: keeping the bytes of every file of a large tree
            # until the end would hold the whole tree in memory.
            done[path] = (FileResult(path), None)
        elif (too_large := _too_large(path, data)) is not None:
            done[path] = (too_large, None)
        elif cache is not None and (entry := cache.get(data, file_options.salt())) is not None:
            cached = _from_cache(path, data, entry)
            done[path] = (cached, data if cached.fixed is not None else None)
        else:
            pending.append((path, data, file_options))
    pending.sort(key=lambda item: item[0])

    read = {path: (data, file_options) for path, data, file_options in pending}
    # Closed on the way out, so that the worker processes end with the run, even one cut short.
    context = None if start_method is None else get_context(start_method)
    with closing(_analysed(pending, jobs or os.cpu_count() or 1, progress, context)) as analysed:
        for path in sorted([*done, *read]):
            if path in done:
                yield done[path]
                continue
            # Both lists are in path order, so the next analysed result is this path's.
            result, (data, file_options) = next(analysed), read[path]
            if cache is not None and not result.errors:
                cache.put(data, file_options.salt(), _to_cache(result))
            yield result, data
    if cache is not None:
        with _signals_deferred():  # no temporary cache file left behind by an interrupt
            cache.save()


def _to_cache(result: FileResult) -> Entry:
    return {
        "findings": [finding.to_dict() for finding in result.findings],
        "applied": [finding.to_dict() for finding in result.applied],
        "remaining": [finding.to_dict() for finding in result.remaining],
        "fixed": result.fixed,
        "encoding": result.encoding,
    }


def _from_cache(path: str, data: bytes, entry: Entry) -> FileResult:
    result = FileResult(
        path,
        findings=[Finding.from_dict(item) for item in entry["findings"]],
        applied=[Finding.from_dict(item) for item in entry["applied"]],
        remaining=[Finding.from_dict(item) for item in entry["remaining"]],
        fixed=entry["fixed"],
        encoding=entry["encoding"],
    )
    if result.findings or result.fixed is not None:
        result.source = data.decode(result.encoding)  # for diffs and source lines
    return result


def run(
    paths: Sequence[str],
    options: Options,
    *,
    jobs: int | None = None,
    write: bool = False,
    excludes: Iterable[str] = (),
    files: FileFilter = FileFilter(),
    rules_for: RulesFor | None = None,
    progress: Progress | None = None,
    cache: ResultCache | None = None,
    start_method: str | None = None,
) -> list[FileResult]:
    """Analyse every file under ``paths``; with ``write``, write the fixed ones.

    One result per file found (or path that could not be read), sorted by path; see
    ``analyse`` for the rest.
    """
    stream = analyse(
        paths,
        options,
        jobs=jobs,
        excludes=excludes,
        files=files,
        rules_for=rules_for,
        progress=progress,
        cache=cache,
        start_method=start_method,
    )
    # The bytes are kept only where they will be written (to check that the file is unchanged).
    analysed = [(result, original if result.fixed is not None else None) for result, original in stream]
    if write:
        for result, original in analysed:
            if result.fixed is not None and original is not None:
                write_fixed(result, original)
    return [result for result, _ in analysed]
