"""What the rules know of one module, computed once per analysis round and only on demand.

libcst's metadata providers each walk the whole module before a visitor starts, and a
rule that builds its own helpers (an API resolver, the module's reachability) walks it
again: on a large module most of the analysis time went into walks whose answers no rule
ended up asking for. Here:

- one plain walk indexes the module: every node's parent, and the nodes of each type in
  source order, so that :func:`findall` answers from the index instead of walking again,
  and the rules' batched visit calls their methods on the nodes of their types alone;
- scopes are computed the first time a rule asks, positions only when a rule reports (or
  asks for a line, see mpfix.analysis.positions), and qualified names one node at a time;
- helpers that depend only on the module (see :meth:`ModuleFacts.memo`) are built once
  and shared by every rule.

Rules keep libcst's interface: ``self.get_metadata(ScopeProvider, node)`` and
``self.metadata[ParentNodeProvider]`` answer from these tables (see RuleVisitor.resolve).
"""

from __future__ import annotations

import heapq
from bisect import bisect_left
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, TypeVar

import libcst as cst
from libcst.metadata import (
    MetadataWrapper,
    ParentNodeProvider,
    PositionProvider,
    QualifiedNameProvider,
    ScopeProvider,
)

from . import match as m
from .cst_walk import Batched
from .cst_walk import children as node_children
from .positions import Positions
from .project.model import ProjectView

_T = TypeVar("_T")
_MISSING: Any = object()


class _Index:
    """The nodes of one tree in source order (pre-order), with each node's parent."""

    def __init__(self, root: cst.CSTNode) -> None:
        self.order: list[cst.CSTNode] = []
        self.starts: dict[int, int] = {}  # id(node) -> its place in order
        self.sizes: list[int] = []  # by place in order: the nodes of its subtree, itself included
        self.parents: dict[cst.CSTNode, cst.CSTNode] = {}
        self.by_type: dict[type, list[int]] = {}
        order, starts, parents, by_type = self.order, self.starts, self.parents, self.by_type
        # Each node on the stack goes with its parent's place (``holders``); the sizes are
        # summed from the leaves up once every node is in order.
        stack: list[cst.CSTNode] = [root]
        holders: list[int] = [-1]
        pop, extend, pop_holder, extend_holders = stack.pop, stack.extend, holders.pop, holders.extend
        place_of_holder: list[int] = []
        while stack:
            node = pop()
            position = starts[id(node)] = len(order)
            order.append(node)
            place_of_holder.append(pop_holder())
            found = by_type.get(type(node))
            if found is None:
                by_type[type(node)] = [position]
            else:
                found.append(position)
            children = node_children(node)
            if children:
                for child in children:
                    parents[child] = node
                extend(reversed(children))
                extend_holders([position] * len(children))
        self.sizes = sizes = [1] * len(order)
        for position in range(len(order) - 1, 0, -1):
            sizes[place_of_holder[position]] += sizes[position]

    def span(self, node: cst.CSTNode) -> tuple[int, int] | None:
        """Where ``node`` and everything under it lie in ``order``: [first, past the last);
        None when ``node`` is not a node of this tree."""
        start = self.starts.get(id(node))
        if start is None or self.order[start] is not node:
            return None
        return start, start + self.sizes[start]

    def find(self, root: cst.CSTNode, types: Sequence[type]) -> list[cst.CSTNode] | None:
        """The nodes of ``types`` in ``root`` (itself included), in source order; None when
        ``root`` is not a node of this tree."""
        span = self.span(root)
        if span is None:
            return None
        first, stop = span
        runs = []
        for kind in types:
            positions = self.by_type.get(kind)
            if positions:
                runs.append(positions[bisect_left(positions, first) : bisect_left(positions, stop)])
        if len(runs) <= 1:
            return [self.order[i] for run in runs for i in run]
        merged = heapq.merge(*runs)
        return [self.order[i] for i in merged]

    def visit(self, visitor: Batched) -> bool:
        """``visitor``'s batched visit of the indexed tree (``root.visit(visitor)``) from the
        index: the visit and leave methods of each node of a type they are for, in the order
        of a walk (a node's leave methods after everything under it), without walking the
        nodes of other types. False, and nothing visited, when ``visitor`` has methods for
        a field of a node (``visit_Call_func``), which only a walk calls."""
        if visitor.field_hooks:
            return False
        kinds = [kind for kind in self.by_type if kind.__name__ in visitor.kinds]
        positions = sorted(position for kind in kinds for position in self.by_type[kind])
        order, sizes = self.order, self.sizes
        visits, leaves, of = visitor.visits, visitor.leaves, visitor.of
        waiting: list[tuple[int, cst.CSTNode, list[Callable]]] = []  # nodes to leave, the innermost last
        for position in positions:
            while waiting and waiting[-1][0] <= position:
                _, node, methods = waiting.pop()
                for method in methods:
                    method(node)
            node = order[position]
            kind = type(node)
            visiting = visits.get(kind)
            if visiting is None:
                visiting = of(visits, "visit", kind)
            for method in visiting:
                method(node)
            leaving = leaves.get(kind)
            if leaving is None:
                leaving = of(leaves, "leave", kind)
            if leaving:
                waiting.append((position + sizes[position], node, leaving))
        while waiting:
            _, node, methods = waiting.pop()
            for method in methods:
                method(node)
        return True


class _QualifiedNames(Mapping):
    """QualifiedNameProvider's table, computed for a node when asked (as libcst computes
    it: the names its scope gives, or none for a node without a scope)."""

    def __init__(self, facts: ModuleFacts) -> None:
        self.facts = facts
        self.known: dict[cst.CSTNode, set] = {}

    def __getitem__(self, node: cst.CSTNode) -> set:
        found = self.known.get(node)
        if found is None:
            if node not in self.facts.parents and node is not self.facts.module:
                raise KeyError(node)
            scope = self.facts.scopes.get(node)
            found = self.known[node] = scope.get_qualified_names_for(node) if scope else set()
        return found

    def __iter__(self) -> Iterator[cst.CSTNode]:
        raise TypeError("qualified names are computed one node at a time")

    def __len__(self) -> int:
        raise TypeError("qualified names are computed one node at a time")


class _Tables(Mapping):
    """Provider -> table, each built on first use."""

    def __init__(self, facts: ModuleFacts) -> None:
        self.facts = facts

    def __getitem__(self, provider: type) -> Mapping:
        if provider is ParentNodeProvider:
            return self.facts.parents
        if provider is ScopeProvider:
            return self.facts.scopes
        if provider is QualifiedNameProvider:
            return self.facts.qualified_names
        if provider is PositionProvider:
            return self.facts.positions
        raise KeyError(provider)

    def __contains__(self, provider: object) -> bool:  # without building the table
        return provider in (ParentNodeProvider, ScopeProvider, QualifiedNameProvider, PositionProvider)

    def __iter__(self) -> Iterator[type]:
        return iter((ParentNodeProvider, ScopeProvider, QualifiedNameProvider, PositionProvider))

    def __len__(self) -> int:
        return 4


class ModuleFacts:
    """The shared, lazily computed knowledge of one module (one round of the engine)."""

    def __init__(self, module: cst.Module, project: ProjectView | None = None) -> None:
        self.module = module
        # What the other modules of the program tell this one's rules (None: nothing).
        self.project = project
        self.wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
        self.tables = _Tables(self)
        self._index: _Index | None = None
        self._resolved: dict[type, Mapping] = {}
        self._qualified_names: _QualifiedNames | None = None
        self._positions: Positions | None = None
        self._memo: dict[object, object] = {}

    @property
    def index(self) -> _Index:
        if self._index is None:
            self._index = _Index(self.module)
        return self._index

    @property
    def parents(self) -> Mapping[cst.CSTNode, cst.CSTNode]:
        return self.index.parents

    def _resolve(self, provider: type) -> Mapping:
        if provider not in self._resolved:
            self._resolved[provider] = self.wrapper.resolve(provider)
        return self._resolved[provider]

    @property
    def scopes(self) -> Mapping:
        return self._resolve(ScopeProvider)

    @property
    def positions(self) -> Mapping:
        if self._positions is None:
            self._positions = Positions(self)
        return self._positions

    @property
    def code(self) -> str:
        """The module's code as libcst generates it (``Module.code``), from the generation
        that the positions take their statements' starts from: one for both."""
        positions = self.positions
        assert isinstance(positions, Positions)
        positions.record()
        return positions.code

    def code_of(self, new: cst.Module) -> str:
        """``new.code``, for a module that fixes made from this one (see Positions.code_of)."""
        positions = self.positions
        assert isinstance(positions, Positions)
        return positions.code_of(new)

    @property
    def qualified_names(self) -> Mapping:
        if self._qualified_names is None:
            self._qualified_names = _QualifiedNames(self)
        return self._qualified_names

    def get_metadata(self, key: type, node: cst.CSTNode, default: Any = _MISSING) -> Any:
        """libcst's ``MetadataDependent.get_metadata``, for helpers shared by every rule."""
        table = self.tables[key]
        return table[node] if default is _MISSING else table.get(node, default)

    def visit(self, visitor: Batched) -> None:
        """``self.module.visit(visitor)``, from the index where it can be (see _Index.visit)."""
        if not self.index.visit(visitor):
            self.module.visit(visitor)

    def in_order(self, first: cst.CSTNode, second: cst.CSTNode) -> bool:
        """``first`` comes before ``second`` in the source (neither holds the other): by the index."""
        return self.index.starts[id(first)] < self.index.starts[id(second)]

    def memo(self, key: object, build: Callable[[], _T]) -> _T:
        """The value ``build`` makes, built once per module for every rule that asks."""
        if key not in self._memo:
            self._memo[key] = build()
        return self._memo[key]  # type: ignore[return-value]  # each key's value is what its build made


# The facts of the module being analysed, which findall answers from.
_active: ModuleFacts | None = None


class analysing:
    """Makes ``facts`` the module that findall answers from, for the duration of a pass."""

    def __init__(self, facts: ModuleFacts) -> None:
        self.facts = facts

    def __enter__(self) -> ModuleFacts:
        global _active
        self.previous, _active = _active, self.facts
        return self.facts

    def __exit__(self, *exc: object) -> None:
        global _active
        _active = self.previous


def parents_in(module: cst.Module) -> Mapping[cst.CSTNode, cst.CSTNode] | None:
    """Each node's parent in ``module`` when it is the module under analysis; else None."""
    return _active.parents if _active is not None and _active.module is module else None


def _types_of(matcher: object) -> list[type] | None:
    """The node types a matcher can match, or None when that is not plain to see."""
    if isinstance(matcher, m.OneOf):
        found: list[type] = []
        for option in matcher.options:
            types = _types_of(option)
            if types is None:
                return None
            found.extend(types)
        return found
    kind = getattr(cst, matcher.kind, None) if isinstance(matcher, m.Matcher) else None
    return [kind] if isinstance(kind, type) and issubclass(kind, cst.CSTNode) else None


def indexed(tree: cst.CSTNode, types: Sequence[type]) -> tuple[list[cst.CSTNode], Mapping] | None:
    """The nodes of ``types`` in ``tree`` (itself included), in source order, and the
    parents of the module under analysis; None when ``tree`` is not part of that module."""
    facts = _active
    found = facts.index.find(tree, types) if facts is not None else None
    return None if found is None else (found, facts.parents)  # type: ignore[union-attr]


def findall(tree: cst.CSTNode, matcher: Any) -> Sequence[cst.CSTNode]:
    """``libcst.matchers.findall``, answered from the index of the module under analysis.

    Same result, in the same (source) order; a tree that is not part of that module (a
    node a fix plan built) is walked as libcst would.
    """
    facts = _active
    types = _types_of(matcher) if facts is not None and isinstance(tree, cst.CSTNode) else None
    if facts is not None and types is not None:
        found = facts.index.find(tree, types)
        if found is not None:
            return [node for node in found if m.matches(node, matcher)]
    return m.findall(tree, matcher)
