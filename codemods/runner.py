"""The I/O layer around the engine: find files, prefilter, analyse in parallel, write.

The engine (and with it libcst) is imported only once a file passes the byte prefilter,
so a run over files that cannot match any selected rule never pays for it.
"""

from __future__ import annotations

import io
import os
import stat
import tempfile
import tokenize
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field

from pathspec import GitIgnoreSpec

from codemods.rule import Finding, RuleSpec
from codemods.rules import could_match

PYTHON_SUFFIXES = (".py", ".pyw")
# As ruff's defaults: tool caches, virtualenvs, build output and VCS folders.
DEFAULT_EXCLUDES = (
    ".bzr", ".direnv", ".eggs", ".git", ".hg", ".ipynb_checkpoints", ".mypy_cache", ".nox",
    ".pytest_cache", ".ruff_cache", ".svn", ".tox", ".venv", "__pycache__", "__pypackages__",
    "_build", "buck-out", "build", "dist", "node_modules", "site-packages", "venv", "*.egg-info",
)
# Starting worker processes (each imports libcst) costs more than analysing this many files.
IN_PROCESS_MAX = 2

Progress = Callable[[int, int], None]  # (files analysed, files to analyse)
OnError = Callable[[str, str], None]  # (path, message)
_Ignores = list[tuple[str, GitIgnoreSpec]]  # (folder, its .gitignore), outermost first


@dataclass(frozen=True)
class Options:
    """What to do with each file; sent to the worker processes, so it must pickle."""

    rules: tuple[RuleSpec, ...]
    fix: bool = False  # compute fixes (for `fix` and `diff`), not only findings
    unsafe_fixes: bool = False


@dataclass
class FileResult:
    """What one file gave. After ``run(write=True)``, ``fixed`` is set only for written files."""

    path: str
    findings: list[Finding] = field(default_factory=list)  # in the file as read
    applied: list[Finding] = field(default_factory=list)  # fixes that produced ``fixed``
    remaining: list[Finding] = field(default_factory=list)  # findings left after the fixes
    fixed: str | None = None  # the text with fixes, when they changed it
    source: str | None = None  # the text as read, kept beside ``fixed`` for diffs
    encoding: str = "utf-8"  # as detected; "utf-8-sig" keeps a byte order mark
    errors: list[str] = field(default_factory=list)  # one complete line each

    def encoded(self) -> bytes:
        """The fixed text in the file's own encoding."""
        assert self.fixed is not None
        return self.fixed.encode(self.encoding)

    def fixes_lost(self, error: str) -> None:
        """The fixes cannot reach the file, which keeps every finding it had."""
        self.fixed, self.source, self.applied, self.remaining = None, None, [], self.findings
        self.errors.append(error)


# -- discovery ------------------------------------------------------------------------


def discover(
    paths: Iterable[str], excludes: Iterable[str] = (), on_error: OnError | None = None
) -> Iterator[str]:
    """The Python files under ``paths``, each once, in a deterministic order.

    Directories are walked without following symlinks, skipping what ``.gitignore``
    files, the default excludes and ``excludes`` (gitignore patterns, relative to the
    directory named) exclude. A path named explicitly is always yielded, whatever its name;
    reading reports one that does not exist. ``on_error`` hears of folders that cannot
    be listed.
    """
    exclude = GitIgnoreSpec.from_lines([*DEFAULT_EXCLUDES, *excludes])
    seen: set[str] = set()
    for path in paths:
        if os.path.isdir(path):
            found: Iterable[str] = _walk(path, path, exclude, _enclosing_gitignores(path), on_error)
        else:
            found = [path]
        for file in map(os.path.normpath, found):
            if file not in seen:
                seen.add(file)
                yield file


def _walk(
    folder: str, root: str, exclude: GitIgnoreSpec, ignores: _Ignores, on_error: OnError | None
) -> Iterator[str]:
    try:
        with os.scandir(folder) as scan:
            entries = sorted(scan, key=lambda entry: entry.name)
    except OSError as exc:
        if on_error is not None:
            on_error(os.path.normpath(folder), exc.strerror or str(exc))
        return
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
    path: str, is_dir: bool, root: str, exclude: GitIgnoreSpec, ignores: _Ignores
) -> bool:
    # A trailing slash lets folder-only patterns such as `build/` match.
    suffix = "/" if is_dir else ""
    if exclude.match_file(os.path.relpath(path, root) + suffix):
        return True
    # The nearest .gitignore that has a say decides, as in git.
    for base, spec in reversed(ignores):
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


def check_bytes(path: str, data: bytes, options: Options) -> FileResult:
    """Analyse one file's bytes, shown as ``path`` (the entry point for stdin)."""
    if not could_match(data, options.rules):
        return FileResult(path)
    return _analyse_in_process(path, data, options)


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
            text, rules=options.rules, fix=options.fix, unsafe_fixes=options.unsafe_fixes
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
        source=text if result.changed else None,  # only diffs need it: do not ship it back otherwise
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


def _load_engine() -> None:
    """Worker initializer: import libcst and the engine once per worker, not per file."""
    import codemods.engine  # noqa: F401


def _analyse_all(
    pending: Sequence[tuple[str, bytes]], options: Options, jobs: int, progress: Progress | None
) -> list[FileResult]:
    if jobs <= 1 or len(pending) <= IN_PROCESS_MAX:
        results = []
        for done, (path, data) in enumerate(pending, 1):
            results.append(_analyse_in_process(path, data, options))
            if progress is not None:
                progress(done, len(pending))
        return results

    results = []
    crashed: list[tuple[str, bytes]] = []
    with ProcessPoolExecutor(max_workers=min(jobs, len(pending)), initializer=_load_engine) as pool:
        # Submit every file first, then collect: the workers never wait for the parent.
        futures = {}
        for path, data in pending:
            try:
                futures[pool.submit(_analyse, path, data, options)] = (path, data)
            except BrokenProcessPool:  # a worker died before this file was handed over
                crashed.append((path, data))
        for done, future in enumerate(as_completed(futures), 1):
            path, data = futures[future]
            try:
                results.append(future.result())
            except BrokenProcessPool:
                crashed.append((path, data))
            except Exception as exc:  # raised by the rule in the worker
                results.append(_internal_error(path, exc))
            if progress is not None:
                progress(done, len(pending))
    return results + _retry_one_at_a_time(crashed, options)


def _retry_one_at_a_time(crashed: Sequence[tuple[str, bytes]], options: Options) -> list[FileResult]:
    """Re-run the files of a broken pool alone, so a dead worker costs only its own file."""
    results = []
    pool: ProcessPoolExecutor | None = None
    try:
        for path, data in crashed:
            pool = pool or ProcessPoolExecutor(max_workers=1, initializer=_load_engine)
            try:
                results.append(pool.submit(_analyse, path, data, options).result())
            except BrokenProcessPool:
                results.append(FileResult(path, errors=[f"{path}: error: the worker process analysing it died"]))
                pool.shutdown()
                pool = None
            except Exception as exc:
                results.append(_internal_error(path, exc))
    finally:
        if pool is not None:
            pool.shutdown()
    return results


# -- reading and writing --------------------------------------------------------------


def _read(path: str) -> bytes:
    # Opening a fifo blocks until someone writes to it, and a device may never end.
    if not stat.S_ISREG(os.stat(path).st_mode):
        raise OSError("not a regular file")
    with open(path, "rb") as file:
        return file.read()


def _os_error(path: str, exc: OSError) -> str:
    return f"{path}: error: {exc.strerror or exc}"


def _write(result: FileResult, original: bytes) -> str | None:
    """Write ``result.fixed`` over ``result.path`` unless the file changed since it was read.

    Returns the error line, or None once written.
    """
    target = os.path.realpath(result.path)  # replace a symlink's target, not the link
    try:
        if _read(target) != original:
            return f"{result.path}: error: changed on disk while mpfix ran; not written"
        write_atomically(target, result.encoded())
    except OSError as exc:
        return _os_error(result.path, exc)
    return None


def write_atomically(path: str, data: bytes) -> None:
    """Replace the file at ``path`` with ``data``: readers see the old or the new file,
    never a part; its mode (and, when permitted, its owner) is kept."""
    before = os.stat(path)
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
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


# -- the whole run --------------------------------------------------------------------


def run(
    paths: Sequence[str],
    options: Options,
    *,
    jobs: int | None = None,
    write: bool = False,
    excludes: Iterable[str] = (),
    progress: Progress | None = None,
) -> list[FileResult]:
    """Analyse every file under ``paths``; with ``write``, write the fixed ones.

    One result per file found (or path that could not be read), sorted by path.
    ``jobs`` worker processes (default: one per CPU) analyse the files that pass the
    prefilter; ``progress`` hears after each of them.
    """
    results: dict[str, FileResult] = {}

    def unlistable(path: str, message: str) -> None:
        results[path] = FileResult(path, errors=[f"{path}: error: {message}"])

    pending: list[tuple[str, bytes]] = []
    for path in discover(paths, excludes, unlistable):
        try:
            data = _read(path)
        except OSError as exc:
            results[path] = FileResult(path, errors=[_os_error(path, exc)])
            continue
        if could_match(data, options.rules):
            pending.append((path, data))
        else:
            results[path] = FileResult(path)

    for result in _analyse_all(pending, options, jobs or os.cpu_count() or 1, progress):
        results[result.path] = result

    if write:
        for path, original in pending:
            result = results[path]
            if result.fixed is None:
                continue
            error = _write(result, original)
            if error is not None:
                result.fixes_lost(error)
    return sorted(results.values(), key=lambda result: result.path)
