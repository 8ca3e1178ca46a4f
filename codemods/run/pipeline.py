"""The whole run: find files, prefilter, analyse in parallel, cache, write.

The engine (and with it libcst) is imported only once a file passes the byte prefilter,
so a run over files that cannot match any selected rule never pays for it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import closing
from dataclasses import replace
from functools import partial
from multiprocessing import get_context

from codemods.model import ErrorKind, FileError, FileResult, RuleSpec
from codemods.registry import SCOPE, matching
from codemods.run import workers
from codemods.run.cache import from_entry, to_entry
from codemods.run.discover import discover, read
from codemods.run.request import Options, Progress, Request
from codemods.run.workers import Job
from codemods.run.write import os_error, signals_deferred, write_fixed
from codemods.suppressions import might_suppress

# Larger files that pass the prefilter are skipped with an error: libcst's tree and its
# metadata take about a kilobyte of memory per byte of source, and the rules analyse some
# 30 kB a second, so a 30 MB generated file would take gigabytes and a quarter of an hour.
MAX_FILE_SIZE = 2 * 1024 * 1024


def prefilter(
    data: bytes, rules: Sequence[RuleSpec], *, report_unused_suppressions: bool = False
) -> tuple[RuleSpec, ...] | None:
    """The byte prefilter, the only look at a file's bytes for the rules' needles: the
    rules of ``rules`` whose needles ``data`` holds, or None when the file is not worth
    analysing.

    A file whose bytes no rule's needles match is still analysed when it names an API of
    ``SCOPE`` (a broken file that uses multiprocessing is reported, not passed over) or,
    when unused suppressions are reported, holds a suppression comment to judge.
    """
    needled = tuple(matching(data, rules))
    if needled or (rules and any(word in data for word in SCOPE)):
        return needled
    if report_unused_suppressions and might_suppress(data):
        return needled
    return None


def _prefilter(data: bytes, options: Options) -> tuple[RuleSpec, ...] | None:
    """:func:`prefilter` with the run's options: every rule when the prefilter is off."""
    if not options.prefilter:
        return options.rules
    return prefilter(data, options.rules, report_unused_suppressions=options.report_unused_suppressions)


def _too_large(path: str, data: bytes) -> FileResult | None:
    """The error of a file too large to analyse (see MAX_FILE_SIZE); None for the others."""
    if len(data) <= MAX_FILE_SIZE:
        return None
    size, limit = len(data) / 2**20, MAX_FILE_SIZE / 2**20
    message = f"too large to analyse ({size:.1f} MB, over {limit:g} MB)"
    return FileResult(path, errors=[FileError(path, ErrorKind.TOO_LARGE, message)])


def check_bytes(path: str, data: bytes, options: Options) -> FileResult:
    """Analyse one file's bytes, shown as ``path`` (the entry point for stdin)."""
    needled = _prefilter(data, options)
    if needled is None:
        return FileResult(path)
    return _too_large(path, data) or workers.analyse_in_process(Job(path, data, options, needled))


def analyse(request: Request) -> Iterator[tuple[FileResult, bytes | None]]:
    """Each file's result and the bytes it was read from, sorted by path; None instead of the
    bytes when unread, or when nothing will be written (the prefilter or the cache says so).

    The files that pass the prefilter are handed to ``request.jobs`` worker processes all
    at once, and each result is yielded as soon as it and those before it are ready: a
    caller can act on the first files while the rest are still analysed. Files whose bytes
    and options the request's cache knows are not analysed again. Nothing is written.
    """
    options, cache, rules_for = request.options, request.cache, request.rules_for
    done: dict[str, tuple[FileResult, bytes | None]] = {}

    def unlistable(path: str, message: str) -> None:
        done[path] = (FileResult(path, errors=[FileError(path, ErrorKind.LIST, message)]), None)

    pending: list[Job] = []

    def settle(path: str) -> None:
        """Read the file and settle it here, or leave it to the workers."""
        try:
            data = read(path)
        except OSError as exc:
            done[path] = (FileResult(path, errors=[os_error(path, exc, ErrorKind.READ)]), None)
            return
        file_options = options if rules_for is None else replace(options, rules=rules_for(path))
        needled = _prefilter(data, file_options)
        if needled is None:
            # Nothing will be written: keeping the bytes of every file of a large tree
            # until the end would hold the whole tree in memory.
            done[path] = (FileResult(path), None)
        elif (too_large := _too_large(path, data)) is not None:
            done[path] = (too_large, None)
        elif cache is not None and (entry := cache.get(data, file_options.salt())) is not None:
            cached = from_entry(path, data, entry)
            done[path] = (cached, data if cached.fixed is not None else None)
        else:
            pending.append(Job(path, data, file_options, needled))

    progress = request.progress
    for path in discover(request.paths, (), unlistable, request.files):
        settle(path)
        if progress is not None:  # from the first file found: a large tree takes a while to read
            progress(len(done), len(done) + len(pending))
    pending.sort(key=lambda job: job.path)

    jobs_by_path = {job.path: job for job in pending}
    # Closed on the way out, so that the worker processes end with the run, even one cut short.
    context = None if request.start_method is None else get_context(request.start_method)
    processes = request.jobs or os.cpu_count() or 1
    if progress is not None:
        settled, total = len(done), len(done) + len(pending)
        progress(settled, total)
        progress = partial(_of_all, progress, settled, total)
    with closing(workers.analysed(pending, processes, progress, context)) as analysed:
        for path in sorted([*done, *jobs_by_path]):
            if path in done:
                yield done[path]
                continue
            # Both lists are in path order, so the next analysed result is this path's.
            result, job = next(analysed), jobs_by_path[path]
            if cache is not None and not result.errors:
                cache.put(job.data, job.options.salt(), to_entry(result))
            yield result, job.data
    if cache is not None:
        with signals_deferred():  # no temporary cache file left behind by an interrupt
            cache.save()


def _of_all(progress: Progress, settled: int, total: int, analysed: int, _pending: int) -> None:
    """The workers' progress as a count over every file found, not only those analysed."""
    progress(settled + analysed, total)


def run(request: Request) -> list[FileResult]:
    """Analyse every file under the request's paths; with ``request.write``, write the
    fixed ones.

    One result per file found (or path that could not be read), sorted by path; see
    ``analyse`` for the rest.
    """
    # The bytes are kept only where they will be written (to check that the file is unchanged).
    analysed = [(result, original if result.fixed is not None else None) for result, original in analyse(request)]
    if request.write:
        for result, original in analysed:
            if result.fixed is not None and original is not None:
                write_fixed(result, original)
    return [result for result, _ in analysed]
