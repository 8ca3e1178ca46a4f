"""The summary workers, fed while the run still looks for files.

Discovery, reading and the byte prefilter run in this process. The files that pass are
handed to the summary workers as they pass, a few at a time, so that the workers parse
and screen them while this process goes on reading: the project model then asks for
summaries that are made already, or under way. A run whose files pass the prefilter in
fewer than ``SUMMARIES_IN_PROCESS_MAX`` starts no worker, as before.
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.context import BaseContext
from typing import TYPE_CHECKING

from . import workers
from .workers import SUMMARIES_IN_PROCESS_MAX, Item, Lifeline, Started, start_worker

if TYPE_CHECKING:
    from ..analysis.project.summary import ModuleSummary
    from ..screening import Told

Made = tuple["ModuleSummary | None", "Told | None"]

# What one message to a worker holds while files are found: some 20 ms of parsing. The
# files that wait at the end go out largest first, in runs that shrink (see ``_chunks``).
CHUNK_BYTES = 64 * 1024


class Feed:
    """:func:`mpfix.run.workers.summarize_and_screen` of items handed over as they come,
    by a pool of ``jobs`` workers started once more than ``SUMMARIES_IN_PROCESS_MAX``
    items, and at least ``jobs``, have come (here, for fewer, or when a worker dies; a
    pool started when the items are asked for has a worker for each at most)."""

    def __init__(self, jobs: int, context: BaseContext | None = None) -> None:
        self.jobs, self.context = jobs, context
        self.come: set[Item] = set()
        self.held: list[Item] = []  # come, not handed over
        self.held_bytes = 0
        self.futures: dict[Item, Future[Made]] = {}
        self.chunks: list[tuple[Future[list[Made]], list[Item]]] = []  # handed over, by message
        self.pool: ProcessPoolExecutor | None = None
        self.lifeline: Lifeline | None = None
        self.workers = 0  # in the pool
        self.broken = False  # a worker died: the pool is not handed over
        self.warmed = False
        self.warming: list[Future[None]] = []  # the imports that :meth:`warm` asked for

    def add(self, item: Item) -> None:
        """Hand ``item`` over soon: with the next items that make a message's worth."""
        if item in self.come or self.jobs <= 1:
            return
        self.come.add(item)
        self.held.append(item)
        self.held_bytes += len(item[0])
        if self.pool is None and len(self.held) < max(SUMMARIES_IN_PROCESS_MAX + 1, self.jobs):
            return  # too few yet for a pool, or for a worker each
        if self.held_bytes >= CHUNK_BYTES:
            self._hand_over([self.held], len(self.come))
            self.held, self.held_bytes = [], 0

    def results(self, items: list[Item]) -> list[Made]:
        """The summary and findings of each of ``items``, in their order; those not handed
        over yet are now, largest first, with those handed over that no worker has taken
        yet (in the order they came, a large file may have come last)."""
        for made, chunk in self.chunks:
            if made.cancel():
                for item in chunk:
                    del self.futures[item]
        self.chunks = []
        missing = list(dict.fromkeys(item for item in items if self._future(item) is None))
        if self.pool is None and (self.jobs <= 1 or len(missing) <= SUMMARIES_IN_PROCESS_MAX):
            return [workers.summarize_and_screen(item) for item in items]
        missing.sort(key=lambda item: -len(item[0]))
        self._hand_over(_chunks(missing, self.jobs), len(missing))
        self.held, self.held_bytes = [], 0  # what the model did not ask for is not made
        return [self._result(item) for item in items]

    def warm(self) -> None:
        """Have each worker import what analysing a file in full takes (libcst, the rules),
        while this process goes on building the model: the workers are to analyse the
        files that need it (see :meth:`hand_over`)."""
        if self.pool is not None and not self.broken and not self.warmed:
            self.warmed = True
            for _ in range(self.workers):
                try:
                    self.warming.append(self.pool.submit(workers.warm_up))
                except (BrokenProcessPool, RuntimeError):
                    self.broken = True
                    return

    def hand_over(self) -> Started | None:
        """The pool, its lifeline and how many workers it has, for the workers to analyse
        files in: no longer this feed's to close. None when there is no pool, or a worker
        of it died (waiting for the imports of :meth:`warm` to end, to know)."""
        if self.pool is None or self.lifeline is None or self.broken:
            return None
        if any(future.exception() is not None for future in self.warming):
            return None  # a worker died while it imported (killed, out of memory)
        handed = self.pool, self.lifeline, self.workers
        self.pool = self.lifeline = None
        return handed

    def close(self) -> None:
        # The lifeline first, as for the analysing workers (mpfix.run.workers.analysed).
        if self.lifeline is not None:
            self.lifeline.close()
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)
        self.pool = self.lifeline = None

    def _future(self, item: Item) -> Future[Made] | None:
        """The future of ``item``, or of the same bytes screened alike with the summary
        made too."""
        data, codes, wanted = item
        return self.futures.get(item) or (None if wanted else self.futures.get((data, codes, True)))

    def _hand_over(self, chunks: Iterable[list[Item]], count: int) -> None:
        """Hand ``chunks`` over, to a pool of at most one worker for each of ``count`` items."""
        if self.pool is None:
            self.lifeline = Lifeline()
            self.workers = min(self.jobs, count)
            self.pool = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=self.context,
                initializer=start_worker,
                initargs=(self.lifeline.reader,),
            )
        for chunk in chunks:
            try:
                made = self.pool.submit(_summarize_chunk, chunk)
            except (BrokenProcessPool, RuntimeError):  # a worker died: what is left is made here
                self.broken = True
                break
            self.chunks.append((made, chunk))
            for index, item in enumerate(chunk):
                self.futures[item] = _part(made, index)

    def _result(self, item: Item) -> Made:
        future = self._future(item)
        try:
            if future is None:
                raise BrokenProcessPool
            summary, told = future.result()
        except BrokenProcessPool:  # a worker died (killed, out of memory): made here
            self.broken = True
            return workers.summarize_and_screen(item)
        return (summary if item[2] else None), told


def _part(made: Future[list[Made]], index: int) -> Future[Made]:
    """A future of the ``index``-th of what ``made`` gives."""
    part: Future[Made] = Future()

    def done(whole: Future[list[Made]]) -> None:
        error = whole.exception() if not whole.cancelled() else BrokenProcessPool("cancelled")
        if error is not None:
            part.set_exception(error)
        else:
            part.set_result(whole.result()[index])

    made.add_done_callback(done)
    return part


def summaries(items: list[Item], jobs: int, context: BaseContext | None = None) -> list[Made]:
    """:func:`mpfix.run.workers.summarize_and_screen` of each of ``items``, in their
    order, made by a pool of ``jobs`` workers (here, for a few, or when a worker dies)."""
    feed = Feed(jobs, context)
    try:
        return feed.results(items)
    finally:
        feed.close()


def _chunks(items: list[Item], jobs: int) -> list[list[Item]]:
    """``items`` cut, in order, into runs each about 1/(4 * ``jobs``) of the size left
    to cut: large runs first, few messages, and runs that shrink towards the end, so that
    the workers run out of work at about the same time. An item larger than that is a
    run of its own."""
    left = sum(len(item[0]) for item in items)
    chunks: list[list[Item]] = []
    current: list[Item] = []
    held = 0
    for item in items:
        current.append(item)
        held += len(item[0])
        if held * 4 * jobs >= left:
            chunks.append(current)
            left -= held
            current, held = [], 0
    if current:
        chunks.append(current)
    return chunks


def _summarize_chunk(items: list[Item]) -> list[Made]:
    return [workers.summarize_and_screen(item) for item in items]
