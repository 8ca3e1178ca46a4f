"""Python's collector of reference cycles, paused while one file is worked on.

A file's trees are millions of objects that all live until the file is done, and every
collection while they are built walks them in vain. The run's workers pause the collector
for each file (``paused``) and collect the file's garbage when it is done. A fix's later
rounds run with the collector on (``resumed``): each round's trees are garbage once the
next round has its own, and a paused file of many rounds would hold them all. The main
process pauses it too while it finds and reads the files (a result and a record for each,
all kept to the end of the run); a process forked meanwhile starts with it on.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator
from contextlib import contextmanager

# How many ``paused`` blocks that turned the collector off are open.
_holding = 0


@contextmanager
def paused() -> Iterator[None]:
    """No cyclic collection inside; at the end, the garbage of the block collected and the
    collector back as it was (one that was off stays off, and collects nothing)."""
    global _holding
    was_on = gc.isenabled()
    gc.disable()
    _holding += was_on
    try:
        yield
    finally:
        _holding -= was_on
        if was_on:
            gc.collect(0)  # what the block made, its cycles freed now (before memory is handed back)
            gc.enable()


@contextmanager
def resumed() -> Iterator[None]:
    """The collector on inside when a ``paused`` block turned it off; as it is otherwise."""
    ours = _holding > 0 and not gc.isenabled()
    if ours:
        gc.enable()
    try:
        yield
    finally:
        if ours:
            gc.disable()


def _on_in_child() -> None:
    """In a process forked inside a ``paused`` block: the collector on, as in a new process."""
    global _holding
    if _holding > 0:
        _holding = 0
        gc.enable()


if hasattr(os, "register_at_fork"):  # not on Windows, which cannot fork
    os.register_at_fork(after_in_child=_on_in_child)
