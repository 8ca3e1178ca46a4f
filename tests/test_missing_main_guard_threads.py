"""missing-main-guard (MP001): threads that module-level code starts before the processes.

Under fork no child runs a thread that the parent started: the thread belongs to the
script part and moves under the guard with the code from its start on. Left at module
level, it would run in every child of spawn and forkserver, and a child whose thread waits
for what only the script does (an event set after the processes) never exits.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from programs import START_METHODS, run_program
from rule_cases import RuleCases

CASES = RuleCases("MP001")

WATCHER = """\
import multiprocessing
import threading

stop = threading.Event()


def watch():
    stop.wait()
    print("watcher stopped")


t = threading.Thread(target=watch)
t.start()


def work():
    print("working")


p = multiprocessing.Process(target=work)
p.start()
p.join()
stop.set()
t.join()
"""
WATCHER_FIXED = """\
import multiprocessing
import threading

stop = threading.Event()


def watch():
    stop.wait()
    print("watcher stopped")


def work():
    print("working")


if __name__ == "__main__":
    t = threading.Thread(target=watch)
    t.start()

    p = multiprocessing.Process(target=work)
    p.start()
    p.join()
    stop.set()
    t.join()
"""
# What the rule wrote before: the thread stays at module level, the event is set under
# the guard. Kept to show that the program run below tells the two apart.
WATCHER_SPLIT = """\
import multiprocessing
import threading

stop = threading.Event()


def watch():
    stop.wait()
    print("watcher stopped")


t = threading.Thread(target=watch)
t.start()


def work():
    print("working")


if __name__ == "__main__":
    p = multiprocessing.Process(target=work)
    p.start()
    p.join()
    stop.set()
    t.join()
"""

# The twin: the thread is made at module level but started after the process, so the
# region starts at the process as ever, and the thread object (which runs nothing) stays.
STARTED_AFTER = """\
import multiprocessing
import threading

stop = threading.Event()


def watch():
    stop.wait()
    print("watcher stopped")


t = threading.Thread(target=watch)


def work():
    print("working")


p = multiprocessing.Process(target=work)
p.start()
t.start()
p.join()
stop.set()
t.join()
"""
STARTED_AFTER_FIXED = STARTED_AFTER.replace(
    "\np = multiprocessing.Process(target=work)\np.start()\nt.start()\np.join()\nstop.set()\nt.join()\n",
    '\nif __name__ == "__main__":\n    p = multiprocessing.Process(target=work)\n    p.start()\n    t.start()\n'
    "    p.join()\n    stop.set()\n    t.join()\n",
)

FIXES = [
    pytest.param(WATCHER, WATCHER_FIXED, id="thread_waits_for_an_event_the_script_sets"),
    pytest.param(STARTED_AFTER, STARTED_AFTER_FIXED, id="thread_made_before_but_started_after"),
    pytest.param(
        """\
import multiprocessing
import threading

class Ticker(threading.Thread):
    def run(self):
        print("tick")

tickers = [Ticker() for _ in range(2)]
for ticker in tickers:
    ticker.start()

def work():
    print("working")

p = multiprocessing.Process(target=work)
p.start()
p.join()
""",
        """\
import multiprocessing
import threading

class Ticker(threading.Thread):
    def run(self):
        print("tick")


def work():
    print("working")


if __name__ == "__main__":
    tickers = [Ticker() for _ in range(2)]
    for ticker in tickers:
        ticker.start()

    p = multiprocessing.Process(target=work)
    p.start()
    p.join()
""",
        id="thread_subclass_started_in_a_loop",
    ),
    pytest.param(
        """\
import multiprocessing
import threading

def ring():
    print("ring")

threading.Timer(0.1, ring).start()
SIZE = 3

def work():
    print("working", SIZE)

p = multiprocessing.Process(target=work)
p.start()
p.join()
""",
        """\
import multiprocessing
import threading

def ring():
    print("ring")


SIZE = 3

def work():
    print("working", SIZE)


if __name__ == "__main__":
    threading.Timer(0.1, ring).start()

    p = multiprocessing.Process(target=work)
    p.start()
    p.join()
""",
        id="timer_before_a_constant_children_read",
    ),
    pytest.param(
        """\
import _thread
import multiprocessing

def ring():
    print("ring")

_thread.start_new_thread(ring, ())
p = multiprocessing.Process(target=ring)
p.start()
p.join()
""",
        """\
import _thread
import multiprocessing

def ring():
    print("ring")

if __name__ == "__main__":
    _thread.start_new_thread(ring, ())
    p = multiprocessing.Process(target=ring)
    p.start()
    p.join()
""",
        id="low_level_thread",
    ),
]


@pytest.mark.parametrize(("before", "after"), FIXES)
def test_fixes(before: str, after: str) -> None:
    CASES.assert_fixes(before, after)


def test_code_that_children_need_after_a_thread_start_is_not_moved() -> None:
    source = """\
import multiprocessing
import threading

def watch():
    print("watching")

t = threading.Thread(target=watch)
t.start()
words = dict(enumerate(open(__file__).read().split()))

def work(x):
    return words[x]

with multiprocessing.Pool(2) as pool:
    print(pool.map(work, [0, 1]))
t.join()
"""
    CASES.assert_reports_without_fix(
        source,
        "`words` is read by `work`, which may run in a child process, but is assigned by module-level code "
        "(line 9) that would move under the guard, where children never see it; it moves because it follows "
        "the thread started on line 7, which no child runs under fork",
    )


def test_thread_started_under_the_guard_is_left_alone() -> None:
    CASES.assert_leaves_alone(WATCHER_FIXED)


@pytest.mark.parametrize("method", START_METHODS)
@pytest.mark.parametrize("fixed", [WATCHER_FIXED, STARTED_AFTER_FIXED], ids=["watcher", "started_after"])
def test_fixed_program_ends_under_every_start_method(fixed: str, method: str, tmp_path: Path) -> None:
    path = tmp_path / "fixed.py"
    path.write_text(fixed)
    run = run_program(path, method, timeout=30)
    assert (run.returncode, run.stdout) == (0, "working\nwatcher stopped\n"), run.stderr


def test_thread_left_at_module_level_hangs_the_child_under_spawn(tmp_path: Path) -> None:
    path = tmp_path / "split.py"
    path.write_text(WATCHER_SPLIT)
    run = run_program(path, "spawn", timeout=10)
    assert (run.returncode, run.stdout) == (None, "working\n")
