"""The project: modules by name, how they import each other, what runs in a child, and for
each file the view of the other modules that its rules need.

Module names follow Python's own search: a file's package is every folder above it that
holds an ``__init__.py``, and the folder above the top package is a root (the folder of a
script, ``src/`` in a src layout, the folder given). A name imported from a module that
re-exports it (``from .workers import work`` in a package's ``__init__.py``) is followed.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass

from .paths import absolute as absolute
from .paths import locate as locate
from .paths import module_name as module_name
from .paths import relative as relative
from .summary import Handover, Import, ModuleSummary

# A re-export chain longer than this is not followed (and a cycle ends).
_MAX_HOPS = 4


@dataclass(frozen=True)
class ChildStart:
    """A function of this module that another module runs in a child process."""

    function: str
    kind: str  # "target", "task" or "initializer"
    by: str  # the module that hands it over (its path, relative to this file's folder)
    line: int


@dataclass(frozen=True)
class Importer:
    """A module that imports this one, and the names it takes from it."""

    by: str
    line: int
    names: tuple[str, ...]  # ``from m import a`` gives ("a",), ``import m`` the attributes read, "*" any


@dataclass(frozen=True)
class ForeignLambda:
    """A name handed to a child here that another module binds to a lambda."""

    written: str  # as this module writes it: ``square``, ``helpers.square``
    where: str  # path relative to this file's folder
    line: int


@dataclass(frozen=True)
class SentLambda:
    """A module-level lambda of this module that another module hands to a child."""

    name: str
    kind: str  # "target", "task" or "initializer"
    by: str  # the module that hands it over (relative to this file's folder)
    line: int


@dataclass(frozen=True)
class LostUpdate:
    """A change that a function of this module makes to a module-level name while it
    runs in a child that another module starts, and that module then reads the name."""

    function: str
    kind: str  # "target" or "task"
    name: str  # as this module writes it: ``RESULTS``, ``store.RESULTS``
    what: str  # "changes", "stores into", "deletes from", "assigns the global", "assigns"
    line: int  # of the change
    by: str  # the module that starts the child and reads the name (relative to this file's folder)
    start_line: int
    read_line: int


@dataclass(frozen=True)
class StaleRead:
    """A module-level name that a function of this module reads while it runs in a child
    that another module starts, and that the parent sets at run time (MP014)."""

    reader: str  # the function that reads it: the one handed over, or one that it calls
    entry: str  # the function handed over
    kind: str  # how: "target", "task" or "initializer"
    name: str
    by: str  # the module that starts the child (relative to this file's folder)
    start_line: int
    how: str  # "assigns" or "changes"
    where: str  # the file where the parent sets it (relative to this file's folder)
    line: int
    via: str  # how the parent gets there: "under the `__main__` guard", "in `main()`", ...


@dataclass(frozen=True)
class ProjectView:
    """What one file's rules learn from the other files (small, picklable, cacheable)."""

    rules: frozenset[str]  # codes of the rules that these facts may give a finding
    child_starts: tuple[ChildStart, ...] = ()
    importers: tuple[Importer, ...] = ()
    lambdas: tuple[ForeignLambda, ...] = ()
    child_import: str = ""  # why child processes import this module; "" when they do not
    lost_updates: tuple[LostUpdate, ...] = ()
    stale_reads: tuple[StaleRead, ...] = ()
    sent_lambdas: tuple[SentLambda, ...] = ()

    def digest(self) -> str:
        """Part of the file's cache key: a change in another file that changes what this
        file's rules see changes it."""
        data = {**asdict(self), "rules": sorted(self.rules)}
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


class _Summaries(dict[str, ModuleSummary]):
    """Summaries by file, each made when it is first asked for."""

    def __init__(self, load: Callable[[str], ModuleSummary | None]) -> None:
        super().__init__()
        self.load = load

    def __missing__(self, path: str) -> ModuleSummary:
        summary = self.load(path)
        if summary is None:
            raise KeyError(path)
        self[path] = summary
        return summary


class Project:
    """The modules under the paths given, by name, with their summaries.

    ``paths`` are the modules known, in order: the first of two files of one name that
    Python can parse is the module. ``ready`` are the summaries made already; ``load``
    gives another file's summary (None when it does not parse), when the model needs it.
    """

    def __init__(
        self,
        paths: Iterable[str],
        ready: Mapping[str, ModuleSummary],
        load: Callable[[str], ModuleSummary | None],
        load_many: Callable[[list[str]], Mapping[str, ModuleSummary]] | None = None,
    ) -> None:
        self.paths = list(dict.fromkeys(paths))
        self.summaries = _Summaries(load)
        self.summaries.update(ready)
        self._load_many = load_many
        self.names: dict[str, str] = {}
        self.files: dict[str, list[str]] = {}  # module name -> the files that may be it
        folders: dict[str, bool] = {}
        for path in self.paths:
            name, _ = module_name(path, folders)
            self.names[path] = name
            self.files.setdefault(name, []).append(path)

    def prefetch(self, paths: Iterable[str]) -> None:
        """Summarise those of ``paths`` not summarised yet all at once, where the model was
        given a way to (the run's workers): what asking for each would make, made together."""
        missing = list(dict.fromkeys(path for path in paths if path not in self.summaries))
        if missing and self._load_many is not None:
            self.summaries.update(self._load_many(missing))

    def home(self, name: str) -> str | None:
        """The file of the module named ``name``."""
        return next((path for path in self.files.get(name, ()) if self.parses(path)), None)

    def parses(self, path: str) -> bool:
        try:
            self.summaries[path]
        except KeyError:
            return False
        return True

    def modules(self) -> list[tuple[str, ModuleSummary]]:
        """The modules summarised so far, in the order they are known."""
        return [(path, self.summaries[path]) for path in self.paths if path in self.summaries]

    def is_package(self, path: str) -> bool:
        return os.path.basename(path) == "__init__.py"

    def imported_module(self, path: str, found: Import) -> str:
        """The absolute name of the module an import loads (a submodule for ``from
        pkg import mod``)."""
        module, submodule = self.import_names(path, found)
        return submodule if submodule is not None and self.home(submodule) is not None else module

    def import_names(self, path: str, found: Import) -> tuple[str, str | None]:
        """The absolute names of the module that an import loads and, for ``from pkg
        import name``, of the submodule it may be."""
        module = absolute(found.module, self.names[path], self.is_package(path))
        return module, (f"{module}.{found.name}" if found.name is not None else None)

    def resolve(self, path: str, callee: str, hops: int = 0) -> tuple[str, str] | None:
        """(file, top-level name) that a dotted ``callee`` of the file at ``path`` names
        in another module of the project; None when it is no such name."""
        if ("." not in callee.lstrip(".") and not callee.startswith(".")) or hops > _MAX_HOPS:
            return None
        name = absolute(callee, self.names[path], self.is_package(path)) if callee.startswith(".") else callee
        module, _, attribute = name.rpartition(".")
        home = self.home(module)
        if home is None:
            return None
        summary = self.summaries[home]
        if attribute in summary.functions or attribute in summary.lambdas:
            return home, attribute
        for found in summary.imports:  # a re-export: follow it
            if found.bound == attribute and found.name is not None:
                source = found.module + ("" if found.module.endswith(".") else ".") + found.name
                return self.resolve(home, source, hops + 1)
        return None

    def owner(self, path: str, dotted: str) -> tuple[str, str] | None:
        """(file, module-level name) of a dotted name (``store.RESULTS``) as the file at
        ``path`` writes it; None when the module is not in the project."""
        module, _, name = dotted.rpartition(".")
        home = self.home(absolute(module, self.names[path], self.is_package(path)))
        return (home, name) if home is not None else None

    def handovers(self, forked: bool = False) -> Iterator[tuple[str, str, str, Handover]]:
        """(file handing over, file of the callable, its name, the handover) across files;
        with ``forked``, also those to children that are forked (which inherit the
        parent's objects, but still change only their own copies)."""
        for path, summary in self.modules():
            if summary.forks and not forked:
                continue  # every child is forked: it inherits the parent's objects
            for handover in summary.handovers:
                if handover.fork_only and not forked:
                    continue
                found = self.resolve(path, handover.callee)
                if found is not None and found[0] != path:
                    yield path, found[0], found[1], handover
