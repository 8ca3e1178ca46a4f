"""The summary workers are handed the files as the run finds them, and give what this
process would make of each."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from mpfix.model import FileResult
from mpfix.registry import RULES, matching
from mpfix.run import workers
from mpfix.run.feed import CHUNK_BYTES, Feed
from mpfix.run.workers import SUMMARIES_IN_PROCESS_MAX, Item

SNIPPETS = Path(__file__).resolve().parent.parent / "docs" / "snippets"
PACKAGE = Path(workers.__file__).resolve().parent.parent


def _items(count: int) -> list[Item]:
    """Snippets and the package's own modules, which name multiprocessing's APIs."""
    pairs = zip(sorted(SNIPPETS.rglob("*.py")), sorted(PACKAGE.rglob("*.py")), strict=False)
    paths = [path for pair in pairs for path in pair]
    datas = [path.read_bytes() for path in paths[:count]]
    assert len(datas) == count
    return [(data, tuple(spec.code for spec in matching(data, RULES)), True) for data in datas]


@pytest.mark.parametrize("method", multiprocessing.get_all_start_methods())
def test_files_go_to_the_workers_as_they_come_and_give_what_this_process_makes(method: str) -> None:
    items = _items(40)
    assert sum(len(item[0]) for item in items) > 2 * CHUNK_BYTES
    here = [workers.summarize_and_screen(item) for item in items]
    feed = Feed(2, multiprocessing.get_context(method))
    try:
        for count, item in enumerate(items, 1):
            feed.add(item)
            if count <= SUMMARIES_IN_PROCESS_MAX:
                assert feed.pool is None  # a few files are made here, without a worker
        assert feed.futures  # handed over before any is asked for
        # Asked in another order, some twice, one without its summary.
        asked = [*reversed(items), items[0], (items[1][0], items[1][1], False)]
        made = feed.results(asked)
    finally:
        feed.close()
    assert made[: len(items)] == list(reversed(here))
    assert made[len(items) :] == [here[0], (None, here[1][1])]


def test_a_pool_has_no_more_workers_than_files() -> None:
    items = _items(SUMMARIES_IN_PROCESS_MAX + 3)
    feed = Feed(64)  # more workers than files: as many as files
    try:
        for item in items:
            feed.add(item)
        assert feed.pool is None  # fewer files than workers, while they come
        assert feed.results(items) == [workers.summarize_and_screen(item) for item in items]
        assert feed.pool is not None and feed.pool._max_workers == len(items)
    finally:
        feed.close()


def test_a_file_that_comes_twice_is_handed_over_once() -> None:
    items = _items(SUMMARIES_IN_PROCESS_MAX + 12)
    feed = Feed(2)
    try:
        for item in items + items:
            feed.add(item)
        handed = len(feed.futures) + len(feed.held)
        assert handed == len(items)
        assert feed.results(items) == [workers.summarize_and_screen(item) for item in items]
    finally:
        feed.close()


def test_a_few_files_are_made_in_this_process(monkeypatch: pytest.MonkeyPatch) -> None:
    items = _items(SUMMARIES_IN_PROCESS_MAX)
    made_in: list[int] = []
    summarize_and_screen = workers.summarize_and_screen
    recorded = lambda item: made_in.append(os.getpid()) or summarize_and_screen(item)  # noqa: E731
    monkeypatch.setattr(workers, "summarize_and_screen", recorded)
    feed = Feed(2)
    for item in items:
        feed.add(item)
    assert feed.results(items) == [summarize_and_screen(item) for item in items]
    assert feed.pool is None and set(made_in) == {os.getpid()}


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="the death is set up by fork")
def test_the_files_of_a_worker_that_dies_are_made_here(monkeypatch: pytest.MonkeyPatch) -> None:
    items = _items(30)
    here = [workers.summarize_and_screen(item) for item in items]
    parent = os.getpid()
    summarize_and_screen = workers.summarize_and_screen

    def dies_on_the_fifth(item: Item) -> object:
        if os.getpid() != parent and item is not None and item[0] == items[4][0]:
            os._exit(1)
        return summarize_and_screen(item)

    monkeypatch.setattr(workers, "summarize_and_screen", dies_on_the_fifth)
    feed = Feed(2, multiprocessing.get_context("fork"))
    try:
        for item in items:
            feed.add(item)
        assert feed.results(items) == here
    finally:
        feed.close()


def test_a_warm_run_hands_nothing_to_the_summary_workers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from mpfix.registry import RULES as ALL
    from mpfix.run.cache import ResultCache
    from mpfix.run.pipeline import run
    from mpfix.run.request import Options, Request

    for n in range(SUMMARIES_IN_PROCESS_MAX + 4):
        padding = "# a comment of some length\n" * (CHUNK_BYTES // 256)  # a message's worth in all
        script = f"import multiprocessing as mp\n{padding}\nwith mp.Pool(2) as p:\n    print(p.map(abs, [-{n}]))\n"
        (tmp_path / f"script_{n}.py").write_text(script)
    handed: list[int] = []
    hand_over = Feed._hand_over
    monkeypatch.setattr(Feed, "_hand_over", lambda self, *given: handed.append(1) or hand_over(self, *given))
    check = Options(rules=ALL, fix=False)
    cold = run(Request([str(tmp_path)], check, jobs=2, cache=ResultCache(tmp_path / ".cache")))
    assert handed and all(result.findings[0].code == "MP001" for result in cold)
    handed.clear()
    warm = run(Request([str(tmp_path)], check, jobs=2, cache=ResultCache(tmp_path / ".cache")))
    assert warm == cold and handed == []


@pytest.mark.parametrize("collector_on", [True, False])
def test_the_collector_is_off_while_a_file_is_worked_on_and_as_it_was_after(
    collector_on: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file's trees are not walked by collections while they are built; a process that
    embeds mpfix gets its collector back as it had it."""
    import gc

    from mpfix.analysis.project import summary

    seen: list[bool] = []
    parse = summary.parse
    monkeypatch.setattr(summary, "parse", lambda data: seen.append(gc.isenabled()) or parse(data))
    item = _items(1)[0]
    was = gc.isenabled()
    try:
        gc.enable() if collector_on else gc.disable()
        made = workers.summarize_and_screen(item)
        assert gc.isenabled() is collector_on
    finally:
        gc.enable() if was else gc.disable()
    assert seen == [False]
    assert made[0] is not None  # the summary was made all the same


def test_a_screened_file_is_freed_without_the_collector() -> None:
    """What the pre-checks work out of a file refers to nothing that refers back to it, so
    the file's trees are freed as soon as its work is done: a collection after it would
    otherwise walk every node of them (a quarter of the time of parsing them)."""
    import gc

    items = [item for item in _items(len(list(SNIPPETS.rglob("*.py")))) if item[1]]
    assert len(items) > 50
    was = gc.isenabled()
    gc.disable()
    try:
        for item in items:  # every module a pre-check imports, imported
            workers.summarize_and_screen(item)
        gc.collect()
        for item in items:
            made = workers.summarize_and_screen(item)
            del made
            assert gc.collect() == 0, item[0].decode()
    finally:
        gc.enable() if was else gc.disable()


def _scripts(folder: Path, count: int) -> None:
    """Scripts that each need libcst: a pool left open, whose fix is a ``with`` block."""
    for n in range(count):
        padding = "# a comment of some length\n" * (CHUNK_BYTES // 256)
        body = f"def main():\n    p = mp.Pool(2)\n    print(p.map(abs, [-{n}]))\n"
        script = f"import multiprocessing as mp\n{padding}\n{body}"
        (folder / f"script_{n}.py").write_text(script)


def _recording(monkeypatch: pytest.MonkeyPatch, name: str, log: Path) -> Callable[[], list[int]]:
    """Each process that runs ``workers.name``, as the run's pools call it, written to
    ``log``; what it returns reads them, one per call."""
    original = getattr(workers, name)

    def recorded(*args: object) -> object:
        with log.open("a") as out:
            out.write(f"{name} {os.getpid()}\n")
        return original(*args)

    recorded.__qualname__ = recorded.__name__ = name  # pickled by name, for the workers to find
    recorded.__module__ = workers.__name__
    monkeypatch.setattr(workers, name, recorded)
    return lambda: [int(line.split()[1]) for line in log.read_text().splitlines() if line.split()[0] == name]


def _run_recording(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *names: str
) -> tuple[list[FileResult], list[Callable[[], list[int]]]]:
    """A fix run over scripts that each need libcst, in two forked workers, recording
    which processes run each of ``names`` of mpfix.run.workers; the results are right."""
    from mpfix.run.pipeline import run
    from mpfix.run.request import Options, Request

    _scripts(tmp_path, SUMMARIES_IN_PROCESS_MAX + 4)
    log = tmp_path.parent / f"{tmp_path.name}.log"
    recorded = [_recording(monkeypatch, name, log) for name in names]
    results = run(Request([str(tmp_path)], Options(rules=RULES, fix=True), jobs=2, start_method="fork"))
    assert [finding.code for result in results for finding in result.findings] == ["MP011"] * len(results)
    return results, recorded


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="the recording is inherited by fork")
def test_the_summary_workers_go_on_to_analyse_the_files_that_need_libcst(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    names = ("summarize_and_screen", "warm_up", "analyse_and_trim")
    results, (summarised, warmed, analysed) = _run_recording(tmp_path, monkeypatch, *names)
    assert all(result.fixed is not None and "with mp.Pool(2) as p:" in result.fixed for result in results)
    assert len(analysed()) == len(results) and os.getpid() not in analysed()
    assert warmed()  # libcst imported while the model was built
    pool = {*summarised(), *warmed(), *analysed()} - {os.getpid()}
    assert len(pool) <= 2  # one pool of two workers did it all
    assert all(not pid_alive(pid) for pid in pool)  # shut down with the run


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` still runs (a zombie that its parent has not reaped counts)."""
    import time

    for _ in range(50):  # the pool's shutdown waits for its workers, but the OS may lag
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        time.sleep(0.1)
    return True


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="the death is set up by fork")
def test_after_a_summary_worker_dies_the_files_are_analysed_in_a_pool_of_their_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    parent = os.getpid()
    summarize_and_screen = workers.summarize_and_screen
    victim = b"print(p.map(abs, [-3]))"

    def dies_on_one(item: Item) -> object:
        if os.getpid() != parent and victim in item[0]:
            os._exit(1)
        return summarize_and_screen(item)

    monkeypatch.setattr(workers, "summarize_and_screen", dies_on_one)
    _, (summarised, analysed) = _run_recording(tmp_path, monkeypatch, "summarize_and_screen", "analyse_and_trim")
    assert analysed() and not set(analysed()) & set(summarised())  # a pool of its own


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="the death is set up by fork")
def test_after_a_worker_dies_importing_libcst_the_files_are_analysed_in_a_pool_of_their_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    parent = os.getpid()
    monkeypatch.setattr(workers, "warm_up", lambda: os.getpid() != parent and os._exit(1))
    names = ("summarize_and_screen", "analyse_and_trim", "warm_up")
    results, (summarised, analysed, warmed) = _run_recording(tmp_path, monkeypatch, *names)
    assert warmed() and not set(warmed()) & set(analysed())  # the workers that died began the import
    assert len(analysed()) == len(results) and not set(analysed()) & set(summarised())  # a pool of its own


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="the death is set up by fork")
def test_a_pool_whose_worker_died_importing_libcst_is_not_handed_over(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    items = _items(SUMMARIES_IN_PROCESS_MAX + 4)
    parent = os.getpid()
    monkeypatch.setattr(workers, "warm_up", lambda: os.getpid() != parent and os._exit(1))
    _recording(monkeypatch, "warm_up", tmp_path / "log")
    feed = Feed(2, multiprocessing.get_context("fork"))
    try:
        for item in items:
            feed.add(item)
        assert feed.results(items) == [workers.summarize_and_screen(item) for item in items]
        feed.warm()
        assert feed.hand_over() is None
        assert feed.pool is not None  # still the feed's to close
    finally:
        feed.close()
    healthy, handed = Feed(2, multiprocessing.get_context("fork")), None
    monkeypatch.undo()
    try:
        for item in items:
            healthy.add(item)
        healthy.results(items)
        healthy.warm()
        handed = healthy.hand_over()
        assert handed is not None and handed[2] == 2 and healthy.pool is None
    finally:
        healthy.close()
        if handed is not None:
            workers.shut(*handed[:2])


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="the recording is inherited by fork")
@pytest.mark.parametrize("size", [1, 2])
def test_a_handed_pool_is_used_only_with_as_many_workers_as_a_new_one_would_have(
    size: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from concurrent.futures import ProcessPoolExecutor

    from mpfix.run.request import Job, Options

    folder = tmp_path / "scripts"
    folder.mkdir()
    _scripts(folder, 3)
    jobs = []
    for path in sorted(folder.glob("*.py")):
        data = path.read_bytes()
        jobs.append(Job(str(path), data, Options(rules=RULES, fix=True), tuple(matching(data, RULES))))
    context = multiprocessing.get_context("fork")
    lifeline = workers.Lifeline()
    pool = ProcessPoolExecutor(size, context, initializer=workers.start_worker, initargs=(lifeline.reader,))
    started = [pool.submit(os.getpid) for _ in range(8)]
    handed = {future.result() for future in started}  # (some of) its workers
    analysed = _recording(monkeypatch, "analyse_and_trim", tmp_path / "log")
    results = list(workers.analysed(jobs, 2, None, context, (pool, lifeline, size)))
    assert [finding.code for result in results for finding in result.findings] == ["MP011"] * 3
    if size == 1:  # one worker, where a new pool would have two: the files went to another pool
        assert analysed() and not set(analysed()) & handed
    with pytest.raises(RuntimeError):  # shut down in either case
        pool.submit(os.getpid)
