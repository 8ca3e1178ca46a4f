"""Where modules are: a file's dotted module name and root folder, and the file of a
module name, as Python's own search finds them. Standard library only, and cheap to import:
a run loads it before it knows whether any file needs the project model."""

from __future__ import annotations

import os
from collections.abc import Mapping


def relative(path: str, seen_from: str) -> str:
    """``path`` as a user reading ``seen_from``'s findings knows it: from its folder."""
    try:
        return os.path.relpath(path, os.path.dirname(os.path.abspath(seen_from)))
    except ValueError:  # another drive
        return path


def module_name(path: str, is_package_folder: Mapping[str, bool] | None = None) -> tuple[str, str]:
    """(dotted module name, root folder) of the file at ``path``."""
    directory, file = os.path.split(os.path.abspath(path))
    stem = file.rsplit(".", 1)[0]
    parts = [] if stem == "__init__" else [stem]
    while _is_package(directory, is_package_folder):
        directory, package = os.path.split(directory)
        parts.insert(0, package)
    return ".".join(parts), directory


def _is_package(directory: str, known: Mapping[str, bool] | None) -> bool:
    if known is not None and directory in known:
        return known[directory]
    found = os.path.isfile(os.path.join(directory, "__init__.py"))
    if isinstance(known, dict):
        known[directory] = found
    return found


def absolute(module: str, importer: str, importer_is_package: bool) -> str:
    """The absolute name of ``module`` (``..pkg.mod``) as imported by ``importer``."""
    level = len(module) - len(module.lstrip("."))
    if not level:
        return module
    package = importer.split(".") if importer_is_package else importer.split(".")[:-1]
    base = package[: len(package) - (level - 1)] if level > 1 else package
    rest = module[level:]
    return ".".join([*base, rest] if rest else base)


def locate(name: str, roots: list[str], listings: dict[str, frozenset[str]] | None = None) -> str | None:
    """The file of module ``name`` under one of ``roots``, if there is one.

    ``listings`` (folder -> the names in it) keeps each folder's listing for the next
    call: a run looks many names up under many roots, and a name that a root's folder
    does not list costs a set lookup instead of two ``stat`` calls."""
    parts = name.split(".")
    if not all(parts):  # no name, or an empty part
        return None
    known = listings if listings is not None else {}
    head, last = parts[0], parts[-1]
    for root in roots:
        names = _names(root, known)
        if len(parts) == 1:
            if f"{last}.py" not in names and last not in names:
                continue
            folder = root
        else:
            if head not in names:  # the first package is a folder of the root
                continue
            folder = os.path.join(root, *parts[:-1])
            names = _names(folder, known)
            if f"{last}.py" not in names and last not in names:
                continue
        for candidate in (os.path.join(folder, last + ".py"), os.path.join(folder, last, "__init__.py")):
            if os.path.isfile(candidate):
                return candidate
    return None


def _names(folder: str, known: dict[str, frozenset[str]]) -> frozenset[str]:
    """The names in ``folder`` (none when it is no folder), listed once."""
    names = known.get(folder)
    if names is None:
        try:
            names = frozenset(os.listdir(folder))
        except OSError:  # no such folder, or not one
            names = frozenset()
        known[folder] = names
    return names
