"""The whole run: find files, prefilter, analyse in parallel, cache, write.

The engine (and with it libcst) is imported only once a file passes the byte prefilter,
so a run over files that cannot match any selected rule never pays for it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Generator, Iterator, Sequence
from contextlib import closing
from dataclasses import replace
from functools import partial
from typing import TYPE_CHECKING

from ..collector import paused
from ..model import ErrorKind, FileError, FileResult, Finding, RuleSpec
from . import project
from .across import fix_across
from .cache import cacheable, from_entry, to_entry
from .discover import decode, discover, read, regular_status
from .index import ByteFacts, stamp
from .request import Job, Options, Progress, Request
from .write import os_error, signals_deferred, write_all

if TYPE_CHECKING:
    from ..analysis.project.model import ProjectView
    from ..analysis.project.summary import ModuleSummary
    from ..screening import Told
    from .feed import Feed
    from .workers import Started

# The name of stdin when no ``--stdin-filename`` is given: no folder, so no project.
STDIN = "-"
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
    return ByteFacts.of(data, rules).prefilter(rules, report_unused_suppressions)


def _prefilter(facts: ByteFacts, options: Options) -> tuple[RuleSpec, ...] | None:
    """:func:`prefilter` with the run's options: every rule when the prefilter is off."""
    if not options.prefilter:
        return options.rules
    return facts.prefilter(options.rules, options.report_unused_suppressions)


def _too_large(path: str, data: bytes) -> FileResult | None:
    """The error of a file too large to analyse (see MAX_FILE_SIZE); None for the others."""
    if len(data) <= MAX_FILE_SIZE:
        return None
    size, limit = len(data) / 2**20, MAX_FILE_SIZE / 2**20
    message = f"too large to analyse ({size:.1f} MB, over {limit:g} MB)"
    return FileResult(path, errors=[FileError(path, ErrorKind.TOO_LARGE, message)])


def _needled(needled: tuple[RuleSpec, ...], options: Options, view: ProjectView | None) -> tuple[RuleSpec, ...]:
    """The needled rules, and those that what other files tell may give a finding here."""
    if view is None:
        return needled
    return (*needled, *(spec for spec in options.rules if spec.code in view.rules and spec not in needled))


def _salt(options: Options, view: ProjectView | None) -> str:
    """The cache key beside a file's bytes: its options, and what other files tell it."""
    return options.salt() if view is None else f"{options.salt()}:{view.digest()}"


def check_bytes(path: str, data: bytes, options: Options) -> FileResult:
    """Analyse one file's bytes, shown as ``path`` (the entry point for stdin); the
    modules beside ``path``, when there are any, are its project."""
    view = project.build({path: data}, project.neighbours([path]), None).get(path) if path != STDIN else None
    needled = _prefilter(ByteFacts.of(data, options.rules), options)
    if needled is None and view is None:
        return FileResult(path)
    from . import workers

    job = Job(path, data, options, _needled(needled or (), options, view), view)
    return _too_large(path, data) or workers.analyse_in_process(job)


def analyse(request: Request) -> Iterator[tuple[FileResult, bytes | None]]:
    """Each file's result and the bytes it was read from, sorted by path; None instead of the
    bytes when unread, or when nothing will be written (the prefilter or the cache says so).

    The project model is built first, from the files that pass the prefilter (and the
    modules they lead to, and the files beside a file named alone). The files that pass
    the prefilter, or that other files tell something, are handed to ``request.jobs``
    worker processes all at once, and each result is yielded as soon as it and those
    before it are ready: a caller can act on the first files while the rest are still
    analysed. Files whose bytes, options and view of the project the request's cache
    knows are not analysed again. Nothing is written.
    """
    if request.cache is None:
        yield from _analyse(request)
    else:
        with request.cache.remembering():
            yield from _analyse(request)


def _analyse(request: Request) -> Iterator[tuple[FileResult, bytes | None]]:
    """:func:`analyse`, inside the cache's ``remembering`` when there is a cache."""
    cache = request.cache
    done: dict[str, tuple[FileResult, bytes | None]] = {}

    def unlistable(path: str, message: str) -> None:
        done[path] = (FileResult(path, errors=[FileError(path, ErrorKind.LIST, message)]), None)

    options_for = partial(_options_for, request)

    passed: dict[str, tuple[bytes, tuple[RuleSpec, ...]]] = {}
    index = cache.files if cache is not None else None
    screening = _Screening(request, options_for)

    def settle(path: str) -> None:
        """Settle the file here, from what the index knows of it or from its bytes, or
        keep it for the project and the workers."""
        file_options = options_for(path)
        try:
            status = stamp(regular_status(path))  # before reading: an edit made meanwhile shows next run
            known = index.facts(path, status) if index is not None else None
            if known is not None and _prefilter(known, file_options) is None:
                done[path] = (FileResult(path), None)
                return
            data = read(path)
        except OSError as exc:
            done[path] = (FileResult(path, errors=[os_error(path, exc, ErrorKind.READ)]), None)
            return
        facts = known or ByteFacts.of(data)
        if index is not None and known is None:  # (a record known keeps what the model found)
            index.put(path, status, facts)
        needled = _prefilter(facts, file_options)
        if needled is None:
            # Nothing will be written: keeping the bytes of every file of a large tree
            # until the end would hold the whole tree in memory.
            done[path] = (FileResult(path), None)
        elif (too_large := _too_large(path, data)) is not None:
            done[path] = (too_large, None)
        else:
            passed[path] = (data, needled)
            screening.passed(path, data, needled, facts.names_scope)

    progress = request.progress
    # The summary workers, started while files are found, go on to analyse the files that
    # need libcst: they import it while the model is built (see _Screening.summaries).
    # What is made until then lives to the end of the run (a result and an index record
    # per file, the summaries): collections would walk it in vain.
    try:
        with paused():
            for path in discover(request.paths, (), unlistable, request.files):
                settle(path)
                if progress is not None:  # from the first file found: a large tree takes a while to read
                    progress(len(done), len(done) + len(passed))
            named_alone = [path for path in request.paths if os.path.isfile(path)]
            skipped = [path for path, (result, _) in done.items() if not result.errors]
            views = project.build(
                {path: data for path, (data, _) in passed.items()},
                project.neighbours(named_alone),
                cache,
                skipped,
                screening.summaries,
            )
        started = screening.hand_over()  # the summary workers, to analyse the files in
    finally:
        screening.close()
    try:
        yield from _analysed_all(request, passed, done, views, skipped, screening, started)
    finally:
        if started is not None:  # shut down here when no file came to be analysed in them
            from .workers import shut

            shut(*started[:2])


def _options_for(request: Request, path: str) -> Options:
    """The options of one file: the request's, with the rules its configuration selects."""
    options, rules_for = request.options, request.rules_for
    return options if rules_for is None else replace(options, rules=rules_for(path))


def _analysed_all(
    request: Request,
    passed: dict[str, tuple[bytes, tuple[RuleSpec, ...]]],
    done: dict[str, tuple[FileResult, bytes | None]],
    views: dict[str, ProjectView],
    skipped: list[str],
    screening: _Screening,
    started: Started | None,
) -> Iterator[tuple[FileResult, bytes | None]]:
    """``analyse``'s results once the model is built: those of the cache and of the
    screening, and those of the files the workers analyse (in ``started``, when given)."""
    cache, progress, options_for = request.cache, request.progress, partial(_options_for, request)
    passed_over = set(skipped)
    for path in [path for path in views if path in done and path in passed_over]:
        # Passed over by the prefilter, but another file tells its rules something.
        try:
            passed[path] = (read(path), ())
        except OSError:
            continue
        del done[path]

    pending: list[Job] = []
    for path, (data, needled) in passed.items():
        file_options, view = options_for(path), views.get(path)
        if cache is not None and (entry := cache.get(data, _salt(file_options, view))) is not None:
            cached = from_entry(path, data, entry)
            done[path] = (cached, data if cached.fixed is not None else None)
        elif (found := screening.found.get(data)) is not None and (view is None or not view.rules):
            done[path] = (_settled(path, data, found), None)  # what its job would give
            if cache is not None:
                cache.put(data, _salt(file_options, view), to_entry(done[path][0]))
        else:
            needs = _needled(needled, file_options, view)
            pending.append(Job(path, data, file_options, needs, view, screening.told.get(data)))
    passed.clear()  # the bytes of the files the cache answered are not kept to the end
    pending.sort(key=lambda job: job.path)

    jobs_by_path = {job.path: job for job in pending}
    if progress is not None:
        settled, total = len(done), len(done) + len(pending)
        progress(settled, total)
        progress = partial(_of_all, progress, settled, total)
    # Closed on the way out, so that the worker processes end with the run, even one cut short.
    with closing(_analysed(pending, request, progress, started)) as analysed:
        for path in sorted([*done, *jobs_by_path]):
            if path in done:
                yield done[path]
                continue
            # Both lists are in path order, so the next analysed result is this path's.
            result, job = next(analysed), jobs_by_path[path]
            if cache is not None and cacheable(result):
                cache.put(job.data, _salt(job.options, job.project), to_entry(result))
            yield result, job.data
    if cache is not None:
        with signals_deferred():  # no temporary cache file left behind by an interrupt
            cache.save()


def _analysed(
    pending: list[Job], request: Request, progress: Progress | None, started: Started | None
) -> Generator[FileResult, None, None]:
    """The results of ``pending``, in its order, from the request's worker processes (in
    ``started``, when given). The machinery of processes is imported only for a file
    that passed the prefilter."""
    if not pending:
        return
    from multiprocessing import get_context

    from . import workers

    context = None if request.start_method is None else get_context(request.start_method)
    yield from workers.analysed(pending, request.jobs or os.cpu_count() or 1, progress, context, started)


class _Screening:
    """The run's summary workers screen the files that passed the prefilter for their
    rules as they read them: each file the model summarises, on the same ``ast``, and
    every other file whose result the cache does not hold. A file whose findings need no
    libcst (none, or only those of rules that decide on ``ast``) then needs no job of
    its own. Each file is handed to the workers as it passes (see mpfix.run.feed), with
    its summary when the model will ask for it."""

    def __init__(self, request: Request, options_for: Callable[[str], Options]) -> None:
        self.request = request
        self.options_for = options_for
        # What to screen each file's bytes for: the codes of the rules whose needles they
        # hold. A file whose rules the byte prefilter does not choose, or whose unused
        # suppressions are reported, is left to its job, as are bytes that two files with
        # other rules share.
        self.codes: dict[bytes, tuple[str, ...] | None] = {}
        self.waiting: list[bytes] = []  # not screened yet
        self.found: dict[bytes, list[Finding]] = {}  # by bytes, the findings that need no libcst
        self.told: dict[bytes, Told] = {}  # by bytes, what the workers' screening found
        self.feed: Feed | None = None

    def passed(self, path: str, data: bytes, needled: tuple[RuleSpec, ...], names_scope: bool | None = None) -> None:
        """Know a file that passed the prefilter, and hand it to the workers. ``names_scope``:
        whether its bytes name an API of the model's (mpfix.run.index's ``ByteFacts``)."""
        file_options, cache = self.options_for(path), self.request.cache
        screened = file_options.prefilter and not file_options.report_unused_suppressions
        codes = tuple(spec.code for spec in needled) if screened else None
        unknown = data not in self.codes and codes is not None
        waits = unknown and (cache is None or cache.get(data, _salt(file_options, None)) is None)
        if waits:
            self.waiting.append(data)
        self.codes[data] = codes = codes if self.codes.get(data, codes) == codes else None
        if waits:  # with its summary when the model will ask for it (a warm run asks for none)
            self._feed().add((data, codes, project.summarised_first(path, data, cache, names_scope)))

    def _feed(self) -> Feed:
        if self.feed is None:
            from multiprocessing import get_context

            from .feed import Feed

            request = self.request
            context = None if request.start_method is None else get_context(request.start_method)
            self.feed = Feed(request.jobs or os.cpu_count() or 1, context)
        return self.feed

    def summaries(self, datas: list[bytes]) -> list[ModuleSummary | None]:
        """The project model's summaries of ``datas``, each file screened too; the first
        time, the files that wait as well."""
        wanted = set(datas)
        items = [(data, self.codes.get(data), True) for data in datas]
        waiting = [data for data in self.waiting if data not in wanted and self.codes.get(data) is not None]
        items += [(data, self.codes.get(data), False) for data in waiting]
        self.waiting = []
        if not items:  # a warm run: no worker, nor the machinery of processes, is needed
            return []
        feed = self._feed()
        made = feed.results(items)
        unsettled = 0
        for (data, _, _), (_, told) in zip(items, made, strict=True):
            if told is not None:
                self.told[data] = told
                if told.settled is not None:
                    self.found[data] = told.settled
                else:
                    unsettled += 1
        from .workers import IN_PROCESS_MAX

        if unsettled > IN_PROCESS_MAX:  # so many files, at least, will be analysed in the workers
            feed.warm()
        return [summary for summary, _ in made[: len(datas)]]

    def hand_over(self) -> Started | None:
        """The summary workers, for the files that need libcst (see Feed.hand_over)."""
        return self.feed.hand_over() if self.feed is not None else None

    def close(self) -> None:
        if self.feed is not None:
            self.feed.close()


def _settled(path: str, data: bytes, findings: list[Finding]) -> FileResult:
    """The result of a file whose findings need no libcst, as its job would give it."""
    if not findings:
        return FileResult(path)
    text, encoding = decode(data)
    return FileResult(path, findings=findings, remaining=findings, source=text, encoding=encoding)


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
    if request.options.fix:
        analysed = fix_across(analysed, request)
    if request.write:
        write_all([(result, original) for result, original in analysed if original is not None])
    return [result for result, _ in analysed]
