"""A content-hash cache of per-file results, so a second run over an unchanged tree is
nearly free.

One JSON file per state of mpfix's code (the bytes of its modules) and interpreter, in
the user's cache directory, maps the SHA-256 of a file's bytes and the settings it was
analysed with to what the engine said of them: its findings and fixes, or that it does
not parse or decode (which the bytes decide, and the interpreter, whose parser words the
message). Errors that may pass (a read, a crash, a bug) are not kept: the next run tries
again.
Nothing about the file's name or time is trusted: the same bytes and settings give the
same result. A cache that cannot be read or parsed is ignored and rebuilt; one that
cannot be written is skipped.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import Any

from ..model import ErrorKind, FileError, FileResult, Finding
from .index import FileIndex, save_file, signature

Entry = dict[str, Any]  # a JSON-able result: see to_entry
# What an entry holds, and how a run reads it: a change starts a new cache file, even
# between two releases.
FORMAT = "4"
# The errors that the bytes decide, for one interpreter: a result with only these is kept.
KEPT_ERRORS = frozenset({ErrorKind.PARSE, ErrorKind.DECODE})
# Old entries (files since changed) go first once the cache holds this many.
MAX_ENTRIES = 50_000
# The digests of the bytes a run asked about, kept for its other questions up to this many.
MAX_DIGESTS = 10_000


def default_directory() -> Path:
    """``$MPFIX_CACHE_DIR``, else the platform's user cache directory."""
    if os.environ.get("MPFIX_CACHE_DIR"):
        return Path(os.environ["MPFIX_CACHE_DIR"])
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "mpfix"


def mpfix_version() -> str:
    from importlib import metadata  # slow to import: for the editor server, and a copy without sources

    try:
        return metadata.version("mpfix")
    except metadata.PackageNotFoundError:
        return "unknown"


def mpfix_build() -> str:
    """What names this copy of mpfix's code: a digest of its modules' names and bytes.
    Results of other code, of another release or of an edit to a copy that runs from its
    sources (where the version stays), are never served for it. Reading the modules takes
    a few milliseconds, less than importing ``importlib.metadata`` to ask for the version,
    which names a copy whose sources cannot be read."""
    package = Path(__file__).resolve().parent.parent
    found, read = hashlib.sha256(), 0
    for folder, folders, names in os.walk(package):
        folders.sort()
        for name in sorted(names):
            if name.endswith(".py"):
                path = os.path.join(folder, name)
                with open(path, "rb") as module:
                    code = module.read()
                found.update(f"{os.path.relpath(path, package)}\0{len(code)}\0".encode() + code)
                read += 1
    # A copy without its sources (bytecode only, or in a zip file) is named by its version.
    return found.hexdigest() if read else f"version {mpfix_version()}"


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class ResultCache:
    """Results by the bytes of a file and the settings it was analysed with (the salt)."""

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory
        self.dirty = False
        # By bytes, their digest, while a run asks about its files (see ``remembering``).
        self.digests: dict[bytes, bytes] | None = None

    # Found and read when first used: a run whose files all fail the prefilter never is.
    @cached_property
    def path(self) -> Path:
        name = f"results-{digest((mpfix_build() + FORMAT + sys.implementation.cache_tag).encode())[:16]}.json"
        return (self.directory or default_directory()) / name

    @cached_property
    def files(self) -> FileIndex:
        """What the run learnt of each file's bytes, by path and stamp."""
        name = f"files-{digest(signature().encode())[:16]}"
        return FileIndex((self.directory or default_directory()) / name)

    @cached_property
    def entries(self) -> dict[str, Entry]:
        return self._load()

    def _load(self) -> dict[str, Entry]:
        try:
            with open(self.path, encoding="utf-8") as file:
                entries = json.load(file)
        except (OSError, ValueError):
            return {}
        return entries if isinstance(entries, dict) else {}

    @contextmanager
    def remembering(self) -> Iterator[None]:
        """Inside, the digest of each file's bytes is kept for the other questions about
        them: a run asks about a file's bytes with several salts, and holds the bytes until
        it ends anyway. Outside (an editor's checks, each of another text), none is kept."""
        self.digests = {}
        try:
            yield
        finally:
            self.digests = None

    def _key(self, data: bytes, salt: str) -> str:
        """The key of ``data`` with ``salt``: a digest of the salt and of the bytes' digest."""
        digests = self.digests
        found = digests.get(data) if digests is not None else None
        if found is None:
            found = hashlib.sha256(data).digest()
            if digests is not None:
                if len(digests) >= MAX_DIGESTS:
                    digests.clear()
                digests[data] = found
        return digest(salt.encode() + b"\0" + found)

    def get(self, data: bytes, salt: str) -> Entry | None:
        key = self._key(data, salt)
        entry = self.entries.pop(key, None)
        if not isinstance(entry, dict):
            return None
        self.entries[key] = entry  # the most recently used go last, and are kept longest
        return entry

    def put(self, data: bytes, salt: str, entry: Entry) -> None:
        self.entries[self._key(data, salt)] = entry
        self.dirty = True

    def save(self) -> None:
        """Write the cache (and its index of files) when it changed; a cache that cannot be
        written is skipped."""
        if "files" in self.__dict__:  # only when this run used it
            self.files.save()
        if not self.dirty:
            return
        entries = dict(list(self.entries.items())[-MAX_ENTRIES:])
        if save_file(self.path, json.dumps(entries, separators=(",", ":")).encode("utf-8")):
            self.dirty = False


def cacheable(result: FileResult) -> bool:
    """Whether the cache keeps ``result``: it has no error, or only errors its bytes decide."""
    return all(error.kind in KEPT_ERRORS for error in result.errors)


def to_entry(result: FileResult) -> Entry:
    """What the cache keeps of a result (a cacheable one)."""
    return {
        "findings": [finding.to_dict() for finding in result.findings],
        "applied": [finding.to_dict() for finding in result.applied],
        "remaining": [finding.to_dict() for finding in result.remaining],
        "fixed": result.fixed,
        "encoding": result.encoding,
        "errors": [[error.kind.value, error.message, error.line, error.column] for error in result.errors],
    }


def from_entry(path: str, data: bytes, entry: Entry) -> FileResult:
    """The result that ``entry`` keeps for ``path``, whose bytes are ``data``."""
    kept = entry["errors"]
    result = FileResult(
        path,
        findings=[Finding.from_dict(item) for item in entry["findings"]],
        applied=[Finding.from_dict(item) for item in entry["applied"]],
        remaining=[Finding.from_dict(item) for item in entry["remaining"]],
        fixed=entry["fixed"],
        encoding=entry["encoding"],
        errors=[FileError(path, ErrorKind(kind), text, line, column) for kind, text, line, column in kept],
    )
    if result.findings or result.fixed is not None:
        result.source = data.decode(result.encoding)  # for diffs and source lines
    return result
