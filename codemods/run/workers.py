"""Analysing files: in this process for a few, else in a pool of worker processes.

The engine, and with it libcst, is imported here only inside a function: once per worker
(its initializer), or on the first file analysed in this process.
"""

from __future__ import annotations

import ctypes
import os
import sys
import threading
from collections.abc import Callable, Generator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import Pipe
from multiprocessing.connection import Connection
from multiprocessing.context import BaseContext
from typing import TYPE_CHECKING, ClassVar

from ..collector import paused
from ..model import ErrorKind, FileError, FileResult
from ..registry import BY_CODE
from ..screening import Told, screen
from .discover import decode
from .request import Job, Progress

if TYPE_CHECKING:
    from ..analysis.project.summary import ModuleSummary

# Starting worker processes (each imports libcst for the first file it analyses in full)
# costs more than analysing this many files. The files left for this round are those that
# need libcst, already screened: two of them are analysed side by side.
IN_PROCESS_MAX = 1
# ... and more than summarising this many modules for the project model.
SUMMARIES_IN_PROCESS_MAX = 8


def analyse_file(job: Job) -> FileResult:
    """The work of one file, in a worker or in-process; the prefilter has passed."""
    path, options = job.path, job.options
    try:
        text, encoding = decode(job.data)
    except (SyntaxError, UnicodeDecodeError) as exc:
        return FileResult(path, errors=[FileError(path, ErrorKind.DECODE, f"cannot decode: {exc}")])
    told = job.told.resume(options.rules, job.project) if job.told is not None and options.prefilter else None
    try:
        screened = told or (screen(text, options.rules, job.needled, job.project) if options.prefilter else None)
    except RecursionError:  # the engine says why the file cannot be analysed
        screened = None
    if screened is not None and not screened.passed and not options.report_unused_suppressions:
        return FileResult(path, encoding=encoding)  # what the engine gives it, without importing libcst
    # Loaded here, not at module level, and only for a file that a rule must analyse in
    # full: a process that has no such file never imports libcst.
    from .. import engine  # mpfix: ignore[import-in-task]

    try:
        result = engine.analyze(
            text,
            rules=options.rules,
            fix=options.fix,
            unsafe_fixes=options.unsafe_fixes,
            target_version=options.target_version,
            report_unused_suppressions=options.report_unused_suppressions,
            precheck=options.prefilter,
            needled=job.needled,
            project=job.project,
            screened=screened,
        )
    except engine.SourceError as exc:
        return FileResult(path, errors=[FileError(path, ErrorKind.PARSE, str(exc), exc.line, exc.column)])
    except engine.FixError as exc:
        return FileResult(path, errors=[FileError(path, ErrorKind.FIX, f"fix failed, nothing changed: {exc}")])
    file_result = FileResult(
        path,
        # What a fix run will do, when it is computed: see engine.Result.settled.
        findings=result.settled(options.unsafe_fixes) if options.fix else result.findings,
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
            message = f"the fixed text cannot be written as {encoding}: {exc.reason}"
            file_result.fixes_lost(FileError(path, ErrorKind.ENCODE, message))
    return file_result


def analyse_in_process(job: Job) -> FileResult:
    try:
        return analyse_and_trim(job)
    except Exception as exc:  # a bug in a rule must cost one file, not the run
        return _internal_error(job.path, exc)


def _internal_error(path: str, exc: BaseException) -> FileResult:
    message = f"internal error: {type(exc).__name__}: {exc}"
    return FileResult(path, errors=[FileError(path, ErrorKind.INTERNAL, message)])


class Lifeline:
    """A pipe whose write end only mpfix's own process holds, so that its workers learn of
    its death from the pipe's end-of-file, whoever their OS parent is.

    Under ``fork`` a worker's parent is mpfix, under ``forkserver`` (the default on Linux
    since Python 3.14) the fork server, under ``spawn`` on some systems a launcher: a worker
    cannot tell from ``os.getppid()`` that mpfix is gone. Each worker gets the read end
    (pickled across ``spawn`` and ``forkserver``, inherited across ``fork``); a forked child
    closes its inherited copy of the write end at once (``os.register_at_fork``), so when
    mpfix ends, however it ends, the last write end closes with it.
    """

    held: ClassVar[list[Connection]] = []  # the write ends this process holds, closed in a forked child

    def __init__(self) -> None:
        self.reader, self.writer = Pipe(duplex=False)
        Lifeline.held.append(self.writer)

    def close(self) -> None:
        for end in (self.reader, self.writer):
            end.close()
        if self.writer in Lifeline.held:
            Lifeline.held.remove(self.writer)

    @staticmethod
    def close_inherited() -> None:
        for writer in Lifeline.held:
            writer.close()
        Lifeline.held.clear()


if hasattr(os, "register_at_fork"):  # not on Windows, which cannot fork
    os.register_at_fork(after_in_child=Lifeline.close_inherited)


def start_worker(lifeline: Connection) -> None:
    """Worker initializer: end this worker when mpfix ends. The engine, and with it
    libcst, is imported with the first file that a rule must analyse in full."""
    # A worker holds both ends of the queue it takes work from, so when mpfix dies without
    # shutting the pool down (SIGTERM, SIGKILL) the worker would wait for work forever.
    threading.Thread(target=_end_with, args=(lifeline,), daemon=True).start()


def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim``; None where there is none (another C library or system)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return None


_TRIM = _malloc_trim()


def analyse_and_trim(job: Job) -> FileResult:
    """:func:`analyse_file`, then the memory that the file's trees took handed back to the
    system. glibc keeps freed memory in its heaps, and the holes that a large file's trees
    leave are filled only in part by the next files': without this a worker's memory
    grows with the number of files it has analysed (half its size after the standard
    library's candidates is such free memory)."""
    try:
        with paused():
            return analyse_file(job)
    finally:
        if _TRIM is not None:
            _TRIM(0)


def _end_with(lifeline: Connection) -> None:
    """End this process once every write end of ``lifeline`` is closed: mpfix is gone."""
    try:
        while True:
            lifeline.recv_bytes()  # nothing is ever sent: this returns only at the end
    except (EOFError, OSError):
        os._exit(1)


def analysed(
    pending: Sequence[Job],
    jobs: int,
    progress: Progress | None,
    context: BaseContext | None = None,
    started: Started | None = None,
) -> Generator[FileResult, None, None]:
    """The result of each job, in the order given, each as soon as it is ready.

    ``context`` picks the start method of the workers (by default the interpreter's own).
    ``started``: a pool of workers started with :func:`start_worker` (the summary
    workers, see mpfix.run.feed), its lifeline and how many workers it has, to analyse
    the files in (when it has as many workers as a new pool would), and to shut down at
    the end, used or not.
    """
    if started is not None and (jobs <= 1 or started[2] < min(jobs, len(pending))):
        shut(*started[:2])  # a pool too small for the files left (the model made more of them)
        started = None
    if jobs <= 1 or len(pending) <= IN_PROCESS_MAX:
        if started is not None:
            shut(*started[:2])
        for done, job in enumerate(pending, 1):
            result = analyse_in_process(job)
            if progress is not None:
                progress(done, len(pending))
            yield result
        return

    if started is not None:
        pool, lifeline, _ = started
    else:
        lifeline = Lifeline()
        pool = ProcessPoolExecutor(
            max_workers=min(jobs, len(pending)),
            mp_context=context,
            initializer=start_worker,
            initargs=(lifeline.reader,),
        )
    retry = _OneAtATime(lifeline, context)
    try:
        # Submit every file first, then collect: the workers never wait for the parent.
        # The largest go first, so that no large file starts last and keeps one worker
        # busy while the others idle; results are still yielded in the order given.
        futures: list[Future[FileResult] | None] = [None] * len(pending)
        for index in sorted(range(len(pending)), key=lambda i: -len(pending[i].data)):
            try:
                futures[index] = pool.submit(analyse_and_trim, pending[index])
            except BrokenProcessPool:  # a worker died before this file was handed over
                pass
        for done, (job, future) in enumerate(zip(pending, futures, strict=False), 1):
            try:
                result = retry(job) if future is None else future.result()
            except BrokenProcessPool:
                result = retry(job)
            except Exception as exc:  # raised by the rule in the worker
                result = _internal_error(job.path, exc)
            if progress is not None:
                progress(done, len(pending))
            yield result
    finally:
        # A consumer that stops early (an interactive quit) leaves nothing running behind.
        # The lifeline goes first, and ends every worker at once: a shutdown that waited
        # for them to take their last message could wait forever for one blocked on the
        # queue's lock, when a worker that died (killed from outside) held it.
        shut(pool, lifeline)
        retry.close()


def shut(pool: ProcessPoolExecutor, lifeline: Lifeline) -> None:
    """End the workers of ``pool`` at once: its lifeline first (see ``analysed``)."""
    lifeline.close()
    pool.shutdown(cancel_futures=True)


def warm_up() -> None:
    """Import the engine and the rules, as the first file analysed in full would: in a
    worker that is to analyse files, while it has nothing else to do."""
    from .. import engine  # noqa: F401  # mpfix: ignore[import-in-task]

    for spec in BY_CODE.values():
        spec.load()


# A pool of workers started with ``start_worker``, its lifeline, and how many workers it has.
Started = tuple[ProcessPoolExecutor, "Lifeline", int]

# A module's bytes, the codes of the rules whose needles they hold to screen it for (see
# ``summarize_and_screen``; None: not to screen it), and whether the model wants its summary.
Item = tuple[bytes, tuple[str, ...] | None, bool]


def summarize_and_screen(item: Item) -> tuple[ModuleSummary | None, Told | None]:
    """The project model's summary of a module's bytes (when it is wanted) and what
    screening it for the rules of the item on the same ``ast`` (with nothing that other
    modules tell) found (mpfix.screening's ``Told``): its findings when no rule needs
    libcst for them, what :func:`analyse_file` would report, so the file need not be read
    again; else what its job's screening follows from. None: not screened."""
    with paused():
        return _summarize_and_screen(item)


def _summarize_and_screen(item: Item) -> tuple[ModuleSummary | None, Told | None]:
    # Loaded here, as the engine is for a file analysed in full: a worker imports it once.
    from ..analysis.ast_walk import ModuleIndex  # mpfix: ignore[import-in-task]
    from ..analysis.project.summary import parse, summary_of  # mpfix: ignore[import-in-task]

    data, screening, wanted = item
    tree = parse(data)
    if tree is None:
        return None, None
    # One walk of the tree for both: the summary's and the pre-checks' index.
    index = ModuleIndex(tree) if wanted and screening is not None else None
    summary = summary_of(tree, index) if wanted else None
    if screening is None or any(code not in BY_CODE for code in screening):
        return summary, None
    try:
        text, _ = decode(data)
        specs = [BY_CODE[code] for code in screening]
        return summary, Told.of(text, screen(text, specs, specs, tree=tree, index=index))
    except Exception:  # undecodable, too deep, or a bug in a pre-check: the job reports it for this file alone
        return summary, None


class _OneAtATime:
    """Re-runs the files of a broken pool alone, so a dead worker costs only its own file."""

    def __init__(self, lifeline: Lifeline, context: BaseContext | None) -> None:
        self.lifeline = lifeline
        self.context = context
        self.pool: ProcessPoolExecutor | None = None

    def __call__(self, job: Job) -> FileResult:
        self.pool = self.pool or ProcessPoolExecutor(
            max_workers=1, mp_context=self.context, initializer=start_worker, initargs=(self.lifeline.reader,)
        )
        try:
            return self.pool.submit(analyse_and_trim, job).result()
        except BrokenProcessPool:
            self.close()
            died = FileError(job.path, ErrorKind.CRASH, "the worker process analysing it died")
            return FileResult(job.path, errors=[died])
        except Exception as exc:
            return _internal_error(job.path, exc)

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown()
            self.pool = None
