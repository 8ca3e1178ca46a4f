"""MP014 across modules: a function of this module runs in a child that another module
starts, and reads a module-level name that the other module's parent code sets.

Reported where the child reads it, as in one file, without a fix: the value must be
handed over where the other module starts the children (and the code that sets it is
there, or in a third place), which no rewrite of this file can do.
"""

from __future__ import annotations

from ...analysis.project.model import StaleRead

_HOW = {
    "target": "pass it to `{entry}` in `args=` where {by} starts the process",
    "task": "hand it over where {by} makes the pool: an `initializer=` that sets the worker's `{name}`, "
    "given the value in `initargs=`",
    "initializer": "pass it to `{entry}` in the pool's `initargs=` where {by} makes the pool",
}


def message(stale: StaleRead) -> tuple[str, str]:
    """The finding's message and why it is not fixed."""
    who = f"`{stale.reader}`" + ("" if stale.reader == stale.entry else f", which `{stale.entry}` calls,")
    text = (
        f"{who} runs in a child process that {stale.by} starts on line {stale.start_line} and reads "
        f"`{stale.name}`, which the parent {stale.how} at run time ({stale.where}:{stale.line}, {stale.via}): "
        f"under spawn and forkserver the child sees `{stale.name}` as this module's import leaves it"
    )
    advice = _HOW[stale.kind].format(entry=stale.entry, by=stale.by, name=stale.name)
    return text, advice
