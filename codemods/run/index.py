"""What a run learnt of each file's bytes, by path, trusted while the file's size,
modification time and inode stay the same, as ruff trusts them: a warm run over an
unchanged tree reads no file that the byte prefilter passes over.

A file whose stamp changed is read again and its facts recomputed. An edit that keeps the
size and puts back the modification time goes unseen until the file is touched (or the
run asked not to use the cache). The index is a ``marshal`` file of plain tuples beside
the results for each folder, written only when something in it changed; one that cannot
be read is rebuilt.
"""

from __future__ import annotations

import hashlib
import marshal
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..model import RuleSpec
from ..registry import RULES, SCOPE, matching
from ..suppressions import might_suppress

Stamp = tuple[int, int, int]  # st_size, st_mtime_ns, st_ino
# The most recently changed files of a folder are kept up to this many.
MAX_PER_FOLDER = 20_000
# The index does not depend on mpfix's version (finding it costs a clean run a tenth of
# its start-up) but on the needles, which ``signature`` spells out, and on this: change
# it with what ``ByteFacts.of`` or the project model's tests of a file's bytes look for.
FORMAT = "2"


@dataclass(frozen=True)
class ByteFacts:
    """What the byte prefilter and the project model ask of a file's bytes, for any
    selection of rules."""

    needled: frozenset[str]  # the codes of every rule whose needles the bytes hold
    names_scope: bool  # the bytes name an API of ``SCOPE``
    may_suppress: bool  # the bytes may hold a suppression comment

    @classmethod
    def of(cls, data: bytes, rules: Sequence[RuleSpec] = RULES) -> ByteFacts:
        """The facts of ``data``, for the rules of ``rules``."""
        found = {word: word in data for word in SCOPE}  # the needles' look for these is not repeated
        names_scope = any(found.values())
        return cls(frozenset(spec.code for spec in matching(data, rules, found)), names_scope, might_suppress(data))

    def prefilter(
        self, rules: Sequence[RuleSpec], report_unused_suppressions: bool = False
    ) -> tuple[RuleSpec, ...] | None:
        """The rules of ``rules`` whose needles the bytes hold, or None when the file is
        not worth analysing (see ``pipeline.prefilter``): ``rules`` are among those the
        facts were found for."""
        needled = tuple(spec for spec in rules if spec.code in self.needled) if self.needled else ()
        if needled or (rules and self.names_scope) or (report_unused_suppressions and self.may_suppress):
            return needled
        return None


def stamp(status: os.stat_result) -> Stamp:
    return (status.st_size, status.st_mtime_ns, status.st_ino)


def signature() -> str:
    """What the facts depend on besides the bytes: the needles of this build of mpfix, and
    how it looks for them."""
    needles = [(spec.code, sorted(map(sorted, spec.needles))) for spec in RULES]
    return repr((FORMAT, needles, sorted(SCOPE)))


# A record: (size, mtime_ns, inode, needled codes, names scope, may suppress, importer
# needles, imports one of them, may start processes or change ``sys.path``); the last
# three are None until the project model asks.
_Record = tuple
_LENGTH = 9
_Shard = dict[str, _Record]  # the records of one folder's files, by name


class FileIndex:
    """Byte facts by path and stamp, one file in ``directory`` per folder of the files: a
    run loads the folders it looks into, and writes those whose files changed."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.shards: dict[str, _Shard] = {}  # by folder, loaded when first asked
        self.dirty: set[str] = set()
        # Records are by absolute path: a relative one names another file from another folder.
        self.cwd = os.getcwd()
        self.folders: dict[str, str] = {}  # a folder as a path names it -> its absolute path
        # The files this run asked about, by absolute path: the stamp seen, the folder, the name.
        self.seen: dict[str, tuple[Stamp, str, str]] = {}
        self.made: dict[tuple, ByteFacts] = {}  # the facts of records, by what they record

    def _file(self, folder: str) -> str:
        name = hashlib.sha256(folder.encode("utf-8", "surrogateescape")).hexdigest()[:24]
        return os.path.join(self.directory, f"{name}.marshal")

    def _shard(self, folder: str) -> _Shard:
        shard = self.shards.get(folder)
        if shard is None:
            try:
                with open(self._file(folder), "rb") as file:
                    # Read whole first: ``marshal.load`` reads a file a few bytes at a time.
                    shard = marshal.loads(file.read())
            except (OSError, EOFError, ValueError, TypeError):
                shard = {}
            self.shards[folder] = shard = shard if isinstance(shard, dict) else {}
        return shard

    def _place(self, path: str) -> tuple[str, str, str]:
        """The absolute path of ``path``, its folder and its name. The files of a folder
        share the folder's absolute path, made once."""
        head, _, name = path.rpartition(os.sep)
        # Where the name is a plain last part, the path is its folder's and the name.
        if os.altsep is None and head and not head.endswith(os.sep) and name not in ("", os.curdir, os.pardir):
            folder = self.folders.get(head)
            if folder is None:
                folder = self.folders[head] = os.path.normpath(os.path.join(self.cwd, head))
            if not folder.endswith(os.sep):  # (not the root)
                return f"{folder}{os.sep}{name}", folder, name
        key = os.path.normpath(os.path.join(self.cwd, path))
        folder, name = os.path.split(key)
        return key, folder, name

    def _valid(self, folder: str, name: str, status: Stamp) -> _Record | None:
        record = self._shard(folder).get(name)
        if not isinstance(record, tuple) or len(record) != _LENGTH or record[:3] != status:
            return None
        return record

    def _store(self, folder: str, name: str, record: _Record) -> None:
        shard = self._shard(folder)
        if shard.get(name) != record:
            shard.pop(name, None)  # the most recently changed go last, and are kept longest
            shard[name] = record
            self.dirty.add(folder)

    def facts(self, path: str, status: Stamp) -> ByteFacts | None:
        """The facts of ``path`` when its stamp is still ``status``."""
        key, folder, name = self._place(path)
        self.seen[key] = (status, folder, name)
        record = self._valid(folder, name, status)
        if record is None:
            return None
        facts = self.made.get(record[3:6])
        if facts is None:  # most files have the same facts: each is made once
            facts = self.made[record[3:6]] = ByteFacts(frozenset(record[3]), record[4], record[5])
        return facts

    def put(self, path: str, status: Stamp, facts: ByteFacts) -> None:
        key, folder, name = self._place(path)
        self.seen[key] = (status, folder, name)
        codes = tuple(sorted(facts.needled))
        self._store(folder, name, (*status, codes, facts.names_scope, facts.may_suppress, None, None, None))

    def imports_one(self, path: str, needles: tuple[bytes, ...]) -> bool | None:
        """Whether ``path`` may import a module that ``needles`` name, as found while its
        stamp was the one this run saw; None when not known."""
        found = self._seen(path)
        return found[2][7] if found is not None and found[2][6] == needles else None

    def put_imports_one(self, path: str, needles: tuple[bytes, ...], verdict: bool) -> None:
        if (found := self._seen(path)) is not None:
            folder, name, record = found
            self._store(folder, name, (*record[:6], needles, verdict, record[8]))

    def names_scope(self, path: str) -> bool | None:
        """Whether the bytes of ``path`` name an API of ``SCOPE`` (``ByteFacts``), as
        found while its stamp was the one this run saw; None when not known."""
        found = self._seen(path)
        return found[2][4] if found is not None else None

    def may_matter(self, path: str) -> bool | None:
        """Whether the bytes of ``path`` may start a process or change ``sys.path``, as
        the project model found while its stamp was the one this run saw; None when not
        known."""
        found = self._seen(path)
        return found[2][8] if found is not None else None

    def put_may_matter(self, path: str, verdict: bool) -> None:
        if (found := self._seen(path)) is not None:
            folder, name, record = found
            self._store(folder, name, (*record[:8], verdict))

    def _seen(self, path: str) -> tuple[str, str, _Record] | None:
        """The folder, name and record of ``path`` when this run saw its stamp, and the
        record is of it."""
        seen = self.seen.get(path)  # an absolute path is its own key
        if seen is None:
            seen = self.seen.get(self._place(path)[0])
        if seen is None:
            return None
        status, folder, name = seen
        record = self._valid(folder, name, status)
        return (folder, name, record) if record is not None else None

    def save(self) -> None:
        """Write the folders whose records changed; one that cannot be written is skipped."""
        for folder in sorted(self.dirty):
            records = list(self.shards[folder].items())[-MAX_PER_FOLDER:]
            if save_file(Path(self._file(folder)), marshal.dumps(dict(records))):
                self.dirty.discard(folder)


def save_file(path: Path, data: bytes) -> bool:
    """Write a cache file through a temporary one; False when it cannot be written."""
    import tempfile  # with the first write: a run that changes no cache file does not import it

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-", suffix=".tmp")
    except OSError:
        return False
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.replace(temporary, path)
    except OSError:
        Path(temporary).unlink(missing_ok=True)
        return False
    return True
