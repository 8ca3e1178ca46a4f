"""Building the project model once per run, before any file is analysed.

Only the files that name a multiprocessing API are summarised first (the byte prefilter
has read them already); then the modules they hand work from or that their children
import, found on disk beside them, whether or not the run was asked to check them. A file
named alone (or stdin with ``--stdin-filename``) brings the modules of its folder that
import it as context: they are summarised, never reported on.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING

from ..analysis.project.paths import absolute, locate, module_name
from ..registry import SCOPE
from .discover import PYTHON_SUFFIXES, read

if TYPE_CHECKING:  # the model is imported once some file names a multiprocessing API
    from ..analysis.project.model import ProjectView
    from ..analysis.project.summary import ModuleSummary
    from .cache import ResultCache
    from .index import FileIndex

# Summaries of many modules' bytes at once, in their order (None: a module Python cannot parse).
SummarizeMany = Callable[[list[bytes]], list["ModuleSummary | None"]]

# Summaries share the results' cache file, under a key of their own.
_SALT = "module-summary-3"
# How far from a file that names multiprocessing the model follows imports.
_DEPTH = 2


class Summaries:
    """Module summaries by file, each read from the cache by the file's content when it can.

    A module whose bytes name no API that starts processes (nor change ``sys.path``) is
    summarised only when the model asks for it: it hands no work to a child and starts
    nothing at import, so it matters only as a module that another one leads to.
    """

    def __init__(self, cache: ResultCache | None) -> None:
        self.cache = cache
        self.found: dict[str, ModuleSummary] = {}
        # Every module known, in the order it became known, with its bytes while it waits
        # to be summarised (None once summarised, or when it does not parse).
        self.known: dict[str, bytes | None] = {}

    def know(self, path: str, data: bytes) -> None:
        """Know a module; summarise it now when its bytes may start a process or change
        ``sys.path`` (an API named, ``sys.path.insert``)."""
        self.know_all({path: data})

    def know_all(self, found: Mapping[str, bytes], summarize_many: SummarizeMany | None = None) -> None:
        """:meth:`know` each of ``found`` (path -> bytes), in its order, the summaries that
        the cache does not hold made by ``summarize_many`` all at once."""
        if not found:
            return
        from ..analysis.project.summary import summarize

        wanted: list[str] = []
        for path, data in found.items():
            if path not in self.known:
                self.known[path] = data
                if _may_matter_at(path, data, self.cache):
                    wanted.append(path)
        cached = {path: self._cached(found[path]) for path in wanted}
        missing = [path for path in wanted if cached[path] is None]
        made = dict(zip(missing, (summarize_many or _each(summarize))([found[p] for p in missing]), strict=True))
        for path in wanted:
            self.known[path] = None
            summary = cached[path] or made[path]
            if summary is None:
                continue
            if path in made and self.cache is not None:
                self.cache.put(found[path], _SALT, summary.to_json())
            self.found[path] = summary

    def _cached(self, data: bytes) -> ModuleSummary | None:
        return _from_entry(self.cache.get(data, _SALT)) if self.cache is not None else None

    def add(self, path: str, data: bytes) -> ModuleSummary | None:
        if path in self.found:
            return self.found[path]
        self.known[path] = None
        from ..analysis.project.summary import summarize

        entry = self.cache.get(data, _SALT) if self.cache is not None else None
        summary = _from_entry(entry)
        if summary is None:
            summary = summarize(data)
            if summary is None:
                return None
            if self.cache is not None:
                self.cache.put(data, _SALT, summary.to_json())
        self.found[path] = summary
        return summary

    def load_many(self, paths: list[str], summarize_many: SummarizeMany | None = None) -> dict[str, ModuleSummary]:
        """The summaries of those of ``paths`` that are known, each as :meth:`load` makes
        it, the ones waiting made by ``summarize_many`` all at once; a module that does not
        parse is left out."""
        waiting = {path: data for path in paths if (data := self.known.get(path)) is not None}
        cached = {path: self._cached(data) for path, data in waiting.items()}
        missing = [path for path in waiting if cached[path] is None]
        made: dict[str, ModuleSummary | None] = {}
        if missing:
            from ..analysis.project.summary import summarize

            made = dict(zip(missing, (summarize_many or _each(summarize))([waiting[p] for p in missing]), strict=True))
        for path, data in waiting.items():
            self.known[path] = None
            summary = cached[path] or made[path]
            if summary is None:
                continue
            if cached[path] is None and self.cache is not None:
                self.cache.put(data, _SALT, summary.to_json())
            self.found[path] = summary
        return {path: self.found[path] for path in paths if path in self.found}

    def load(self, path: str) -> ModuleSummary | None:
        """The summary of a module known, made now if it waits."""
        data = self.known.get(path)
        return self.add(path, data) if data is not None else self.found.get(path)

    def waiting(self) -> dict[str, bytes]:
        return {path: data for path, data in self.known.items() if data is not None}


def _from_entry(entry: dict | None) -> ModuleSummary | None:
    """The cached summary; None when there is none, or one of another shape (written by
    another build of mpfix that shares the version)."""
    from ..analysis.project.summary import ModuleSummary

    try:
        return ModuleSummary.from_json(entry) if entry else None
    except (TypeError, KeyError):
        return None


def _may_matter(data: bytes) -> bool:
    """Whether a module's bytes may start a process or change ``sys.path`` (an API
    named, ``sys.path.insert``): the modules whose summaries the model makes first."""
    from ..analysis.project.summary import may_start
    from ..analysis.project.syspath import may_add_to_path

    return may_start(data) or may_add_to_path(data)


def _may_matter_at(path: str, data: bytes, cache: ResultCache | None) -> bool:
    """:func:`_may_matter` of ``path``'s bytes, ``data``: the index of files answers for a
    file unchanged since it last looked."""
    index = cache.files if cache is not None else None
    verdict = index.may_matter(path) if index is not None else None
    if verdict is None:
        verdict = _may_matter(data)
        if index is not None:
            index.put_may_matter(path, verdict)
    return verdict


def summarised_first(path: str, data: bytes, cache: ResultCache | None, names_scope: bool | None = None) -> bool:
    """Whether the model will make the summary of a file of the run, ``path`` with bytes
    ``data``, that passed the prefilter: it names an API (see ``build``; ``names_scope``,
    when the caller has looked), may matter, and the cache does not hold its summary."""
    if cache is not None and cache.get(data, _SALT) is not None:  # (read by the model, not here)
        return False
    return (_names_scope(data) if names_scope is None else names_scope) and _may_matter_at(path, data, cache)


def _each(summarize: Callable[[bytes], ModuleSummary | None]) -> SummarizeMany:
    return lambda datas: [summarize(data) for data in datas]


def _names_scope(data: bytes) -> bool:
    return any(word in data for word in _SCOPE_FIRST)


def _names_scope_at(path: str, data: bytes, index: FileIndex | None) -> bool:
    """Whether the bytes of ``path``, ``data``, name an API of ``SCOPE``: the index of
    files answers for a file unchanged since it last looked."""
    found = index.names_scope(path) if index is not None else None
    return _names_scope(data) if found is None else found


# The needles of SCOPE, the one that most files which name any hold first.
_SCOPE_FIRST = sorted(SCOPE, key=lambda word: word != b"multiprocess")


def neighbours(paths: Iterable[str]) -> dict[str, bytes]:
    """The Python files beside the files named alone that import one of them (a line
    that says ``import`` and names the module): the context of a single-file check."""
    stems: dict[str, set[bytes]] = {}
    for path in map(os.path.abspath, paths):
        stem = module_name(path)[0].rpartition(".")[2]
        stems.setdefault(os.path.dirname(path), set()).add(stem.encode("utf-8", "surrogateescape"))
    found: dict[str, bytes] = {}
    for folder, named in stems.items():
        naming = re.compile(rb"^[^\n#]*\b(?:" + b"|".join(map(re.escape, named)) + rb")\b[^\n]*", re.M)
        try:
            names = sorted(os.listdir(folder))
        except OSError:
            continue
        for name in names:
            path = os.path.join(folder, name)
            data = _read(path) if name.endswith(PYTHON_SUFFIXES) else None
            if data is not None and any(b"import" in line[0] for line in naming.finditer(data)):
                found[path] = data
    return found


def _wanted(project_names: dict[str, str], path: str, summary: ModuleSummary) -> set[str]:
    """Modules ``path`` leads to: those it hands callables from, and, when it starts
    children, those it imports at load (each child imports them too)."""
    name, is_package = project_names[path], os.path.basename(path) == "__init__.py"
    wanted: set[str] = set()
    for handover in summary.handovers:
        callee = handover.callee
        if "." in callee.lstrip(".") or callee.startswith("."):
            wanted.add(absolute(callee, name, is_package).rpartition(".")[0])
    if summary.handovers:
        for found in summary.imports:
            if found.at_load:
                module = absolute(found.module, name, is_package)
                wanted |= {module, f"{module}.{found.name}"} if found.name else {module}
    return wanted


def build(
    files: Mapping[str, bytes],
    context: Mapping[str, bytes],
    cache: ResultCache | None,
    others: Iterable[str] = (),
    summarize_many: SummarizeMany | None = None,
) -> dict[str, ProjectView]:
    """The view of each file that the other modules tell something.

    ``files`` (path -> bytes) are the files that the run reads anyway and that passed the
    prefilter; ``context`` (path -> bytes) are files that only tell; ``others`` are
    the run's remaining files, read again only when they may import a module that starts
    processes at import. ``summarize_many`` summarises the files that name an API, all at
    once (the run hands them to its workers); by default one after the other, here.
    """
    # Paths are absolute inside the model, so that a file reached through an import is the
    # file the run was given; the views are handed back under the paths as given.
    absolute = {path: os.path.abspath(path) for path in [*files, *others]}
    given = {found: path for path, found in absolute.items()}
    files = {absolute[path]: data for path, data in files.items()}
    rest = [absolute[path] for path in others]
    summaries = Summaries(cache)
    index = cache.files if cache is not None else None
    first = {path: data for path, data in files.items() if _names_scope_at(path, data, index)}
    for path, data in context.items():
        if path in files:
            continue
        if _names_scope(data):
            first.setdefault(path, data)
        else:
            rest.append(path)
    summaries.know_all(first, summarize_many)
    if not summaries.found:
        return {}  # nothing starts a process or hands work to one
    from ..analysis.project.model import Project
    from ..analysis.project.views import views

    _follow_imports(summaries, files)
    _find_importers(summaries, [path for path in rest if path not in summaries.known])
    project = Project(
        summaries.known, summaries.found, summaries.load, lambda paths: summaries.load_many(paths, summarize_many)
    )
    return {given.get(path, path): view for path, view in views(project, given).items()}


def _follow_imports(summaries: Summaries, files: Mapping[str, bytes]) -> None:
    """Know the modules that the summarised ones hand work from or that their children
    import, up to _DEPTH imports away."""
    folders: dict[str, bool] = {}
    names = {path: module_name(path, folders)[0] for path in summaries.found}
    roots = {module_name(path, folders)[1] for path in summaries.known}
    frontier = list(summaries.found)
    listings: dict[str, frozenset[str]] = {}
    for _ in range(_DEPTH):
        searched = sorted(roots | _added_folders(summaries))
        reached: list[str] = []
        for path in frontier:
            for wanted in sorted(_wanted(names, path, summaries.found[path])):
                home = locate(wanted, searched, listings)
                if home is None or home in summaries.known:
                    continue
                data = files[home] if home in files else _read(home)
                if data is not None:
                    summaries.know(home, data)
                if home in summaries.found:  # not waiting: it may hand work on in turn
                    names[home] = module_name(home, folders)[0]
                    reached.append(home)
        frontier = reached


def _added_folders(summaries: Summaries) -> set[str]:
    """The folders that the modules summarised add to ``sys.path``."""
    return {
        os.path.normpath(os.path.join(os.path.dirname(path), added))
        for path, summary in summaries.found.items()
        for added in summary.path_folders
    }


def _find_importers(summaries: Summaries, rest: list[str]) -> None:
    """Summarise the modules waiting, and the files of ``rest``, that may import a module
    that starts processes at import (they name it): what they take from it is what MP001's
    fix must keep."""
    starters = [path for path, summary in summaries.found.items() if summary.starts]
    # A name that is no UTF-8 (a file name's undecodable bytes) cannot be imported: its
    # needle matches nothing, as it should.
    needles = {module_name(path)[0].rpartition(".")[2].encode("utf-8", "surrogateescape") for path in starters}
    needles.discard(b"")
    if not needles:
        return
    # A module that names multiprocessing was always summarised: one that imports the
    # package by ``from . import x``, without naming it, counts too.
    relative = any(os.path.basename(path) == "__init__.py" for path in starters)
    waiting = summaries.waiting()
    for path, data in waiting.items():
        if b"import" in data and (any(n in data for n in needles) or (relative and b"from ." in data)):
            summaries.add(path, data)
    known, ordered = summaries.cache.files if summaries.cache is not None else None, tuple(sorted(needles))
    for path in rest:
        if path not in waiting and _may_import(path, ordered, known) and (read_now := _read(path)) is not None:
            summaries.add(path, read_now)


def _may_import(path: str, needles: tuple[bytes, ...], known: FileIndex | None) -> bool:
    """Whether ``path`` says ``import`` and names one of ``needles``; the index answers
    for a file unchanged since it last looked."""
    verdict = known.imports_one(path, needles) if known is not None else None
    if verdict is None:
        data = _read(path)
        verdict = data is not None and b"import" in data and any(needle in data for needle in needles)
        if known is not None:
            known.put_imports_one(path, needles, verdict)
    return verdict


def _read(path: str) -> bytes | None:
    try:
        return read(path)
    except OSError:
        return None
