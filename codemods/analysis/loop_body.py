"""What one iteration of a loop does, as far as its syntax shows.

Rules that move work between iterations (submit every task first, wait later) must know
which names an iteration rebinds, which objects it may change, how it can leave the loop
and whether an expression may have side effects. Objects are named by dotted paths
(``self.results`` is ``("self", "results")``); a path conflicts with every path that it
starts or that starts it.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field

import libcst as cst

from .statements import PURE_BUILTINS, reads_only

Path = tuple[str, ...]

# Calls that read their arguments without changing them.
_READ_ONLY_CALLS = PURE_BUILTINS | {"print", "isinstance", "issubclass", "hash", "id", "format", "iter"}


def target_names(target: cst.BaseExpression) -> set[str] | None:
    """The names a loop target binds; None unless it binds plain names only."""
    if isinstance(target, cst.Name):
        return {target.value}
    if isinstance(target, (cst.Tuple, cst.List)):
        names: set[str] = set()
        for element in target.elements:
            inner = target_names(element.value)
            if inner is None:
                return None
            names |= inner
        return names
    return None


def dotted(node: cst.BaseExpression) -> Path | None:
    """``a.b.c`` as ``("a", "b", "c")``; None for anything but names and attributes."""
    if isinstance(node, cst.Name):
        return (node.value,)
    if isinstance(node, cst.Attribute):
        base = dotted(node.value)
        return None if base is None else (*base, node.attr.value)
    return None


def object_path(node: cst.BaseExpression) -> Path | None:
    """The object an expression names, through subscripts: ``a.b[i]`` is part of ``a.b``."""
    while isinstance(node, cst.Subscript):
        node = node.value
    return dotted(node)


def conflicts(a: Path, b: Path) -> bool:
    shorter = min(len(a), len(b))
    return a[:shorter] == b[:shorter]


class _Reads(cst.CSTVisitor):
    def __init__(self) -> None:
        super().__init__()
        self.paths: set[Path] = set()

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        path = dotted(node)
        if path is not None:
            self.paths.add(path)
        return path is None

    def visit_Name(self, node: cst.Name) -> None:
        self.paths.add((node.value,))

    def visit_Arg(self, node: cst.Arg) -> bool:
        node.value.visit(self)  # not the keyword's name
        return False


def read_paths(node: cst.CSTNode) -> set[Path]:
    """Every name and attribute path that evaluating ``node`` reads (an over-estimate)."""
    reads = _Reads()
    node.visit(reads)
    return reads.paths


class _Quiet(cst.CSTVisitor):
    def __init__(self, skip: Collection[cst.CSTNode]) -> None:
        super().__init__()
        self.skip = {id(node) for node in skip}
        self.noisy: cst.CSTNode | None = None

    def on_visit(self, node: cst.CSTNode) -> bool:
        if self.noisy is not None or id(node) in self.skip or isinstance(node, cst.Lambda):
            return False
        if isinstance(node, (cst.Await, cst.Yield, cst.NamedExpr)) or (
            isinstance(node, cst.Call)
            and not (isinstance(node.func, cst.Name) and node.func.value in PURE_BUILTINS)
        ):
            self.noisy = node
            return False
        return True


def first_side_effect(node: cst.CSTNode, skip: Collection[cst.CSTNode] = ()) -> cst.CSTNode | None:
    """The first part of ``node`` that may have a side effect: a call of anything but a pure
    builtin, ``await``, ``yield`` or ``:=``. Parts in ``skip`` and lambda bodies are not run."""
    quiet = _Quiet(skip)
    node.visit(quiet)
    return quiet.noisy


@dataclass
class Exit:
    kind: str  # "break", "continue", "return", "raise", "assert", "yield", "await", "exit"
    node: cst.CSTNode


@dataclass
class BodyFacts:
    """Names an iteration binds, objects it may change, and its ways out of the loop."""

    assigned: dict[str, cst.CSTNode] = field(default_factory=dict)
    changed: list[tuple[Path, cst.CSTNode]] = field(default_factory=list)
    exits: list[Exit] = field(default_factory=list)
    # Every store, in the order of the source: the path stored (a name rebound, an object
    # changed) and the expression whose evaluation decides what it holds afterwards.
    flows: list[tuple[Path, cst.CSTNode]] = field(default_factory=list)


class _Facts(cst.CSTVisitor):
    def __init__(self, skip: Collection[cst.CSTNode], is_exit_call: Callable[[cst.Call], bool]) -> None:
        super().__init__()
        self.facts = BodyFacts()
        self.skip = {id(node) for node in skip}
        self.is_exit_call = is_exit_call
        self.loops = 0  # nested loops own their break and continue

    def _bind(self, target: cst.CSTNode, by: cst.CSTNode) -> None:
        if isinstance(target, cst.Name):
            self.facts.assigned.setdefault(target.value, by)
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self._bind(element.value, by)
        elif isinstance(target, (cst.Attribute, cst.Subscript)) and (path := object_path(target)) is not None:
            self.facts.changed.append((path, by))  # a store into an object changes it

    def _flow(self, target: cst.BaseExpression, source: cst.CSTNode) -> None:
        if isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self._flow(element.value, source)
        elif isinstance(target, cst.StarredElement):
            self._flow(target.value, source)
        elif (path := object_path(target)) is not None:
            self.facts.flows.append((path, source))

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._flow(target.target, node)

    def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
        self._bind(node.target, node)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._bind(node.target, node)
        if node.value is not None:
            self._flow(node.target, node)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._bind(node.target, node)
        self._flow(node.target, node)  # the node: the new value reads the old one

    def visit_Del(self, node: cst.Del) -> None:
        self._bind(node.target, node)

    def visit_AsName(self, node: cst.AsName) -> None:
        self._bind(node.name, node)

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        self._bind(node.target, node)
        self._flow(node.target, node)

    def visit_WithItem(self, node: cst.WithItem) -> None:
        if node.asname is not None:
            self._flow(node.asname.name, node.item)

    def visit_ImportAlias(self, node: cst.ImportAlias) -> None:
        path = dotted(node.name)
        if node.asname is None and path is not None:
            self.facts.assigned.setdefault(path[0], node)  # `import a.b` binds `a`

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        self._bind(node.name, node)
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        self._bind(node.name, node)
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False

    def visit_For(self, node: cst.For) -> None:
        self._bind(node.target, node)
        self._flow(node.target, node.iter)
        self.loops += 1

    def leave_For(self, original_node: cst.For) -> None:
        self.loops -= 1

    def visit_While(self, node: cst.While) -> None:
        self.loops += 1

    def leave_While(self, original_node: cst.While) -> None:
        self.loops -= 1

    def visit_Call(self, node: cst.Call) -> None:
        if self.is_exit_call(node):
            self.facts.exits.append(Exit("exit", node))
        if id(node) in self.skip or reads_only(node):
            return  # a submission, a wait or a read (``d.get(k)``): changes nothing the body reads
        func = node.func
        if isinstance(func, cst.Attribute) and (path := object_path(func.value)) is not None:
            self._change(path, node)  # a method may change its object
        if isinstance(func, cst.Name) and func.value in _READ_ONLY_CALLS:
            return
        for arg in node.args:  # ... and a function the objects passed to it
            if (path := object_path(arg.value)) is not None:
                self._change(path, node)

    def _change(self, path: Path, call: cst.Call) -> None:
        self.facts.changed.append((path, call))
        self.facts.flows.append((path, call))  # with whatever the call reads

    def _exit(self, kind: str, node: cst.CSTNode) -> None:
        self.facts.exits.append(Exit(kind, node))

    def visit_Break(self, node: cst.Break) -> None:
        if not self.loops:
            self._exit("break", node)

    def visit_Continue(self, node: cst.Continue) -> None:
        if not self.loops:
            self._exit("continue", node)

    def visit_Return(self, node: cst.Return) -> None:
        self._exit("return", node)

    def visit_Raise(self, node: cst.Raise) -> None:
        self._exit("raise", node)

    def visit_Assert(self, node: cst.Assert) -> None:
        self._exit("assert", node)

    def visit_Yield(self, node: cst.Yield) -> None:
        self._exit("yield", node)

    def visit_Await(self, node: cst.Await) -> None:
        self._exit("await", node)


def body_facts(
    parts: Iterable[cst.CSTNode],
    *,
    skip: Collection[cst.CSTNode] = (),
    is_exit_call: Callable[[cst.Call], bool] = lambda call: False,
) -> BodyFacts:
    """The facts of a loop body made of ``parts``. Calls in ``skip`` are known not to
    change their receiver (the rule's own submissions and waits)."""
    visitor = _Facts(skip, is_exit_call)
    for part in parts:
        part.visit(visitor)
    return visitor.facts
