"""Findings made on Python's ``ast``, equal to those the libcst side of a rule makes: the
same positions (libcst counts columns in characters, ``ast`` in UTF-8 bytes), the same
text for a node, the same order of nodes. Where the two trees could disagree (a node in
parentheses, which libcst counts as part of it), the helpers say so and the rule asks
libcst instead.
"""

from __future__ import annotations

import ast
import io
import tokenize
from functools import cached_property

from ..model import Finding, RuleSpec, not_fixed_note
from .ast_scopes import AstScopes


class AstSource:
    """One module's text, for findings on its ``ast``."""

    def __init__(self, text: str, scopes: AstScopes) -> None:
        self.text = text
        self.scopes = scopes

    @cached_property
    def lines(self) -> list[str]:
        return io.StringIO(self.text, newline="").readlines()  # only \n, \r\n and \r end a line

    def column(self, line: int, offset: int) -> int:
        """The 0-based column, in characters, of UTF-8 byte ``offset`` on ``line``."""
        text = self.lines[line - 1]
        return offset if text.isascii() else len(text.encode("utf-8")[:offset].decode("utf-8", "replace"))

    def code(self, node: ast.expr) -> str | None:
        """The text of ``node`` as libcst's ``code_for_node`` gives it; None when the node
        may be in parentheses of its own, which libcst's text would hold."""
        if self.parenthesised(node):
            return None
        return self.segment(node)

    def segment(self, node: ast.expr) -> str:
        """The text of ``node``, as ``ast.get_source_segment`` gives it, from the lines
        split once."""
        assert node.end_lineno is not None and node.end_col_offset is not None
        start, end = self.column(node.lineno, node.col_offset), self.column(node.end_lineno, node.end_col_offset)
        if node.lineno == node.end_lineno:
            return self.lines[node.lineno - 1][start:end]
        lines = self.lines[node.lineno - 1 : node.end_lineno]
        return "".join([lines[0][start:], *lines[1:-1], lines[-1][:end]])

    def parenthesised(self, node: ast.expr) -> bool:
        """Whether an opening parenthesis may come right before ``node`` (then it may be
        the node's own, or a call's: the rule does not decide on ``ast``). The tokens read
        are those of the statement that holds the node, up to it."""
        statement: ast.AST | None = node
        while statement is not None and not isinstance(statement, ast.stmt):
            if isinstance(statement, ast.JoinedStr):
                return True  # in an f-string, whose tokens differ from one Python to another
            statement = self.scopes.parent(statement)
        first = statement.lineno if statement is not None else node.lineno
        line, column = node.lineno, self.column(node.lineno, node.col_offset)
        tokens = _tokens("".join(self.lines[first - 1 : line - 1]) + self.lines[line - 1][:column])
        if tokens is None:
            return True
        significant = [token for token in tokens if token.type not in _TRIVIA]
        return bool(significant) and significant[-1].string == "("

    def finding(self, spec: RuleSpec, node: ast.expr, message: str, not_fixed: str) -> Finding:
        """A finding of ``spec`` at ``node``, without a fix, as ``RuleVisitor.report`` makes it."""
        assert node.end_lineno is not None and node.end_col_offset is not None
        finding = Finding(
            code=spec.code,
            name=spec.name,
            message=message,
            line=node.lineno,
            column=self.column(node.lineno, node.col_offset) + 1,
            end_line=node.end_lineno,
            end_column=self.column(node.end_lineno, node.end_col_offset) + 1,
        )
        return finding.noted(not_fixed_note(not_fixed))


def _tokens(text: str) -> list[tokenize.TokenInfo] | None:
    """The tokens of ``text``, which may end inside brackets; None when it cannot be read
    as tokens (it ends inside a string, or starts in one)."""
    found: list[tokenize.TokenInfo] = []
    try:
        found.extend(tokenize.generate_tokens(io.StringIO(text).readline))
    except tokenize.TokenError as error:
        if "statement" not in str(error):
            return None  # ends inside a string: cut off mid-token
    except (SyntaxError, IndentationError):
        return None
    return found


_TRIVIA = frozenset(
    {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER}
)


def one_string(source: AstSource, node: ast.expr | None) -> str | None:
    """The value of ``node`` when it is one string literal (libcst's ``SimpleString``);
    ``ast`` joins ``"a" "b"`` into one constant, which libcst does not evaluate."""
    if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
        return None
    text = source.segment(node)
    strings = [t for t in _tokens(text) or () if t.type == tokenize.STRING]
    return node.value if len(strings) == 1 else None
