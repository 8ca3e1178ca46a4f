"""libcst's traversal for read-only visitors, without rebuilding the tree.

libcst visits a node by rebuilding it: ``CSTNode.visit`` calls the node's
``_visit_and_replace_children``, which makes (and validates) a copy of every node it
passes, and ``children`` is computed the same way. Each visit dispatches through two
``getattr`` of a formatted name per node and two more per field. A visitor that only reads
pays all of that for nothing: on a 2,000-line module an empty visitor takes 0.12 s, and
the scope analysis, the expression contexts, the rules' pass and the index of the nodes
each walk the whole module.

Here a node's children are read from its fields, in the order libcst visits them. That
order is recorded once per node type from libcst itself: the node's own
``_visit_and_replace_children`` is run with a visitor that notes each field it is
offered. libcst visits an f-string's ``format_spec`` only when there is one, so the
fields it offers depend on the node: the types it treats so (``CONDITIONAL``) are visited
the libcst way. And should another type turn out so, a field that its recording did not
see but that can hold a node is checked on every node of the type, and a node that has
something in it is visited the libcst way: no child is ever missed.

Within :func:`walking`, ``CSTNode.visit`` walks so for every ``CSTVisitor`` (transformers
are untouched): the same callbacks, in the same order, and the node itself returned, as
libcst returns it for a visitor. A visitor that keeps libcst's ``on_visit`` and
``on_leave`` has its ``visit_<Type>`` and ``leave_<Type>`` methods looked up once per node
type, and the empty ones that libcst's typed base class declares are not called; the
``visit_<Type>_<field>`` hooks are called where a visitor has one.

Within :func:`walking`, two more of libcst's costs are cut (mpfix.analysis.cst_checks).
"""

from __future__ import annotations

import dataclasses
import threading
import typing
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from operator import methodcaller
from typing import Any

import libcst as cst

from . import cst_checks

# A node type's fields that libcst visits, in order, and its other fields that may hold
# a node; None in place of the latter: the type's nodes are walked the libcst way.
_Fields = tuple[tuple[str, ...], tuple[str, ...] | None]
# The node types whose fields libcst offers a visitor only when they hold something.
CONDITIONAL = frozenset({"FormattedStringExpression", "TemplatedStringExpression"})


class _FieldRecorder(cst.CSTVisitor):
    """Notes the fields that libcst offers a visitor, in order, without descending."""

    def __init__(self) -> None:
        self.fields: list[str] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        return False

    def on_visit_attribute(self, node: cst.CSTNode, attribute: str) -> None:
        self.fields.append(attribute)

    def on_leave_attribute(self, original_node: cst.CSTNode, attribute: str) -> None:
        pass


_UNKNOWN = object()  # the annotation of a field whose annotations do not resolve


def _may_hold_node(annotation: object) -> bool:
    """Whether a field so annotated can hold a node (unknown: it can)."""
    if annotation is _UNKNOWN:
        return True
    if isinstance(annotation, type):
        return issubclass(annotation, cst.CSTNode)
    if typing.get_origin(annotation) is typing.Literal:
        return False
    arguments = typing.get_args(annotation)
    return not arguments or any(_may_hold_node(argument) for argument in arguments)


_FIELDS: dict[type, _Fields] = {}


def _fields(kind: type, node: cst.CSTNode) -> _Fields:
    """The fields of ``kind`` that libcst visits in order, and the others that may hold a
    node (visited only on a condition), recorded from ``node``."""
    if kind.__name__ in CONDITIONAL:
        libcsts: _Fields = ((), None)
        _FIELDS[kind] = libcsts
        return libcsts
    recorder = _FieldRecorder()
    node._visit_and_replace_children(recorder)
    visited = tuple(dict.fromkeys(recorder.fields))
    try:
        hints = typing.get_type_hints(kind)
    except Exception:  # an annotation that does not resolve: every field may hold a node
        hints = {}
    try:
        fields = [f.name for f in dataclasses.fields(kind) if f.name not in visited]
    except TypeError:  # not a dataclass: its nodes are walked the libcst way
        found: _Fields = ((), None)
    else:
        found = (visited, tuple(name for name in fields if _may_hold_node(hints.get(name, _UNKNOWN))))
    _FIELDS[kind] = found
    return found


def _holds_nodes(node: cst.CSTNode, names: Sequence[str]) -> bool:
    for name in names:
        value = getattr(node, name)
        if isinstance(value, cst.CSTNode):
            return True
        if isinstance(value, (tuple, list)) and any(isinstance(item, cst.CSTNode) for item in value):
            return True
    return False


def children(node: cst.CSTNode) -> Sequence[cst.CSTNode]:
    """``node.children``: the same nodes in the same order, read without rebuilding."""
    kind = type(node)
    visited, others = _FIELDS.get(kind) or _fields(kind, node)
    if others is None or (others and _holds_nodes(node, others)):
        return node.children
    found: list[cst.CSTNode] = []
    for name in visited:
        value = getattr(node, name)
        if type(value) is tuple or type(value) is list:
            found.extend(value)
        elif _is_node(type(value)):
            found.append(value)
    return found


# A type -> whether it is a node type (``isinstance`` of libcst's abstract base class is
# slow on the millions of values a walk reads).
_NODE_TYPES: dict[type, bool] = {}


def _is_node(kind: type) -> bool:
    found = _NODE_TYPES.get(kind)
    if found is None:
        found = _NODE_TYPES[kind] = issubclass(kind, cst.CSTNode)
    return found


def _is_libcst_stub(function: object) -> bool:
    """An empty ``visit_``/``leave_`` method of libcst's typed visitor base classes."""
    return getattr(function, "__qualname__", "").startswith("CSTTyped")


# A visitor class -> the (node type name, field) pairs it has visit or leave hooks for.
_HOOKS: dict[type, frozenset[tuple[str, str]]] = {}
# (visitor class, node type) -> its visit_<Type> and leave_<Type> functions (None: none).
_METHODS: dict[tuple[type, type], tuple[Callable | None, Callable | None]] = {}


def _hook_pairs(names: typing.Iterable[str]) -> frozenset[tuple[str, str]]:
    pairs = set()
    for name in names:
        for prefix in ("visit_", "leave_"):
            rest = name[len(prefix) :]
            if name.startswith(prefix) and "_" in rest:
                kind, _, field = rest.partition("_")
                pairs.add((kind, field))
    return frozenset(pairs)


def _hooks(visitor: cst.CSTVisitor) -> frozenset[tuple[str, str]] | None:
    """The field hooks to call for ``visitor``; None: call them all (it handles them its
    own way)."""
    cls = type(visitor)
    if isinstance(visitor, Batched):
        return visitor.field_hooks
    if cls.on_visit_attribute is not cst.CSTVisitor.on_visit_attribute:
        return None
    if cls.on_leave_attribute is not cst.CSTVisitor.on_leave_attribute:
        return None
    found = _HOOKS.get(cls)
    if found is None:
        found = _HOOKS[cls] = _hook_pairs(n for n in dir(cls) if not _is_libcst_stub(getattr(cls, n, None)))
    return found


def _methods(cls: type, kind: type) -> tuple[Callable | None, Callable | None]:
    visit = getattr(cls, f"visit_{kind.__name__}", None)
    leave = getattr(cls, f"leave_{kind.__name__}", None)
    found = _METHODS[(cls, kind)] = (
        None if _is_libcst_stub(visit) else visit,
        None if _is_libcst_stub(leave) else leave,
    )
    return found


# How _walk calls a visitor: through its ``on_visit`` and ``on_leave``; through the
# ``visit_<Type>`` and ``leave_<Type>`` methods of its class (it keeps libcst's); through
# the tables of a Batched visitor; through the ``visit_<Type>`` methods of its class and
# its own ``on_leave`` (it keeps libcst's ``on_visit`` alone, as libcst's scope analysis does).
DISPATCH, PLAIN, BATCHED, LEAVING = 0, 1, 2, 3


def _walk(node: cst.CSTNode, visitor: Any, hooks: frozenset[tuple[str, str]] | None, mode: int) -> None:
    """Visit ``node`` and what is under it as libcst's ``CSTNode.visit`` does for
    ``visitor``, called as ``mode`` says."""
    kind = type(node)
    leave = None
    if mode in (PLAIN, LEAVING):
        visit, leave = _METHODS.get((type(visitor), kind)) or _methods(type(visitor), kind)
        descend = visit is None or visit(visitor, node) is not False
    elif mode == BATCHED:
        visits = visitor.visits.get(kind)
        for method in visitor.of(visitor.visits, "visit", kind) if visits is None else visits:
            method(node)
        descend = True
    else:
        descend = visitor.on_visit(node)
    if descend:
        visited, others = _FIELDS.get(kind) or _fields(kind, node)
        if others is None or (others and _holds_nodes(node, others)):
            node._visit_and_replace_children(visitor)  # libcst's way, for a node the order misses
        else:
            name = kind.__name__
            for field in visited:
                hooked = hooks is None or (name, field) in hooks
                if hooked:
                    visitor.on_visit_attribute(node, field)
                value = getattr(node, field)
                if type(value) is tuple or type(value) is list:
                    for child in value:
                        _walk(child, visitor, hooks, mode)
                elif _NODE_TYPES.get(type(value)) or _is_node(type(value)):
                    _walk(value, visitor, hooks, mode)
                if hooked:
                    visitor.on_leave_attribute(node, field)
    if mode == PLAIN:
        if leave is not None:
            leave(visitor, node)
    elif mode == BATCHED:
        leaves = visitor.leaves.get(kind)
        for method in visitor.of(visitor.leaves, "leave", kind) if leaves is None else leaves:
            method(node)
    else:
        visitor.on_leave(node)


class Batched(cst.CSTVisitor):
    """libcst's batched visit of ``visitors`` (``libcst.visit_batched``): at each node,
    the ``visit_<Type>`` methods of every visitor in turn, and their ``leave_<Type>``
    methods after its children, whatever they return. Only the methods that a visitor
    defines are looked up, once per node type, on its class: libcst's ``get_visitors``
    reads every attribute of the instance, properties included, and calls the empty
    methods of its typed base class too."""

    def __init__(self, visitors: Sequence[cst.BatchableCSTVisitor], methods: Mapping[str, list] | None = None) -> None:
        """``methods``: each method name's bound methods, as libcst's batched visitor
        holds them, instead of the methods of ``visitors``."""
        super().__init__()
        self.visitors = list(visitors)
        self.methods = methods
        names = methods if methods is not None else {n for v in self.visitors for n in dir(type(v))}
        bound = [name for name in names if self._bound(name)]
        self.field_hooks = _hook_pairs(bound)
        # What its methods are for: node types, and a type's field for a field's hooks.
        self.kinds = {name.partition("_")[2] for name in bound}
        self.visits: dict[type, list[Callable]] = {}
        self.leaves: dict[type, list[Callable]] = {}

    def _bound(self, name: str) -> list[Callable]:
        """The bound methods called ``name`` that are not libcst's empty ones."""
        if self.methods is not None:
            return [m for m in self.methods.get(name, ()) if not _is_libcst_stub(getattr(m, "__func__", m))]
        found = []
        for visitor in self.visitors:
            function = getattr(type(visitor), name, None)
            if callable(function) and not _is_libcst_stub(function):
                found.append(getattr(visitor, name))
        return found

    def of(self, table: dict[type, list[Callable]], prefix: str, kind: type) -> list[Callable]:
        """The ``visit_``/``leave_`` (``prefix``) methods for nodes of ``kind``, looked up once."""
        methods = table.get(kind)
        if methods is None:
            methods = table[kind] = self._bound(f"{prefix}_{kind.__name__}")
        return methods

    def on_visit(self, node: cst.CSTNode) -> bool:
        for method in self.of(self.visits, "visit", type(node)):
            method(node)
        return True

    def on_leave(self, original_node: cst.CSTNode) -> None:
        for method in self.of(self.leaves, "leave", type(original_node)):
            method(original_node)

    def on_visit_attribute(self, node: cst.CSTNode, attribute: str) -> None:
        for method in self._bound(f"visit_{type(node).__name__}_{attribute}"):
            method(node)

    def on_leave_attribute(self, original_node: cst.CSTNode, attribute: str) -> None:
        for method in self._bound(f"leave_{type(original_node).__name__}_{attribute}"):
            method(original_node)


_LIBCST_VISIT = cst.CSTNode.visit
# The visitor of libcst.visit_batched, which calls the methods its ``visitor_methods`` holds.
_LibcstBatched = type(cst.CSTVisitor)  # (a type no visitor has, should libcst not have it)
try:
    from libcst._batched_visitor import _BatchedCSTVisitor as _LibcstBatched  # type: ignore[assignment]
except ImportError:  # pragma: no cover
    pass


def _visit(self: cst.CSTNode, visitor: Any) -> Any:
    if not isinstance(visitor, cst.CSTVisitor):
        return _LIBCST_VISIT(self, visitor)
    if type(visitor) is _LibcstBatched and visitor.before_visit is None and visitor.after_leave is None:
        visitor = Batched((), visitor.visitor_methods)  # libcst's metadata providers, batched
    cls = type(visitor)
    if cls is Batched:
        assert isinstance(visitor, Batched)
        if visitor.kinds <= {type(self).__name__}:
            # Methods for this node's type alone (a metadata provider's visit_Module): the
            # walk below it would call nothing.
            for method in visitor.of(visitor.visits, "visit", type(self)):
                method(self)
            for method in visitor.of(visitor.leaves, "leave", type(self)):
                method(self)
            return self
        _walk(self, visitor, visitor.field_hooks, BATCHED)
        return self
    mode = _modes.get(cls)
    if mode is None:
        mode = _modes[cls] = _mode_of(cls)
    if mode != DISPATCH and any(map(_HOOK_NAME, getattr(visitor, "__dict__", ()))):
        mode = DISPATCH  # methods set on the instance: libcst's dispatch finds them, the class's would not
    _walk(self, visitor, _hooks(visitor), mode)
    return self


# A visitor class (not Batched) -> how _walk calls it.
_modes: dict[type, int] = {}
_HOOK_NAME = methodcaller("startswith", ("visit_", "leave_"))


def _mode_of(cls: type[cst.CSTVisitor]) -> int:
    if cls.on_visit is not cst.CSTVisitor.on_visit:
        return DISPATCH
    return PLAIN if cls.on_leave is cst.CSTVisitor.on_leave else LEAVING


_lock = threading.Lock()
_depth = 0


@contextmanager
def walking() -> Iterator[None]:
    """Within it, read-only visits of any libcst tree take the walk above; on leaving,
    libcst's own visit is back (when no other ``walking`` is still open)."""
    global _depth
    with _lock:
        _depth += 1
        if _depth == 1:
            cst.CSTNode.visit = _visit  # type: ignore[method-assign]
            cst_checks.install()
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                cst.CSTNode.visit = _LIBCST_VISIT  # type: ignore[method-assign]
                cst_checks.remove()
