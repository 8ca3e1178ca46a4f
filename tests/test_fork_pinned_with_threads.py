"""fork-pinned-with-threads (MP019): a fork pin beside threads is reported; each case has a
twin that is left alone (threads without the pin, the pin without threads). The page's
program hangs with its pin and runs under every start method without it."""

from __future__ import annotations

from pathlib import Path

import pytest
from programs import START_METHODS, run_program
from rule_cases import RuleCases

MP019 = RuleCases("MP019")
SNIPPETS = Path(__file__).resolve().parent.parent / "docs" / "snippets" / "fork-pinned-with-threads"
ADVICE = "remove the pin, so that the default start method (forkserver on Linux since Python 3.14) applies, and fix"

THREADS = """\
import threading


def heartbeat():
    pass


def start_heartbeat():
    threading.Thread(target=heartbeat, daemon=True).start()
"""

# (id, pinned, its twin): the same program without the pin, or without the threads.
REPORTED = [
    pytest.param(
        THREADS + 'import multiprocessing\nmultiprocessing.set_start_method("fork")\n',
        THREADS + 'import multiprocessing\nmultiprocessing.set_start_method("forkserver")\n',
        id="set-start-method",
    ),
    pytest.param(
        THREADS + 'from multiprocessing import set_start_method\nset_start_method(method="fork", force=True)\n',
        'from multiprocessing import set_start_method\nset_start_method(method="fork", force=True)\n',
        id="set-start-method-by-keyword",
    ),
    pytest.param(
        """\
import multiprocessing as mp
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor


def run(jobs, downloads):
    with ThreadPoolExecutor(4) as fetchers:
        files = list(fetchers.map(open, downloads))
    with ProcessPoolExecutor(mp_context=mp.get_context("fork")) as executor:
        return list(executor.map(len, jobs)), files
""",
        """\
import multiprocessing as mp
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor


def run(jobs, downloads):
    with ThreadPoolExecutor(4) as fetchers:
        files = list(fetchers.map(open, downloads))
    with ProcessPoolExecutor(mp_context=mp.get_context("spawn")) as executor:
        return list(executor.map(len, jobs)), files
""",
        id="executor-context-beside-thread-pool",
    ),
    pytest.param(
        """\
import multiprocessing
from multiprocessing.dummy import Pool as ThreadPool

ctx = multiprocessing.get_context("fork")


def run(urls):
    with ThreadPool(8) as threads:
        pages = threads.map(str, urls)
    with ctx.Pool(2) as pool:
        return pool.map(len, pages)
""",
        """\
import multiprocessing

ctx = multiprocessing.get_context("fork")


def run(urls):
    pages = [str(url) for url in urls]
    with ctx.Pool(2) as pool:
        return pool.map(len, pages)
""",
        id="context-beside-dummy-pool",
    ),
    pytest.param(
        """\
import multiprocessing
import threading


class Watcher(threading.Thread):
    def run(self):
        pass


multiprocessing.set_start_method("fork")
""",
        """\
import multiprocessing
import threading


class Watcher:
    thread = threading.Lock


multiprocessing.set_start_method("fork")
""",
        id="thread-subclass",
    ),
]


# A fork context only compared: the program's start method is looked at, not pinned.
COMPARED = """\
import multiprocessing
from concurrent.futures import ThreadPoolExecutor


def test_the_default_context():
    assert make_context() is multiprocessing.get_context("fork")
    assert multiprocessing.get_context("fork") != make_context()


def test_threads():
    with ThreadPoolExecutor(2) as pool:
        pool.map(print, [1])
"""


def test_a_fork_context_only_compared_is_left_alone() -> None:
    MP019.assert_leaves_alone(COMPARED)
    started = "    multiprocessing.get_context('fork').Process(target=print).start()\n"
    used = COMPARED.replace("    assert multiprocessing", started + "    assert multiprocessing")
    assert [finding.line for finding in MP019.check(used).findings] == [7]


@pytest.mark.parametrize(("pinned", "twin"), REPORTED)
def test_a_fork_pin_beside_threads_is_reported(pinned: str, twin: str) -> None:
    MP019.assert_reports_without_fix(pinned, ADVICE)
    MP019.assert_leaves_alone(twin)


def test_the_message_names_the_pin_and_the_first_thread() -> None:
    [finding] = MP019.check(REPORTED[0].values[0]).findings
    assert finding.message.startswith(
        '`multiprocessing.set_start_method("fork")` pins the start method to fork in a program that also '
        "starts threads (`threading.Thread` on line 9)"
    )
    assert (finding.line, finding.column) == (11, 1)


def test_threads_started_only_in_a_child_are_left_alone() -> None:
    """A process target that starts threads does so in the child: the parent forks with none."""
    source = """\
import multiprocessing as mp
import threading


def worker(n):
    threading.Thread(target=print, args=(n,)).start()


if __name__ == "__main__":
    mp.set_start_method("fork")
    mp.Process(target=worker, args=(1,)).start()
"""
    MP019.assert_leaves_alone(source)
    MP019.assert_reports_without_fix(source.replace("target=worker", "target=worker if True else None"), ADVICE)


def test_the_pinned_program_hangs_and_runs_once_the_pin_is_gone(tmp_path: Path) -> None:
    reported = (SNIPPETS / "settings-refresher.reported.py").read_text(encoding="utf-8")
    pinned = run_program(SNIPPETS / "settings-refresher.reported.py", "default", timeout=5)
    assert pinned.returncode is None, "the forked children did not hang on the held lock"
    unpinned = tmp_path / "unpinned.py"
    unpinned.write_text(reported.replace('    mp.set_start_method("fork")\n', ""), encoding="utf-8")
    assert unpinned.read_text(encoding="utf-8") == (SNIPPETS / "settings-refresher.unchanged.py").read_text()
    for method in START_METHODS[:2]:
        run = run_program(unpinned, method, timeout=30)
        assert (run.returncode, run.stdout) == (0, "[0, 10, 20]\n"), run.stderr
