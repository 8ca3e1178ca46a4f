"""Finding the files to analyse and reading them.

Folders are walked in a stable order without following symlinks, skipping what the
excludes and ``.gitignore`` files say; a file is read only when it is a regular file.
"""

from __future__ import annotations

import io
import os
import re
import stat
import tokenize
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported when first needed: a run over named files never is
    from pathspec import GitIgnoreSpec

PYTHON_SUFFIXES = (".py", ".pyw")
# As ruff's defaults: tool caches, virtualenvs, build output and VCS folders.
DEFAULT_EXCLUDES = (
    ".bzr", ".direnv", ".eggs", ".git", ".hg", ".ipynb_checkpoints", ".mypy_cache", ".nox",
    ".pytest_cache", ".ruff_cache", ".svn", ".tox", ".venv", "__pycache__", "__pypackages__",
    "_build", "buck-out", "build", "dist", "node_modules", "site-packages", "venv", "*.egg-info",
)  # fmt: skip

Pattern = tuple[str | None, str]  # (the folder it is relative to, None for each folder named; pattern)
OnError = Callable[[str, str], None]  # (path, message)
_Ignores = list[tuple[str, "GitIgnoreSpec"]]  # (folder, its .gitignore), outermost first
_Excludes = list[tuple[str | None, "_Literal"]]  # (folder the patterns are relative to, patterns)


@dataclass(frozen=True)
class FileFilter:
    """Which files a walk through folders yields."""

    # Gitignore-style patterns, each with the folder it is relative to (None: the folder named).
    exclude: tuple[Pattern, ...] = tuple((None, pattern) for pattern in DEFAULT_EXCLUDES)
    respect_gitignore: bool = True
    force_exclude: bool = False  # apply ``exclude`` to paths named explicitly too


def discover(
    paths: Iterable[str],
    excludes: Iterable[str] = (),
    on_error: OnError | None = None,
    files: FileFilter = FileFilter(),
) -> Iterator[str]:
    """The Python files under ``paths``, each once, in a deterministic order.

    Directories are walked without following symlinks, skipping what ``.gitignore``
    files (unless ``files.respect_gitignore`` is off), ``files.exclude`` and ``excludes``
    (more gitignore patterns, relative to the directory named) exclude. A path named
    explicitly is yielded whatever its name, unless ``files.force_exclude`` applies the
    excludes to it too; so is a folder named explicitly walked, as in ruff: the patterns
    that exclude the folder itself do not apply inside it. Reading reports a path that does
    not exist. ``on_error`` hears of folders that cannot be listed.
    """
    patterns = [*files.exclude, *((None, pattern) for pattern in excludes)]
    exclude: _Excludes | None = None  # compiled when first needed
    seen: set[str] = set()
    for path in paths:
        is_dir = os.path.isdir(path)
        if files.force_exclude:
            exclude = _compile(patterns) if exclude is None else exclude
            if _excluded(path, is_dir, exclude):
                continue
        if is_dir:
            ignores = _enclosing_gitignores(path) if files.respect_gitignore else None
            inside = exclude if exclude is not None else _compile(_not_excluding(path, patterns))
            found: Iterable[str] = _walk(path, path, inside, ignores, on_error)
        else:
            found = [path]
        for file in map(os.path.normpath, found):
            if file not in seen:
                seen.add(file)
                yield file


def _compile(patterns: Iterable[Pattern]) -> _Excludes:
    """One spec per folder that patterns are relative to, in the order first named."""
    by_base: dict[str | None, list[str]] = {}
    for base, pattern in patterns:
        by_base.setdefault(base, []).append(pattern)
    return [(base, _Literal.around(lines)) for base, lines in by_base.items()]


class _Literal:
    """A spec of exclusions asked only about paths that hold a literal part of one of its
    patterns: a path without ``build`` cannot match ``build`` (nor ``/build/``, nor
    ``build/**``), and most paths hold none of the few words of the default exclusions.
    A spec whose patterns negate, escape or name a range of characters is asked always.
    The patterns are compiled when first asked about a path (most runs never do).

    Patterns that are a name (``build``) or a name's ending (``*.egg-info``), as all the
    default exclusions are, match a path where one of its parts is that name, or ends so,
    as git matches a pattern without a slash at any depth: such a spec is answered here,
    without compiling the patterns (``distutils`` holds ``dist``)."""

    def __init__(self, lines: list[str], words: tuple[str, ...] | None, names: _Names | None = None) -> None:
        self.lines = lines
        self.words = words  # None: ask the spec about every path
        self.names = names  # the patterns as whole names and as endings, when they are no more
        self.spec: GitIgnoreSpec | None = None
        # By a folder's prefix (see match_entry): whether one of its parts matches; None
        # when the prefix is left to match_file.
        self.prefixes: dict[str, bool | None] = {}

    @classmethod
    def around(cls, lines: list[str]) -> _Literal:
        words = []
        names: set[str] = set()
        endings: list[str] = []
        plain = True  # every pattern is a name or a name's ending
        for line in lines:
            if not line.strip() or line.startswith("#"):
                continue  # a blank line or a comment matches nothing
            if any(mark in line for mark in "![]\\"):
                return cls(lines, None)  # it answers match_file as the spec would
            # Every piece between wildcards, slashes and spaces is in a path the pattern matches.
            words.append(max(_PIECES.split(line), key=len))
            if "/" in line or "?" in line or line != line.strip():
                # Anchored, a folder only, any one character, or spaces at an end (git
                # drops trailing ones; some releases of pathspec drop leading ones too).
                plain = False
            elif "*" not in line:
                names.add(line)
            elif line.startswith("*") and len(line) > 1 and "*" not in line[1:]:
                endings.append(line[1:])
            else:
                plain = False
        return cls(lines, tuple(words), (frozenset(names), tuple(endings)) if plain else None)

    def match_file(self, path: str) -> bool:
        if self.words is not None and not any(word in path for word in self.words):
            return False
        if self.names is not None:
            read = path.replace(os.sep, "/") if os.sep != "/" else path
            # As pathspec reads a path: relative, without a leading `./`. A path with a line
            # break, or an empty part, is left to its patterns (its regular expressions
            # read those their own way).
            read = read[1:] if read.startswith("/") else read[2:] if read.startswith("./") else read
            if "\n" not in read and "//" not in read and not read.startswith("/"):
                return self._any_part(read)
        if self.spec is None:
            self.spec = _spec(self.lines)
        return self.spec.match_file(path)

    def match_entry(self, prefix: str, name: str) -> bool:
        """``match_file(prefix + name)``, for the entry ``name`` of a folder (a folder's
        ending with a slash) whose path relative to the patterns' base is ``prefix`` (empty,
        or ending with a slash): a walk asks it of every entry, and the parts of the
        folder's prefix are looked at once per folder, not once per entry."""
        hit = None if "\n" in name else self._prefix_hit(prefix)
        if hit is None:
            return self.match_file(prefix + name)
        return hit or self._any_part(name)

    def names_below(self, prefix: str) -> _Names | None:
        """The names and endings that decide, by its name alone, whether an entry of the
        folder at ``prefix`` matches (see match_entry); None when its name alone does not."""
        return self.names if self._prefix_hit(prefix) is False else None

    def _prefix_hit(self, prefix: str) -> bool | None:
        """Whether a part of ``prefix`` is one of the names or has one of the endings;
        None when the patterns are more than names and endings, or the prefix is left to
        match_file: empty, or not read as it stands."""
        if self.names is None or not prefix:
            return None
        if prefix not in self.prefixes:
            read = prefix.replace(os.sep, "/") if os.sep != "/" else prefix
            # As match_file reads a path (a relative prefix neither starts with "/" nor
            # with "./"), with a line break or an empty part left to it.
            plain = "\n" not in read and "//" not in read and not read.startswith(("/", "./"))
            self.prefixes[prefix] = self._any_part(read) if plain else None
        return self.prefixes[prefix]

    def _any_part(self, read: str) -> bool:
        names, endings = self.names  # type: ignore[misc]
        return any(part in names or part.endswith(endings) for part in read.split("/") if part)


_Names = tuple[frozenset[str], tuple[str, ...]]  # whole names, endings


_PIECES = re.compile(r"[*?/\s]+")


def _spec(lines: list[str]) -> GitIgnoreSpec:
    """The patterns of ``lines``; a line that is no valid pattern (a lone ``!``) is left
    out, as git leaves it out, rather than failing the run."""
    from pathspec import GitIgnoreSpec

    try:
        return GitIgnoreSpec.from_lines(lines)
    except ValueError:  # the library's error for a pattern it cannot read
        return GitIgnoreSpec.from_lines([line for line in lines if valid_pattern(line)])


def valid_pattern(line: str) -> bool:
    """Whether ``line`` is a pattern that a .gitignore file could hold."""
    from pathspec import GitIgnoreSpec

    try:
        GitIgnoreSpec.from_lines([line])
    except ValueError:
        return False
    return True


def _not_excluding(folder: str, patterns: Iterable[Pattern]) -> list[Pattern]:
    """The patterns that do not exclude ``folder`` itself (``examples/`` for ``examples``)."""
    return [
        (base, pattern)
        for base, pattern in patterns
        if base is None or not _spec([pattern]).match_file(os.path.relpath(folder, base) + "/")
    ]


def _walk(
    folder: str, root: str, exclude: _Excludes, ignores: _Ignores | None, on_error: OnError | None
) -> Iterator[str]:
    """The files under ``folder``, depth first, each folder's entries by name.
    ``ignores`` is None when .gitignore files are not respected."""
    # Entries still to go to, the next one last: a file, or a folder with the .gitignore
    # files above it. A stack, not one generator per folder: a file found deep down is
    # not handed up through every folder above it.
    stack: list[tuple[str, bool, _Ignores | None]] = [(folder, True, ignores)]
    while stack:
        path, is_folder, above = stack.pop()
        if not is_folder:
            yield path
            continue
        kept = _kept(path, root, exclude, above, on_error)
        stack.extend(reversed(kept))


def _kept(
    folder: str, root: str, exclude: _Excludes, ignores: _Ignores | None, on_error: OnError | None
) -> list[tuple[str, bool, _Ignores | None]]:
    """The entries of ``folder`` a walk goes on to, in order: its Python files, and its
    folders with the .gitignore files above what they hold."""
    try:
        with os.scandir(folder) as scan:
            entries = sorted(scan, key=lambda entry: entry.name)
    except OSError as exc:
        if on_error is not None:
            on_error(os.path.normpath(folder), exc.strerror or str(exc))
        return []
    if ignores is not None:
        ignores = ignores + _gitignore_of(folder)
    # Each entry's path relative to each folder that patterns are relative to, as this
    # folder's relative path and its name: one relpath per folder, not per entry.
    excludes = [(_relative(folder, base or root), spec) for base, spec in exclude]
    gitignores = None if ignores is None else [(_relative(folder, base), spec) for base, spec in ignores]
    # When every exclusion is names and endings that no part of this folder's path
    # matches, and no .gitignore has a say, an entry's own name decides.
    by_name = None if gitignores else _names_below(excludes)
    kept = []
    for entry in entries:
        name = entry.name
        # Without following links, a symlink is neither a folder nor a file: it is skipped.
        is_dir = entry.is_dir(follow_symlinks=False)
        if not is_dir and not (name.endswith(PYTHON_SUFFIXES) and entry.is_file(follow_symlinks=False)):
            continue
        if by_name is not None and "\n" not in name:
            if not (name in by_name[0] or name.endswith(by_name[1])):
                kept.append((entry.path, is_dir, ignores))
        elif not _excluded_entry(name + ("/" if is_dir else ""), excludes, gitignores):
            kept.append((entry.path, is_dir, ignores))
    return kept


def _names_below(excludes: list[tuple[str, _Literal]]) -> _Names | None:
    """The names and endings that decide, by its name alone, whether an entry of a folder
    is excluded (each of ``excludes`` with the folder's prefix); None when its name alone
    does not."""
    names: set[str] = set()
    endings: list[str] = []
    for prefix, spec in excludes:
        found = spec.names_below(prefix)
        if found is None:
            return None
        names |= found[0]
        endings += found[1]
    return frozenset(names), tuple(endings)


def _relative(folder: str, base: str) -> str:
    """The prefix that makes a name in ``folder`` relative to ``base``."""
    relative = os.path.relpath(folder, base)
    return "" if relative == os.curdir else relative + "/"


def _excluded_entry(
    name: str, excludes: list[tuple[str, _Literal]], ignores: list[tuple[str, GitIgnoreSpec]] | None
) -> bool:
    """Whether the entry ``name`` of a folder is excluded, given the folder's path relative
    to each base of ``excludes`` and ``ignores``. A folder's name ends with a slash, so
    that folder-only patterns such as `build/` match."""
    if any(spec.match_entry(prefix, name) for prefix, spec in excludes):
        return True
    # The nearest .gitignore that has a say decides, as in git.
    for prefix, spec in reversed(ignores or []):
        verdict = spec.check_file(prefix + name).include
        if verdict is not None:
            return verdict
    return False


def _excluded(path: str, is_dir: bool, exclude: _Excludes) -> bool:
    """Whether the excludes name a path given explicitly (relative to the current folder)."""
    suffix = "/" if is_dir else ""  # lets folder-only patterns such as `build/` match
    return any(spec.match_file(os.path.relpath(path, base or os.curdir) + suffix) for base, spec in exclude)


def _gitignore_of(folder: str) -> _Ignores:
    try:
        with open(os.path.join(folder, ".gitignore"), encoding="utf-8", errors="replace") as file:
            return [(folder, _spec(file.read().splitlines()))]
    except OSError:
        return []


def _enclosing_gitignores(folder: str) -> _Ignores:
    """The .gitignore files above ``folder`` up to the top of its repository; none outside one."""
    ignores: _Ignores = []
    current = os.path.abspath(folder)
    while not os.path.isdir(os.path.join(current, ".git")):
        parent = os.path.dirname(current)
        if parent == current:
            return []
        current = parent
        ignores = _gitignore_of(current) + ignores
    return ignores


# -- reading --------------------------------------------------------------------------


def regular_status(path: str) -> os.stat_result:
    """A file's status; OSError for anything but a regular file."""
    status = os.stat(path)
    # Opening a fifo blocks until someone writes to it, and a device may never end.
    if not stat.S_ISREG(status.st_mode):
        raise OSError("not a regular file")
    return status


def read(path: str) -> bytes:
    """A file's bytes; OSError for anything but a regular file."""
    regular_status(path)
    with open(path, "rb") as file:
        return file.read()


def decode(data: bytes) -> tuple[str, str]:
    """The text and encoding of Python source bytes, as the interpreter reads them.

    The encoding comes from a PEP 263 cookie or a UTF-8 byte order mark ("utf-8-sig",
    which encoding adds back). Line endings are kept as they are.
    """
    encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    return data.decode(encoding), encoding
