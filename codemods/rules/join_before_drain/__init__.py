"""MP010 join-before-drain: a process is joined before the queue it puts into is read.

A child that put items into a ``multiprocessing`` queue does not exit until its feeder
thread has written them all into the pipe; if they do not fit, it waits for the parent
to read, while the parent waits in ``join()`` for the child to exit. The simple shape, the
joins right before the statements that read the queue, is fixed by moving the joins after
them; queue_reads, beside this module, decides which reads may move ahead of the joins.
"""

from __future__ import annotations

import libcst as cst

from ...analysis import match as m
from ...analysis.facts import findall
from ...rewrite.nodes import leading_lines, split_blank_prefix
from .._base import RuleVisitor, Unfixable
from .queue_reads import QueueReads, receiver_of

TITLE = "Join the processes after reading the queue"


def _join_call(node: cst.CSTNode, receiver: str | None = None) -> cst.Call | None:
    """``X.join()`` (also ``X.join(None)``), whose receiver is a plain name."""
    matcher = m.Call(func=m.Attribute(value=m.Name(receiver) if receiver else m.Name(), attr=m.Name("join")))
    if not (isinstance(node, cst.Call) and m.matches(node, matcher)):
        return None
    args = node.args
    return node if not args or (len(args) == 1 and m.matches(args[0], m.Arg(m.Name("None"), keyword=None))) else None


class JoinBeforeDrain(RuleVisitor):

    def visit_Module(self, node: cst.Module) -> None:
        self.reads = QueueReads(self.bindings, self.api, node)
        self._scan(node, list(node.body))

    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        self._scan(node, list(node.body))

    # -- the shape ---------------------------------------------------------------------

    def _joined(self, statement: cst.BaseStatement) -> list[tuple[cst.Call, cst.BaseExpression | None]] | None:
        """The ``join()`` calls of a statement that only joins processes, each with the list
        its receiver loops over: ``p.join()``, ``for p in procs: p.join()``,
        ``[p.join() for p in procs]``."""
        if isinstance(statement, cst.SimpleStatementLine):
            calls = [_join_call(s.value) if isinstance(s, cst.Expr) else None for s in statement.body]
            if calls and None not in calls:
                return [(call, None) for call in calls]  # type: ignore[misc]
            value = (
                statement.body[0].value
                if len(statement.body) == 1 and isinstance(statement.body[0], cst.Expr)
                else None
            )
            if isinstance(value, (cst.ListComp, cst.GeneratorExp)) and m.matches(
                value.for_in, m.CompFor(target=m.Name(), ifs=[], inner_for_in=None)
            ):
                call = _join_call(value.elt, value.for_in.target.value)  # type: ignore[attr-defined]
                return [(call, value.for_in.iter)] if call else None
            return None
        if isinstance(statement, cst.For) and isinstance(statement.target, cst.Name) and statement.orelse is None:
            body = statement.body
            lines = body.body if isinstance(body, cst.IndentedBlock) else [body]
            small = (
                lines[0].body
                if len(lines) == 1 and isinstance(lines[0], (cst.SimpleStatementLine, cst.SimpleStatementSuite))
                else ()
            )
            if (
                len(small) == 1
                and isinstance(small[0], cst.Expr)
                and (call := _join_call(small[0].value, statement.target.value))
            ):
                return [(call, statement.iter)]
        return None

    def _loop_join(self, statement: cst.BaseStatement) -> cst.Call | None:
        """A ``join()`` of the loop variable in a loop that also does other work."""
        if isinstance(statement, cst.For) and isinstance(statement.target, cst.Name):
            name = statement.target.value
            return next((join for c in findall(statement.body, m.Call()) if (join := _join_call(c, name))), None)
        return None

    def _scan(self, block: cst.CSTNode, body: list[cst.BaseStatement]) -> None:
        index = 0
        while index < len(body):
            start, joins = index, []
            while index < len(body) and (found := self._joined(body[index])) is not None:
                joins += found
                index += 1
            if joins:
                self._judge(block, body, start, index, joins, None)
                continue
            if isinstance(body[index], cst.For) and (call := self._loop_join(body[index])) is not None:
                unfixable = (
                    "the loop that joins the processes also does other work; join them in a loop of their own after "
                    "the reads"
                )
                self._judge(block, body, index, index + 1, [(call, body[index].iter)], unfixable)  # type: ignore[attr-defined]
            index += 1

    # -- the finding ---------------------------------------------------------------------

    def _judge(
        self,
        block: cst.CSTNode,
        body: list[cst.BaseStatement],
        start: int,
        end: int,
        joins: list[tuple[cst.Call, cst.BaseExpression | None]],
        unfixable: str | None,
    ) -> None:
        processes = [self.reads.process_calls(loop if loop is not None else call.func.value) for call, loop in joins]  # type: ignore[attr-defined]
        queues = self.reads.queues_put_by(processes)
        if not queues or any(self.reads.reads(s, queues) for s in body[:start]):
            return  # no queue, or the parent reads it before it joins
        after = body[end:]
        first = next(
            (
                i
                for i, s in enumerate(after)
                if self.reads.reads(s, queues)
                or self.reads.handed_to_reader(s, queues)
                or self.reads.reader_handed_on(s, queues) is not None
            ),
            None,
        )
        if first is None:
            return
        queue = self.reads.name_of(queues, after[first])
        joined = self.module.code_for_node(joins[0][0].func)
        message = (
            f"`{joined}()` waits for a process that puts into `{queue}` before the parent reads `{queue}`: "
            "a child does not exit until its items are in the pipe, so if they do not fit, "
            "parent and child wait for each other forever"
        )
        try:
            if unfixable is not None:
                raise Unfixable(unfixable)
            handed = self.reads.reader_handed_on(after[first], queues)
            if not self.reads.reads(after[first], queues) and handed is not None:
                raise Unfixable(
                    f"`{self.module.code_for_node(handed)}` is handed on, uncalled, on line {self.line(handed)}; "
                    "read the queue before the join"
                )
            if not self.reads.reads(after[first], queues):
                raise Unfixable(
                    f"`{queue}` is read by the function called on line {self.line(after[first])}; call it before the "
                    "join"
                )
            reading = self.reads.run(after, queues)
            names = {receiver_of(call) for call, _ in joins} | {
                loop.value for _, loop in joins if isinstance(loop, cst.Name)
            }
            unsafe = self.reads.check(reading, after[len(reading) :], queues, names)
        except Unfixable as why:
            self.report(joins[0][0], message, not_fixed=why)
            return
        new = self._reordered(block, body, start, end, len(reading))
        self.report(joins[0][0], message, fix=(block, new), unsafe=unsafe, fix_title=TITLE)

    def _reordered(
        self, block: cst.CSTNode, body: list[cst.BaseStatement], start: int, end: int, count: int
    ) -> cst.CSTNode:
        """``block`` with the join statements moved after the ``count`` reading statements
        that follow them; blank lines stay where they were, comments go with their statement."""
        joins, reading = body[start:end], body[end : end + count]
        join_blank, join_comments = split_blank_prefix(leading_lines(joins[0]))
        read_blank, read_comments = split_blank_prefix(leading_lines(reading[0]))
        reading = [reading[0].with_changes(leading_lines=[*join_blank, *read_comments]), *reading[1:]]
        joins = [joins[0].with_changes(leading_lines=[*read_blank, *join_comments]), *joins[1:]]
        new_body = [*body[:start], *reading, *joins, *body[end + count :]]
        return block.with_changes(body=new_body)


RULE = JoinBeforeDrain
