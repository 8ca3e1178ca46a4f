"""Each file's view of the project: the facts of other modules that its rules need.

- MP003: the functions of this module that another module starts in a child, where this
  module creates an IPC object at import that those functions read.
- MP009: names handed to a child here that another module binds to a lambda, when that
  module is not one the run checks; and the lambdas of this module that another module
  hands to a child, when it is.
- MP013: this module is imported by child processes (the script that starts them, or
  the module of their target, imports it) and does work at import.
- MP001: the modules that import this one, which starts processes at import.
- MP008: the changes this module's functions make to module-level names while they run
  in children that another module starts, when that module then reads the name.
- MP014: the module-level names this module's functions read while they run in children
  that another module starts, when that module's parent code sets them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable

from .model import (
    ChildStart,
    ForeignLambda,
    Importer,
    LostUpdate,
    Project,
    ProjectView,
    SentLambda,
    relative,
)
from .stale import stale_reads


def views(project: Project, checked: Collection[str] = ()) -> dict[str, ProjectView]:
    """The view of every file that other files tell something (the others have none).
    ``checked``: the files of the run, which a finding (and a fix) may be in; the other
    modules of the project are only read."""
    starts: dict[str, list[ChildStart]] = defaultdict(list)
    lambdas: dict[str, list[ForeignLambda]] = defaultdict(list)
    sent: dict[str, list[SentLambda]] = defaultdict(list)
    child_modules: dict[str, str] = {}  # a module children import -> why
    for by, home, name, handover in project.handovers():
        summary = project.summaries[home]
        if name in summary.lambdas and home in checked:
            sent[home].append(SentLambda(name, handover.kind, relative(by, home), handover.line))
            continue
        if name in summary.lambdas:
            lambdas[by].append(ForeignLambda(handover.written, relative(home, by), summary.lambdas[name]))
            continue
        starts[home].append(ChildStart(name, handover.kind, relative(by, home), handover.line))
        started = f"`{name}` runs in child processes that {relative(by, home)} starts on line {handover.line}"
        child_modules.setdefault(home, started)
    for path, summary in project.modules():
        if summary.guarded and any(not h.fork_only for h in summary.handovers) and not summary.forks:
            child_modules.setdefault(path, "")  # the script: its own import-time work is MP013's single-file case
    imported = _imported_by_children(project, child_modules)
    importers = _importers(project)
    lost = _lost_updates(project)
    stale = stale_reads(project)
    found: dict[str, ProjectView] = {}
    for path, summary in project.modules():
        rules = set()
        own_starts = tuple(starts.get(path, ()))
        read = {n for s in own_starts for n in summary.reads.get(s.function, ())}
        if read & set(summary.shared):
            rules.add("MP003")
        if lambdas.get(path) or sent.get(path):
            rules.add("MP009")
        why = imported.get(path, "")
        if why and summary.effects:
            rules.add("MP013")
        own_importers = tuple(importers.get(path, ())) if summary.starts else ()
        if own_importers:
            rules.add("MP001")
        if lost.get(path):
            rules.add("MP008")
        if stale.get(path):
            rules.add("MP014")
        if rules:
            found[path] = ProjectView(
                frozenset(rules),
                own_starts if "MP003" in rules else (),
                own_importers,
                tuple(lambdas.get(path, ())),
                why if "MP013" in rules else "",
                tuple(lost.get(path, ())),
                tuple(stale.get(path, ())),
                tuple(sent.get(path, ())),
            )
    return found


def _imported_by_children(project: Project, child_modules: dict[str, str]) -> dict[str, str]:
    """The modules that a child process imports when it starts, each with why: the
    modules of the children's targets and tasks, and what they and the script that starts
    the children import at load."""
    _prefetch_imported(project, child_modules)
    why: dict[str, str] = {path: reason for path, reason in child_modules.items() if reason}
    pending = list(child_modules)
    seen = set(pending)
    while pending:
        path = pending.pop()
        for found in project.summaries[path].imports:
            home = project.home(project.imported_module(path, found))
            if not found.at_load or home is None or home in seen:
                continue
            seen.add(home)
            pending.append(home)
            importer = relative(path, home)
            if path in child_modules and not child_modules[path]:
                why[home] = f"{importer} imports it on line {found.line} and starts child processes"
            else:
                why[home] = f"{importer} imports it on line {found.line}, and child processes import {importer}"
    return why


def _prefetch_imported(project: Project, child_modules: Iterable[str]) -> None:
    """Summarise, a level of imports at a time and each level at once, the modules that
    the walk of ``_imported_by_children`` reads: the same modules it would summarise one
    after the other (the first file of each module named, then what ``home`` asks)."""
    level = list(dict.fromkeys(child_modules))
    seen = set(level)
    while level:
        project.prefetch(level)
        imports = [
            (path, found) for path in level if path in project.summaries for found in project.summaries[path].imports
        ]
        firsts = []
        for path, found in imports:
            module, submodule = project.import_names(path, found)
            firsts += project.files.get(submodule if submodule is not None else module, [])[:1]
        project.prefetch(firsts)
        following = []
        for path, found in imports:
            home = project.home(project.imported_module(path, found))
            if found.at_load and home is not None and home not in seen:
                seen.add(home)
                following.append(home)
        level = following


def _importers(project: Project) -> dict[str, list[Importer]]:
    """Who imports each module that starts processes at import, and which of its names
    they use."""
    found: dict[str, list[Importer]] = defaultdict(list)
    starters = {project.names[path] for path, summary in project.modules() if summary.starts}
    for path, summary in project.modules():
        for item in summary.imports:
            if starters.isdisjoint(project.import_names(path, item)):
                continue  # it imports no module that starts processes at import
            module = project.imported_module(path, item)
            home = project.home(module)
            if home is None or home == path:
                continue
            if item.name is not None and not module.endswith("." + item.name):
                names: tuple[str, ...] = (item.name,)
            else:
                names = tuple(summary.attributes.get(item.bound, ()))
            found[home].append(Importer(relative(path, home), item.line, names))
    return found


def _lost_updates(project: Project) -> dict[str, list[LostUpdate]]:
    """The changes that tasks and targets make in children to a module-level name (of
    their module or a third one) that the module starting them then reads."""
    found: dict[str, list[LostUpdate]] = defaultdict(list)
    for by, home, function, handover in project.handovers(forked=True):
        if handover.kind == "initializer":
            continue  # setting the worker's globals is what an initializer is for
        reads = project.summaries[by].imported_reads
        read_lines = {owner: line for name, line in reads.items() if (owner := project.owner(by, name)) is not None}
        for name, line, what in project.summaries[home].changes.get(function, ()):
            owner = project.owner(home, name) if "." in name else (home, name)
            if owner is None or owner not in read_lines:
                continue
            if not what.startswith("assigns") and owner[1] not in project.summaries[owner[0]].containers:
                continue  # a method of something else (a queue's ``put`` is no lost change)
            kind = "target" if handover.kind == "target" else "task"
            update = LostUpdate(function, kind, name, what, line, relative(by, home), handover.line, read_lines[owner])
            found[home] += [update] if update not in found[home] else []
    return found
