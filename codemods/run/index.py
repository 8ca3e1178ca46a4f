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
# it with what ``ByteFacts.of`` or the project model's test for importers look for.
FORMAT = "1"


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
        needled = tuple(spec for spec in rules if spec.code in self.needled)
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
# needles, imports one of them); the last two are None until the project model asks.
_Record = tuple
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
        self.seen: dict[str, Stamp] = {}  # the stamps of the files this run asked about

    def _file(self, folder: str) -> Path:
        name = hashlib.sha256(folder.encode("utf-8", "surrogateescape")).hexdigest()[:24]
        return self.directory / f"{name}.marshal"

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

    def _key(self, path: str) -> str:
        return os.path.normpath(os.path.join(self.cwd, path))

    def _valid(self, key: str, status: Stamp) -> _Record | None:
        folder, name = os.path.split(key)
        record = self._shard(folder).get(name)
        if not isinstance(record, tuple) or len(record) != 8 or record[:3] != status:
            return None
        return record

    def _store(self, key: str, record: _Record) -> None:
        folder, name = os.path.split(key)
        shard = self._shard(folder)
        if shard.get(name) != record:
            shard.pop(name, None)  # the most recently changed go last, and are kept longest
            shard[name] = record
            self.dirty.add(folder)

    def facts(self, path: str, status: Stamp) -> ByteFacts | None:
        """The facts of ``path`` when its stamp is still ``status``."""
        key = self._key(path)
        self.seen[key] = status
        record = self._valid(key, status)
        return None if record is None else ByteFacts(frozenset(record[3]), record[4], record[5])

    def put(self, path: str, status: Stamp, facts: ByteFacts) -> None:
        key = self._key(path)
        self.seen[key] = status
        self._store(key, (*status, tuple(sorted(facts.needled)), facts.names_scope, facts.may_suppress, None, None))

    def imports_one(self, path: str, needles: tuple[bytes, ...]) -> bool | None:
        """Whether ``path`` may import a module that ``needles`` name, as found while its
        stamp was the one this run saw; None when not known."""
        key = self._key(path)
        record = self._valid(key, self.seen[key]) if key in self.seen else None
        return record[7] if record is not None and record[6] == needles else None

    def put_imports_one(self, path: str, needles: tuple[bytes, ...], verdict: bool) -> None:
        key = self._key(path)
        record = self._valid(key, self.seen[key]) if key in self.seen else None
        if record is not None:
            self._store(key, (*record[:6], needles, verdict))

    def save(self) -> None:
        """Write the folders whose records changed; one that cannot be written is skipped."""
        for folder in sorted(self.dirty):
            records = list(self.shards[folder].items())[-MAX_PER_FOLDER:]
            if save_file(self._file(folder), marshal.dumps(dict(records))):
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
