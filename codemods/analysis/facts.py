"""What the rules know of one module, computed once per analysis round and only on demand.

libcst's metadata providers each walk the whole module before a visitor starts, and a
rule that builds its own helpers (an API resolver, the module's reachability) walks it
again: on a large module most of the analysis time went into walks whose answers no rule
ended up asking for. Here:

- one plain walk indexes the module: every node's parent, and the nodes of each type in
  source order, so that :func:`findall` answers from the index instead of walking again;
- scopes are computed the first time a rule asks, positions only when a rule reports (or
  asks for a line), and qualified names one node at a time;
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
from libcst._nodes.internal import CodegenState
from libcst.metadata import (
    CodeRange,
    MetadataWrapper,
    ParentNodeProvider,
    PositionProvider,
    QualifiedNameProvider,
    ScopeProvider,
)
from libcst.metadata.position_provider import PositionProvidingCodegenState

from . import match as m
from .cst_walk import children as node_children
from .project.model import ProjectView

_T = TypeVar("_T")
_MISSING: Any = object()
_CLOSE = object()


class _Index:
    """The nodes of one tree in source order (pre-order), with each node's parent."""

    def __init__(self, root: cst.CSTNode) -> None:
        self.order: list[cst.CSTNode] = []
        self.span: dict[int, tuple[int, int]] = {}  # id(node) -> [first, past the last) in order
        self.parents: dict[cst.CSTNode, cst.CSTNode] = {}
        self.by_type: dict[type, list[int]] = {}
        order, span, parents, by_type = self.order, self.span, self.parents, self.by_type
        starts: dict[int, int] = {}
        # A node's children go on the stack above it and a marker: when the marker is
        # popped, everything under the node is in order.
        stack: list[Any] = [root]
        pop, push, extend = stack.pop, stack.append, stack.extend
        while stack:
            node = pop()
            if node is _CLOSE:
                closed = id(pop())
                span[closed] = (starts[closed], len(order))
                continue
            position = starts[id(node)] = len(order)
            order.append(node)
            found = by_type.get(type(node))
            if found is None:
                by_type[type(node)] = [position]
            else:
                found.append(position)
            push(node)
            push(_CLOSE)
            children = node_children(node)
            for child in children:
                parents[child] = node
            extend(reversed(children))

    def find(self, root: cst.CSTNode, types: Sequence[type]) -> list[cst.CSTNode] | None:
        """The nodes of ``types`` in ``root`` (itself included), in source order; None when
        ``root`` is not a node of this tree."""
        span = self.span.get(id(root))
        if span is None or self.order[span[0]] is not root:
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


class _Positions(Mapping):
    """PositionProvider's table, computed one statement at a time, when a node of it is
    asked for. libcst computes the positions of every node of the module at once, at some
    seven times the cost of generating its code, where a finding needs a few.

    A statement's positions are those that libcst's own codegen state gives when it
    generates the statement alone, starting where the statement starts, with the
    indentation of the blocks around it. Where each statement starts, and in which
    blocks, comes from one plain generation of the module (see ``_Starts``), so that a
    finding in a class of a thousand lines costs the positions of the method it is in,
    not of the class."""

    def __init__(self, facts: ModuleFacts) -> None:
        self.facts = facts
        self.known: dict[cst.CSTNode, CodeRange] = {}
        # statement -> the lines before it, its first column, the indentation of its blocks
        self.starts: dict[cst.CSTNode, tuple[int, int, tuple[str, ...]]] = {}
        self.recorded = False  # whether the starts of the module's statements are known
        self.code = ""  # the module's code, as that generation gave it
        self.done: set[int] = set()  # the statements computed, by id
        self.whole: Mapping | None = None

    def __getitem__(self, node: cst.CSTNode) -> CodeRange:
        found = self.known.get(node)
        if found is not None:
            return found
        top, inner = self._statements(node)
        if top is None or inner is None:  # the module, its header or footer, or no node of it
            if self.whole is None:
                self.whole = self.facts.wrapper.resolve(PositionProvider)
            return self.whole[node]
        self.record()
        if id(inner) not in self.done:
            self.done.add(id(inner))
            self._compute(inner)
        return self.known[node]

    def _statements(self, node: cst.CSTNode) -> tuple[cst.CSTNode | None, cst.CSTNode | None]:
        """The top-level statement that holds ``node`` and the innermost statement that does
        (``node`` itself if it is one); None for a node of no statement of the module."""
        module, parents = self.facts.module, self.facts.parents
        inner = node if isinstance(node, cst.BaseStatement) else None
        while (parent := parents.get(node)) is not None and parent is not module:
            node = parent
            if inner is None and isinstance(node, cst.BaseStatement):
                inner = node
        if parent is module and isinstance(node, cst.BaseStatement):
            return node, inner
        return None, None

    def record(self) -> None:
        """Generate the module's code once, noting where each statement starts."""
        if self.recorded:
            return
        self.recorded = True
        module = self.facts.module
        state = _Starts(module.default_indent, module.default_newline)
        module._codegen(state)
        self.code = "".join(state.tokens)
        line, column, at = 0, 0, 0
        tokens = state.tokens
        for statement, (index, indents) in state.starts.items():  # in the order generated
            text = "".join(tokens[at:index])
            line += _line_count(text)
            last_break = max(text.rfind("\n"), text.rfind("\r"))
            column = column + len(text) if last_break < 0 else len(text) - last_break - 1
            at = index
            self.starts[statement] = (line, column, indents)  # an `elif` starts within its line

    def _compute(self, statement: cst.CSTNode) -> None:
        module = self.facts.module
        before, column, indents = self.starts[statement]
        recorder = _Recorder()
        state = PositionProvidingCodegenState(
            default_indent=module.default_indent,
            default_newline=module.default_newline,
            provider=recorder,  # type: ignore[arg-type]  # all the state asks of it is _computed
            indent_tokens=list(indents),
            line=before + 1,
            column=column,
        )
        parent = self.facts.parents.get(statement)
        if isinstance(parent, cst.If) and parent.orelse is statement:
            statement._codegen(state, is_elif=True)  # its parent writes `elif`, not `if`
        else:
            statement._codegen(state)
        self.known.update(recorder._computed)

    def __iter__(self) -> Iterator[cst.CSTNode]:
        raise TypeError("positions are computed one statement at a time")

    def __len__(self) -> int:
        raise TypeError("positions are computed one statement at a time")


class _Starts(CodegenState):
    """libcst's plain codegen state, noting where each statement starts: how many tokens
    come before it, and the indentation of the blocks around it."""

    def __init__(self, default_indent: str, default_newline: str) -> None:
        super().__init__(default_indent, default_newline)
        self.starts: dict[cst.CSTNode, tuple[int, tuple[str, ...]]] = {}

    def before_codegen(self, node: cst.CSTNode) -> None:
        if isinstance(node, cst.BaseStatement):
            self.starts[node] = (len(self.tokens), tuple(self.indent_tokens))


class _Recorder:
    """Where PositionProvidingCodegenState writes the positions it computes."""

    def __init__(self) -> None:
        self._computed: dict[cst.CSTNode, CodeRange] = {}


def _line_count(code: str) -> int:
    """The lines ``code`` ends, whichever of ``\n``, ``\r\n`` and ``\r`` end them."""
    return code.count("\n") + code.count("\r") - code.count("\r\n")


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
        self._positions: _Positions | None = None
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
            self._positions = _Positions(self)
        return self._positions

    @property
    def code(self) -> str:
        """The module's code as libcst generates it (``Module.code``), from the generation
        that the positions take their statements' starts from: one for both."""
        positions = self.positions
        assert isinstance(positions, _Positions)
        positions.record()
        return positions.code

    @property
    def qualified_names(self) -> Mapping:
        if self._qualified_names is None:
            self._qualified_names = _QualifiedNames(self)
        return self._qualified_names

    def get_metadata(self, key: type, node: cst.CSTNode, default: Any = _MISSING) -> Any:
        """libcst's ``MetadataDependent.get_metadata``, for helpers shared by every rule."""
        table = self.tables[key]
        return table[node] if default is _MISSING else table.get(node, default)

    def in_order(self, first: cst.CSTNode, second: cst.CSTNode) -> bool:
        """``first`` comes before ``second`` in the source (neither holds the other): by the index."""
        return self.index.span[id(first)][0] < self.index.span[id(second)][0]

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
