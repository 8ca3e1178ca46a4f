"""Where the nodes of a module are, and its code: libcst's PositionProvider, computed one
statement at a time, and the module's code from the same generation (see mpfix.analysis.facts)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

import libcst as cst
from libcst._nodes.internal import CodegenState
from libcst.metadata import CodeRange, PositionProvider
from libcst.metadata.position_provider import PositionProvidingCodegenState

if TYPE_CHECKING:  # pragma: no cover
    from .facts import ModuleFacts


class Positions(Mapping):
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
        self.tokens: list[str] = []  # that generation's tokens
        self.token_spans: dict[cst.CSTNode, tuple[int, int]] = {}  # statement -> its tokens, [first, past the last)

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
        self.tokens, self.token_spans = state.tokens, {n: (at, state.ends[n]) for n, (at, _) in state.starts.items()}
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

    def code_of(self, new: cst.Module) -> str:
        """``new.code``, for a module that fixes made from this one (by swapping nodes, see
        mpfix.rewrite.nodes.swap_nodes, or by replacing the module with one that keeps some
        of its statements): the text of each top-level statement that ``new`` keeps is
        taken from this module's generation (see :attr:`code`), and only the others are
        generated. A fix of a few lines in a large file does not generate the whole file again."""
        old = self.facts.module
        same = (
            new.header is old.header
            and new.footer is old.footer
            and new.has_trailing_newline  # else the generation drops the last newline, whichever statement ends it
            and old.has_trailing_newline
            and new.default_indent == old.default_indent
            and new.default_newline == old.default_newline
            and old.body
            and new.body  # an empty module generates a newline of its own
        )
        if not same:
            return new.code
        self.record()
        tokens, spans = self.tokens, self.token_spans
        pieces = ["".join(tokens[: spans[old.body[0]][0]])]  # the header
        kept = {id(statement): spans[statement] for statement in old.body}  # a nested one's text has its indentation
        for statement in new.body:
            span = kept.get(id(statement))
            pieces.append(new.code_for_node(statement) if span is None else "".join(tokens[span[0] : span[1]]))
        pieces.append("".join(tokens[spans[old.body[-1]][1] :]))  # the footer
        return "".join(pieces)

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
        self.ends: dict[cst.CSTNode, int] = {}

    def before_codegen(self, node: cst.CSTNode) -> None:
        statement = _STATEMENT_TYPES.get(type(node))
        if statement is None:
            statement = _is_statement(type(node))
        if statement:
            self.starts[node] = (len(self.tokens), tuple(self.indent_tokens))

    def after_codegen(self, node: cst.CSTNode) -> None:
        if _STATEMENT_TYPES.get(type(node)):  # (each type was seen before its node's code)
            self.ends[node] = len(self.tokens)


# A node type -> whether it is a statement type: ``isinstance`` of libcst's abstract base
# class, on every node the generation passes, costs more than the look-up.
_STATEMENT_TYPES: dict[type, bool] = {}


def _is_statement(kind: type) -> bool:
    found = _STATEMENT_TYPES[kind] = issubclass(kind, cst.BaseStatement)
    return found


class _Recorder:
    """Where PositionProvidingCodegenState writes the positions it computes."""

    def __init__(self) -> None:
        self._computed: dict[cst.CSTNode, CodeRange] = {}


def _line_count(code: str) -> int:
    """The lines ``code`` ends, whichever of ``\n``, ``\r\n`` and ``\r`` end them."""
    return code.count("\n") + code.count("\r") - code.count("\r\n")
