"""The ``if __name__ == "__main__":`` guard, built: its statements, and a new one."""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst


def guard_body(guard: cst.If) -> list[cst.BaseStatement]:
    """The statements of a guard, the one-line form (``if ...: main()``) included."""
    body = guard.body
    if isinstance(body, cst.IndentedBlock):
        return list(body.body)
    # ``if __name__ == "__main__": a(); b()`` holds small statements on one line.
    assert isinstance(body, cst.SimpleStatementSuite)
    small = [s.with_changes(semicolon=cst.MaybeSentinel.DEFAULT) for s in body.body]
    return [cst.SimpleStatementLine(body=small, trailing_whitespace=body.trailing_whitespace)]


DEFAULT_TEST = cst.parse_expression('__name__ == "__main__"')


def make_guard(
    body: Sequence[cst.BaseStatement],
    *,
    test: cst.BaseExpression = DEFAULT_TEST,
    leading_lines: Sequence[cst.EmptyLine] = (),
    header: cst.TrailingWhitespace | None = None,
) -> cst.If:
    """A new guard around ``body``; libcst re-indents the statements. A blank line that
    was at module level (where libcst marks every line indented) stays blank, without
    the block's indentation."""
    block = cst.IndentedBlock(body=[_blank(statement) for statement in body])
    if header is not None:
        block = block.with_changes(header=header)
    return cst.If(test=test, body=block, leading_lines=list(leading_lines))


def _blank(statement: cst.BaseStatement) -> cst.BaseStatement:
    """``statement`` with each of its empty leading lines unindented."""
    lines = getattr(statement, "leading_lines", ())
    if not any(_empty(line) for line in lines):
        return statement
    unindented = [line.with_changes(indent=False) if _empty(line) else line for line in lines]
    return statement.with_changes(leading_lines=unindented)


def _empty(line: cst.EmptyLine) -> bool:
    return line.comment is None and not line.whitespace.value
