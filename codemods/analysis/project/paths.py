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


def locate(name: str, roots: list[str]) -> str | None:
    """The file of module ``name`` under one of ``roots``, if there is one."""
    relative = os.path.join(*name.split(".")) if name else ""
    for root in roots:
        for candidate in (os.path.join(root, relative + ".py"), os.path.join(root, relative, "__init__.py")):
            if relative and os.path.isfile(candidate):
                return candidate
    return None
