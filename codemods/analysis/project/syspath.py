"""The folders that a module adds to ``sys.path``, where the code spells them out.

Best effort: ``sys.path.insert(0, "src")``, ``sys.path.append(os.path.join(os.path.dirname(
__file__), "lib"))`` and ``sys.path.insert(0, str(Path(__file__).parent / "lib"))`` name a
folder the project model then searches for imports. A folder computed any other way (from
the environment, a variable, a function) is not followed.
"""

from __future__ import annotations

import ast
import posixpath
import re
from collections.abc import Callable

# The module's file, as a path in its own folder: the folders found are relative to it.
_FILE = "__file__"
# Calls that give back the path they are handed (as far as the folder is concerned).
_SAME = frozenset(
    {"os.path.abspath", "os.path.realpath", "os.path.normpath", "os.fspath", "builtins.str", "pathlib.Path"}
)
_SAME_METHODS = frozenset({"resolve", "absolute"})
ADDERS = frozenset({"sys.path.insert", "sys.path.append"})
# ``path.insert(`` of ``sys.path`` (or ``from sys import path``), or an alias of ``path``.
_ADDING = re.compile(rb"path(?:\s*\.\s*(?:insert|append)\b|\s+as\b)")
_WORD_BYTES = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")


def may_add_to_path(data: bytes) -> bool:
    """Whether a module's bytes may call ``sys.path.insert`` or ``sys.path.append``."""
    return starts_a_word(_ADDING, data)


def starts_a_word(pattern: re.Pattern[bytes], data: bytes) -> bool:
    """Whether ``pattern`` matches ``data`` where a word starts: ``\\b`` in front of the
    pattern, checked here, so that the search may look for the pattern's first letters
    quickly instead of trying the boundary at every byte. A match that follows a word
    character hides no other: no match of the patterns here holds the start of another."""
    return any(m.start() == 0 or data[m.start() - 1] not in _WORD_BYTES for m in pattern.finditer(data))


def added_folder(call: ast.Call, qualified: Callable[[ast.expr], str | None]) -> str | None:
    """The folder that ``sys.path.insert(i, folder)`` or ``sys.path.append(folder)`` adds:
    relative to the module's folder (``lib``, ``../src``) or absolute; None when unknown."""
    wanted = 2 if qualified(call.func) == "sys.path.insert" else 1
    if len(call.args) != wanted or call.keywords or isinstance(call.args[-1], ast.Starred):
        return None
    found = _path(call.args[-1], qualified)
    if found is None or found == _FILE:
        return None
    return found if posixpath.isabs(found) else posixpath.normpath(found)


def _path(node: ast.expr, qualified: Callable[[ast.expr], str | None]) -> str | None:
    """The path ``node`` computes, with the module's file as ``__file__``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value.replace("\\", "/")
    if isinstance(node, ast.Name) and node.id == "__file__":
        return _FILE
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):  # Path / "lib"
        left, right = _path(node.left, qualified), _path(node.right, qualified)
        return posixpath.join(left, right) if left is not None and right is not None else None
    if isinstance(node, ast.Attribute) and node.attr == "parent":
        inner = _path(node.value, qualified)
        return _parent(inner) if inner is not None else None
    if not isinstance(node, ast.Call) or node.keywords:
        return None
    if isinstance(node.func, ast.Attribute) and node.func.attr in _SAME_METHODS and not node.args:
        return _path(node.func.value, qualified)
    if isinstance(node.func, ast.Attribute) and node.func.attr == "joinpath":
        parts = [_path(part, qualified) for part in [node.func.value, *node.args]]
        return posixpath.join(*parts) if None not in parts else None  # type: ignore[arg-type]
    name = qualified(node.func)
    parts = [_path(arg, qualified) for arg in node.args]
    if None in parts or not parts:
        return None
    if name == "os.path.join":
        return posixpath.join(*parts)  # type: ignore[arg-type]
    if name == "os.path.dirname" and len(parts) == 1:
        return _parent(parts[0])  # type: ignore[arg-type]
    return parts[0] if name in _SAME and len(parts) == 1 else None


def _parent(path: str) -> str:
    """The folder above ``path`` (relative paths stay relative: the file's own folder is ``.``)."""
    if path == _FILE:
        return "."
    if posixpath.isabs(path):
        return posixpath.dirname(path.rstrip("/")) or "/"
    return posixpath.normpath(posixpath.join(path, ".."))
