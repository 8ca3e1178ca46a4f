"""Two of libcst's checks, answered faster while a walk is open (mpfix.analysis.cst_walk).

libcst's scope analysis asks, as it leaves each node, whether the node is one of 18
assignment-like types (``_ASSIGNMENT_LIKE_NODES``), each an abstract base class whose
check runs in Python: here the answer comes from the node's type, once per type. And
libcst's metadata providers name their visit methods
(``BatchableCSTVisitor.get_visitors``) by reading every attribute of the instance: here
the names are found once per class. Both answer what libcst answers.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping

import libcst as cst
from libcst.metadata import scope_provider


class _KindTest:
    """A tuple of node types as ``isinstance`` takes it, answered once per node type."""

    def __init__(self, kinds: tuple[type, ...]) -> None:
        self.kinds = kinds
        self.known: dict[type, bool] = {}

    def __instancecheck__(self, node: object) -> bool:
        kind = type(node)
        found = self.known.get(kind)
        if found is None:
            found = self.known[kind] = issubclass(kind, self.kinds)
        return found


_ASSIGNMENT_LIKE = getattr(scope_provider, "_ASSIGNMENT_LIKE_NODES", None)
_ASSIGNMENT_KINDS = _KindTest(_ASSIGNMENT_LIKE) if isinstance(_ASSIGNMENT_LIKE, tuple) else None

_LIBCST_GET_VISITORS = cst.BatchableCSTVisitor.get_visitors
_VISITOR_NAMES: dict[type, tuple[str, ...]] = {}


def _get_visitors(self: cst.BatchableCSTVisitor) -> Mapping[str, Callable]:
    """libcst's ``get_visitors``, whose names depend on the class alone: read by libcst
    from the first instance of each class, then bound on the others. An instance that
    holds methods of its own is read by libcst."""
    if any(inspect.ismethod(value) for value in getattr(self, "__dict__", {}).values()):
        return _LIBCST_GET_VISITORS(self)
    cls = type(self)
    names = _VISITOR_NAMES.get(cls)
    if names is None:
        found = _LIBCST_GET_VISITORS(self)
        _VISITOR_NAMES[cls] = tuple(found)
        return found
    return {name: getattr(self, name) for name in names}


def install() -> None:
    cst.BatchableCSTVisitor.get_visitors = _get_visitors  # type: ignore[method-assign]
    if _ASSIGNMENT_KINDS is not None:
        scope_provider._ASSIGNMENT_LIKE_NODES = _ASSIGNMENT_KINDS  # type: ignore[assignment]


def remove() -> None:
    cst.BatchableCSTVisitor.get_visitors = _LIBCST_GET_VISITORS  # type: ignore[method-assign]
    if _ASSIGNMENT_KINDS is not None:
        scope_provider._ASSIGNMENT_LIKE_NODES = _ASSIGNMENT_LIKE  # type: ignore[assignment]
