"""Building the submit-all-then-wait form of a loop that waits for each task it submits.

``for x in xs: body(pool.apply_async(f, (x,)).get())`` becomes a comprehension that
submits every task and the original loop over the handles::

    handles = [(x, pool.apply_async(f, (x,))) for x in xs]
    for x, handle in handles:
        body(handle.get())

A comprehension becomes a comprehension over a list of handles. Whether the split keeps
the program's meaning is batch_plan's question; this module only builds it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

import libcst as cst

from ...analysis.loop_body import read_paths, target_names
from ...rewrite.nodes import ReplaceNodes as Swap
from ...rewrite.nodes import leading_lines
from .loop_parts import elements_of

Expression = TypeVar("Expression", bound=cst.BaseExpression)

MAX_LINE = 88  # a submitting comprehension longer than this gets one clause a line


@dataclass(frozen=True)
class Wait:
    """One place where an iteration submits a task and blocks until it is done."""

    call: cst.Call  # what blocks: `.get(...)`, `.result(...)`, or `X.apply(...)` itself
    submit: cst.Call  # what submits: `X.apply_async(...)`, `X.submit(...)`, `X.apply(...)`
    guard: str | None  # why it may not run once per iteration (None: it does)
    handle: str | None = None  # `h` of the two-statement form `h = X.apply_async(...)`; `h.get()`
    bind: cst.Assign | None = None  # that assignment, which the split drops

    @property
    def receiver(self) -> cst.BaseExpression:
        return self.submit.func.value  # type: ignore[attr-defined]

    @property
    def method(self) -> str:
        return self.submit.func.attr.value  # type: ignore[attr-defined]

    def reads(self) -> set[tuple[str, ...]]:
        """What the submission reads: its receiver and its arguments."""
        paths = read_paths(self.receiver)
        for arg in self.submit.args:
            paths |= read_paths(arg.value)
        return paths

    @property
    def noun(self) -> str:
        return "future" if self.method == "submit" else "handle"

    def submission(self) -> cst.Call:
        """The call that only submits: ``X.apply(...)`` becomes ``X.apply_async(...)``."""
        if self.method == "apply":
            return self.submit.with_changes(func=self.submit.func.with_changes(attr=cst.Name("apply_async")))
        return self.submit

    def waiting(self, handle: str) -> cst.Call:
        """The call that waits on ``handle``, with the original wait's arguments."""
        if self.call is self.submit:
            return cst.Call(func=cst.Attribute(value=cst.Name(handle), attr=cst.Name("get")))
        return self.call.with_changes(func=self.call.func.with_changes(value=cst.Name(handle)))


def parenthesized(node: Expression) -> Expression:
    """``node``, in parentheses where a comprehension's element or iterable needs them."""
    bare = isinstance(node, (cst.Tuple, cst.IfExp, cst.Lambda, cst.NamedExpr, cst.Yield)) and not node.lpar
    if bare:
        return node.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
    return node


def _tuple(elements: Sequence[Expression], *, parens: bool) -> Expression | cst.Tuple:
    if len(elements) == 1:
        return elements[0]
    lpar, rpar = ([cst.LeftParen()], [cst.RightParen()]) if parens else ([], [])
    return cst.Tuple([cst.Element(parenthesized(e)) for e in elements], lpar=lpar, rpar=rpar)


def split_for(
    loop: cst.For,
    waits: Sequence[Wait],
    handles: Sequence[str],
    collection: str,
    *,
    module: cst.Module,
    column: int,
    keep: bool = True,
) -> list[cst.BaseStatement]:
    """``collection = [(target, submissions...) for target in iterable]`` and the loop over
    it, with each wait on its handle; ``column`` is where the loop starts in ``module``.
    Without ``keep`` (nothing reads the target but the submissions), the target stays in
    the comprehension alone: ``[submission for target in iterable]``."""
    target = parenthesized(loop.target)
    kept = [target] if keep else []
    submissions = [w.submission() for w in waits]
    submitting = cst.ListComp(
        elt=_tuple([*kept, *submissions], parens=True) if len(kept) + len(submissions) > 1 else submissions[0],
        for_in=cst.CompFor(target=loop.target, iter=parenthesized(loop.iter)),
    )
    if column + len(f"{collection} = {module.code_for_node(submitting)}") > MAX_LINE:
        submitting = _wrapped(submitting, module.default_indent)
    first = cst.SimpleStatementLine(
        [cst.Assign([cst.AssignTarget(cst.Name(collection))], submitting)], leading_lines=loop.leading_lines
    )
    body = _without(loop.body, {id(w.bind) for w in waits if w.bind is not None})
    body = Swap({id(w.call): w.waiting(h) for w, h in zip(waits, handles, strict=False)}).apply(body)
    names = [*kept, *map(cst.Name, handles)]
    second = loop.with_changes(
        target=_tuple(names, parens=False) if len(names) > 1 else names[0],
        iter=cst.Name(collection),
        body=body,
        leading_lines=[],
    )
    return [first, second]


def split_comprehension(
    comprehension: cst.BaseComp, clauses: Sequence[cst.CompFor], waits: Sequence[Wait], handles: Sequence[str]
) -> cst.BaseComp:
    """The comprehension over ``[(targets it still reads, submissions...) for ...]``."""
    swap = Swap({id(w.call): w.waiting(h) for w, h in zip(waits, handles, strict=False)})
    if isinstance(comprehension, cst.DictComp):
        elements = [swap.apply(comprehension.key), swap.apply(comprehension.value)]
    else:
        elements = [swap.apply(elements_of(comprehension)[0])]
    read = {path[0] for element in elements for path in read_paths(element)}
    kept = [parenthesized(c.target) for c in clauses if target_names(c.target) & read]  # type: ignore[operator]
    submitting = cst.ListComp(
        elt=_tuple([*kept, *(w.submission() for w in waits)], parens=True),
        for_in=_one_line(clauses[0]),
    )
    for_in = cst.CompFor(
        target=_tuple([*kept, *map(cst.Name, handles)], parens=False),
        iter=submitting,
        whitespace_before=clauses[0].whitespace_before,
    )
    if isinstance(comprehension, cst.DictComp):
        return comprehension.with_changes(key=elements[0], value=elements[1], for_in=for_in)
    return comprehension.with_changes(elt=elements[0], for_in=for_in)


def _wrapped(comprehension: cst.ListComp, indent: str) -> cst.ListComp:
    """One clause a line, one ``indent`` deeper than the statement."""

    def line_break(last_line: str) -> cst.ParenthesizedWhitespace:
        return cst.ParenthesizedWhitespace(indent=True, last_line=cst.SimpleWhitespace(last_line))

    return comprehension.with_changes(
        lbracket=cst.LeftSquareBracket(whitespace_after=line_break(indent)),
        for_in=comprehension.for_in.with_changes(whitespace_before=line_break(indent)),
        rbracket=cst.RightSquareBracket(whitespace_before=line_break("")),
    )


def _without(body: cst.BaseSuite, dropped: set[int]) -> cst.BaseSuite:
    """``body`` without the small statements in ``dropped`` (by identity); the comments
    of a line that is left empty go to the next line."""
    if not dropped:
        return body
    if isinstance(body, cst.SimpleStatementSuite):
        return body.with_changes(body=_keep(body.body, dropped))
    statements: list[cst.BaseStatement] = []
    comments: list[cst.EmptyLine] = []
    assert isinstance(body, cst.IndentedBlock)
    for statement in body.body:
        if isinstance(statement, cst.SimpleStatementLine):
            kept = _keep(statement.body, dropped)
            if not kept:
                comments += statement.leading_lines
                continue
            statement = statement.with_changes(body=kept)
        if comments:
            statement = statement.with_changes(leading_lines=[*comments, *leading_lines(statement)])
            comments = []
        statements.append(statement)
    return body.with_changes(body=statements)


def _keep(small: Sequence[cst.BaseSmallStatement], dropped: set[int]) -> list[cst.BaseSmallStatement]:
    kept = [s for s in small if id(s) not in dropped]
    if kept and len(kept) < len(small):
        kept[-1] = kept[-1].with_changes(semicolon=cst.MaybeSentinel.DEFAULT)
    return kept


def _one_line(clause: cst.CompFor) -> cst.CompFor:
    """A comprehension's clauses, each after a single space."""
    return clause.with_changes(
        whitespace_before=cst.SimpleWhitespace(" "),
        ifs=[i.with_changes(whitespace_before=cst.SimpleWhitespace(" ")) for i in clause.ifs],
        inner_for_in=None if clause.inner_for_in is None else _one_line(clause.inner_for_in),
    )
