"""Rewrites that hand an object from the parent to its children, applied in one pass.

``Edits`` collects changes by node identity (a node replaced by a function of its updated
self, statements inserted before a statement, statements removed) and applies them in one
transformation, keeping blank lines and comments where a reader expects them. The other
functions build the pieces: a parameter, an argument, a pool initializer.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import TypeVar

import libcst as cst

from ..analysis import match as m
from ..analysis.facts import parents_in
from .nodes import as_block_statement, leading_lines, split_blank_prefix

Node = TypeVar("Node", bound=cst.CSTNode)


def _is_def(statement: cst.CSTNode | None) -> bool:
    return isinstance(statement, (cst.FunctionDef, cst.ClassDef))


def _own_comments(statement: cst.BaseStatement) -> list[cst.EmptyLine]:
    """A moving statement's comment lines, without the blank lines before them."""
    return split_blank_prefix(leading_lines(as_block_statement(statement)))[1]


class Edits(cst.CSTTransformer):
    def __init__(self) -> None:
        super().__init__()
        self._changes: dict[int, list[Callable[[cst.CSTNode], cst.CSTNode]]] = defaultdict(list)
        self._before: dict[int, list[cst.BaseStatement]] = defaultdict(list)
        self._removed: set[int] = set()
        self._origin: dict[int, int] = {}  # id(updated statement) -> id(original statement)
        self._targets: list[cst.CSTNode] = []  # every node changed, inserted before or removed
        self._reach: set[int] | None = None  # the nodes that hold a target (None: every node)

    def change(self, node: Node, how: Callable[[Node], cst.CSTNode]) -> None:
        # Kept by node identity, of every kind at once: each ``how`` gets the node it was given for.
        self._changes[id(node)].append(how)  # type: ignore[arg-type]
        self._targets.append(node)

    def insert_before(self, anchor: cst.BaseStatement, statements: Sequence[cst.BaseStatement]) -> None:
        self._before[id(anchor)].extend(statements)
        self._targets.append(anchor)

    def remove(self, statement: cst.BaseStatement) -> None:
        self._removed.add(id(statement))
        self._targets.append(statement)

    def apply(self, module: cst.Module) -> cst.Module:
        """``module`` with the edits made. In the module under analysis only the nodes
        that hold an edited one are visited: a subtree without one comes back as it is,
        as the full transformation would give it back."""
        self._reach = _reach_of(module, self._targets)
        return module.visit(self)

    def on_visit(self, node: cst.CSTNode) -> bool:
        return super().on_visit(node) and (self._reach is None or id(node) in self._reach)

    def on_leave(self, original_node: cst.CSTNode, updated_node: cst.CSTNode):
        updated = super().on_leave(original_node, updated_node)
        for how in self._changes.get(id(original_node), ()):
            updated = how(updated)  # type: ignore[arg-type]  # a changed node is never removed first
        if isinstance(updated, cst.BaseStatement):
            self._origin[id(updated)] = id(original_node)
        return updated

    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> cst.Module:
        return updated_node.with_changes(body=self._block(updated_node.body, top=True))

    def leave_IndentedBlock(
        self, original_node: cst.IndentedBlock, updated_node: cst.IndentedBlock
    ) -> cst.IndentedBlock:
        return updated_node.with_changes(
            body=self._block(updated_node.body, top=False) or [cst.SimpleStatementLine([cst.Pass()])]
        )

    def _block(self, body: Sequence[cst.BaseStatement], top: bool) -> list[cst.BaseStatement]:
        result: list[cst.BaseStatement] = []
        pending: list[cst.EmptyLine] = []  # the blank lines of a removed statement
        for statement in body:
            origin = self._origin.get(id(statement))
            blank, comments = split_blank_prefix(list(leading_lines(statement)))
            inserted = self._before.get(origin, []) if origin is not None else []
            if inserted:
                # At the top level, definitions get the spacing the anchor had; in a block,
                # the inserted statements take the anchor's blank lines.
                previous = None
                for new in inserted:
                    lines = blank if previous is None or (top and (_is_def(previous) or _is_def(new))) else []
                    result.append(new.with_changes(leading_lines=[*lines, *_own_comments(new)]))
                    previous = new
                blank = blank if top and (_is_def(previous) or _is_def(statement)) else []
            if origin in self._removed:
                pending = max(pending, blank, key=len)
                continue
            statement = statement.with_changes(leading_lines=[*max(pending, blank, key=len), *comments])
            pending = []
            result.append(statement)
        return result


def _reach_of(module: cst.Module, targets: Sequence[cst.CSTNode]) -> set[int] | None:
    """The ids of ``targets`` and of every node above one in ``module``; None when that is
    not known (``module`` is not the module under analysis, or a target is not in it)."""
    parents = parents_in(module)
    if parents is None:
        return None
    holding = {id(module)}
    for target in targets:
        node: cst.CSTNode | None = target
        while node is not None and id(node) not in holding:
            holding.add(id(node))
            node = parents.get(node)
        if node is None:  # the walk up left the module: the target is not one of its nodes
            return None
    return holding


# -- the pieces ------------------------------------------------------------------------


def _append(items: Sequence[Node], new: Node) -> list[Node]:
    """``items`` (arguments, elements, parameters) with ``new`` last, commas kept tidy."""
    if not items:
        return [new]
    last = items[-1]
    comma = getattr(last, "comma", cst.MaybeSentinel.DEFAULT)
    if isinstance(comma, cst.Comma) and isinstance(comma.whitespace_after, cst.ParenthesizedWhitespace):
        # One item a line: the new one takes the closing line's comma.
        new = new.with_changes(comma=comma)
        last = last.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
    else:
        last = last.with_changes(comma=cst.MaybeSentinel.DEFAULT)
    return [*items[:-1], last, new]


def append_element(sequence: cst.Tuple | cst.List, name: str) -> cst.Tuple | cst.List:
    return sequence.with_changes(elements=_append(sequence.elements, cst.Element(cst.Name(name))))


def add_dict_entry(mapping: cst.Dict, name: str) -> cst.Dict:
    entry = cst.DictElement(cst.SimpleString(f'"{name}"'), cst.Name(name))
    return mapping.with_changes(elements=_append(mapping.elements, entry))


def add_keyword(call: cst.Call, keyword: str, value: cst.BaseExpression, after: str | None = None) -> cst.Call:
    """``call`` with ``keyword=value``, right after the argument ``after`` when given."""
    arg = cst.Arg(
        value=value,
        keyword=cst.Name(keyword),
        equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace("")),
    )
    args = list(call.args)
    position = next(
        (i + 1 for i, a in enumerate(args) if a.keyword is not None and a.keyword.value == after), len(args)
    )
    if position == len(args):
        return call.with_changes(args=_append(args, arg))
    return call.with_changes(
        args=[*args[:position], arg.with_changes(comma=args[position - 1].comma), *args[position:]]
    )


def change_keyword(call: cst.Call, keyword: str, how: Callable[[cst.BaseExpression], cst.BaseExpression]) -> cst.Call:
    args = [
        a.with_changes(value=how(a.value)) if a.keyword is not None and a.keyword.value == keyword else a
        for a in call.args
    ]
    return call.with_changes(args=args)


def add_parameter(function: cst.FunctionDef, name: str, keyword_only: bool) -> cst.FunctionDef:
    params = function.params
    param = cst.Param(cst.Name(name))
    if keyword_only:
        star = params.star_arg if isinstance(params.star_arg, cst.CSTNode) else cst.ParamStar()
        params = params.with_changes(star_arg=star, kwonly_params=_append(params.kwonly_params, param))
    else:
        params = params.with_changes(params=_append(params.params, param))
    return function.with_changes(params=params)


def placeholder(names: Sequence[str]) -> cst.SimpleStatementLine:
    """``a = b = None``: keeps the names module globals that children can read."""
    targets = [cst.AssignTarget(cst.Name(name)) for name in names]
    return cst.SimpleStatementLine([cst.Assign(targets=targets, value=cst.Name("None"))])


INITIALIZER_DOC = '"""Pool initializer: bind what the parent shares with this worker process."""'


def _binding(names: Sequence[str], params: Sequence[str]) -> list[cst.BaseStatement]:
    lines = [f"global {', '.join(names)}", *(f"{name} = {param}" for name, param in zip(names, params, strict=False))]
    return [cst.parse_statement(line + "\n") for line in lines]


def _small(statement: cst.CSTNode) -> cst.BaseSmallStatement | None:
    if isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1:
        return statement.body[0]
    return None


def make_initializer(function_name: str, names: Sequence[str], params: Sequence[str]) -> cst.FunctionDef:
    body = [cst.parse_statement(INITIALIZER_DOC + "\n"), *_binding(names, params)]
    return cst.FunctionDef(
        name=cst.Name(function_name),
        params=cst.Parameters([cst.Param(cst.Name(param)) for param in params]),
        body=cst.IndentedBlock(body),
    )


_DOCSTRING = m.SimpleStatementLine(body=[m.Expr(value=m.SimpleString() | m.ConcatenatedString())])


def extend_initializer(function: cst.FunctionDef, names: Sequence[str], params: Sequence[str]) -> cst.FunctionDef:
    """An existing initializer that also binds ``names`` from new last parameters."""
    for param in params:
        function = add_parameter(function, param, keyword_only=False)
    body = list(function.body.body)
    start = 1 if body and m.matches(body[0], _DOCSTRING) else 0
    declaration, *assignments = _binding(names, params)
    first = _small(body[start]) if start < len(body) else None
    if isinstance(first, cst.Global):
        # Join the leading ``global`` and add the assignments after the leading bindings.
        new_names = [
            *first.names[:-1],
            first.names[-1].with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))),
        ]
        new_names += [cst.NameItem(cst.Name(name)) for name in names]
        body[start] = body[start].with_changes(body=[first.with_changes(names=new_names)])
        end = start + 1
        while end < len(body) and isinstance(
            assign := _small(body[end]), cst.Assign
        ) and m.matches(assign, m.Assign(targets=[m.AssignTarget(m.Name())], value=m.Name())):
            end += 1
        body[end:end] = assignments
    else:
        body[start:start] = [declaration, *assignments]
    return function.with_changes(body=function.body.with_changes(body=body))
