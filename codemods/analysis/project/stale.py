"""MP014 across modules: a function started in a child by a script reads a module-level
name of its module that the script's parent code sets at run time (``store.CONFIG = v``,
``store.DATA.extend(...)``, or a call of a function of that module that assigns the
global), so that under spawn and forkserver the child sees the value of the import.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

from .model import Project, StaleRead, relative


@dataclass(frozen=True)
class _Setting:
    owner: tuple[str, str]  # (file, module-level name)
    how: str  # "assigns" or "changes"
    where: str  # the file that holds the change
    line: int
    via: str
    ended: tuple[tuple[int, int], ...]  # the pools surely done before it (first and last line)


def stale_reads(project: Project) -> dict[str, list[StaleRead]]:
    """By file, the names that its functions read in children that another module starts,
    and that module's parent code sets."""
    found: dict[str, list[StaleRead]] = defaultdict(list)
    seen: set[tuple[str, str, str]] = set()
    for by, home, function, handover in project.handovers():
        if not project.summaries[by].parent_sets:
            continue
        summary = project.summaries[home]
        readers = _reached(project, home, function)
        in_children = _set_by_initializers(project, by)
        for setting in sorted(_settings(project, by), key=lambda s: (s.where != by, s.where, s.line)):
            file, name = setting.owner
            if file != home or setting.owner in in_children:
                continue
            if any(first <= handover.line <= last for first, last in setting.ended):
                continue  # the pool's tasks are all done when the parent sets it
            for reader in (r for r in readers if name in summary.reads.get(r, ())):
                if (home, reader, name) in seen:
                    continue
                seen.add((home, reader, name))
                where = relative(setting.where, home)
                found[home].append(
                    StaleRead(
                        reader, function, handover.kind, name, relative(by, home), handover.line,
                        setting.how, where, setting.line, setting.via,
                    )
                )  # fmt: skip
    return found


def _reached(project: Project, home: str, function: str) -> list[str]:
    """``function`` and the top-level functions of its module that it calls, in turn."""
    calls = project.summaries[home].calls
    found, pending = [function], [function]
    while pending:
        for called in calls.get(pending.pop(), ()):
            if called not in found:
                found.append(called)
                pending.append(called)
    return found


def _settings(project: Project, by: str) -> Iterator[_Setting]:
    """What the parent code of ``by`` sets in other modules, itself or through their functions."""
    for dotted, line, what, function, ended in project.summaries[by].parent_sets:
        via = f"in `{function}()`" if function else "under the `__main__` guard"
        spans = tuple((first, last) for first, last in ended)
        if what != "calls":
            owner = project.owner(by, dotted)
            if owner is not None and owner[0] != by and _sets(project, owner, what):
                yield _Setting(owner, _how(what), by, line, via, spans)
            continue
        called = project.resolve(by, dotted)
        if called is None or called[0] == by:
            continue
        home, name = called
        summary = project.summaries[home]
        # What the module's own import runs, every child's import runs too.
        at_import = {f for loaded in summary.loaded for f in _reached(project, home, loaded)}
        for function in [f for f in _reached(project, home, name) if f not in at_import]:
            for changed, changed_line, changed_what in summary.changes.get(function, ()):
                owner = project.owner(home, changed) if "." in changed else (home, changed)
                if owner is not None and _sets(project, owner, changed_what):
                    through = "" if function == name else f"`{name}()` calls, which "
                    where = f"in `{function}()`, which {through}{relative(by, home)} calls on line {line} {via}"
                    yield _Setting(owner, _how(changed_what), home, changed_line, where, spans)


def _sets(project: Project, owner: tuple[str, str], what: str) -> bool:
    """Whether ``what`` is done to the value itself: an assignment, or a change in place
    of a list, dict or set (a queue's ``put`` changes no value a child reads)."""
    return what.startswith("assigns") or owner[1] in project.summaries[owner[0]].containers


def _how(what: str) -> str:
    return "assigns" if what.startswith("assigns") else "changes"


def _set_by_initializers(project: Project, by: str) -> set[tuple[str, str]]:
    """The names that the pool initializers which ``by`` hands over set in each worker:
    every worker has the value then, whatever the parent did."""
    summary = project.summaries[by]
    found: set[tuple[str, str]] = set()
    for handover in summary.handovers:
        if handover.kind != "initializer":
            continue
        own = handover.callee in summary.functions
        called = (by, handover.callee) if own else project.resolve(by, handover.callee)
        if called is None:
            continue
        for changed, _, _ in project.summaries[called[0]].changes.get(called[1], ()):
            owner = project.owner(called[0], changed) if "." in changed else (called[0], changed)
            if owner is not None:
                found.add(owner)
    return found
