"""Whether a loop that waits for each task it submits may submit them all first.

Splitting the loop (see loop_split, beside this module) keeps its meaning only when
submitting early changes nothing but *when* tasks run. Each check names, as
:class:`Unfixable`, a way in which it would change more: a task that needs the
previous iteration, side effects that would move ahead of the tasks, an early exit, a wait
that does not run once per iteration. An early exit from a finite loop only costs extra
work, so that fix is kept, as unsafe.
"""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst

from ...analysis import match as m
from ...analysis.facts import findall
from ...analysis.loop_body import (
    BodyFacts,
    body_facts,
    conflicts,
    dotted,
    first_side_effect,
    object_path,
    read_paths,
    target_names,
)
from ...analysis.statements import PURE_BUILTINS
from .._base import Unfixable
from .host import Host, SerialByDesign
from .loop_parts import (
    clauses_of,
    elements_of,
    finite,
    flat_statements,
    noisy_statement,
)
from .loop_split import Wait, split_comprehension, split_for
from .result_flow import ResultFlow

COMPREHENSIONS = (cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)
Loop = cst.For | cst.While | cst.ListComp | cst.SetComp | cst.DictComp | cst.GeneratorExp


class BatchPlan:
    def __init__(self, host: Host, loop: Loop, waits: Sequence[Wait]) -> None:
        self.host = host
        self.loop = loop
        self.waits = list(waits)
        self.last = max(waits, key=lambda w: host.position(w.call)).call

    def _before(self, node: cst.CSTNode, other: cst.CSTNode) -> bool:
        return self.host.position(node) < self.host.position(other)

    def build(self) -> tuple[cst.CSTNode, cst.CSTNode, str | None]:
        """(node to replace, its replacement, why the fix is unsafe or None)."""
        loop = self.loop
        clauses: list[cst.CompFor] = []
        parts: list[cst.CSTNode]
        iterable: cst.BaseExpression | None
        if isinstance(loop, cst.While):
            parts, iterable = [loop.test, loop.body], None
        elif isinstance(loop, cst.For):
            parts, iterable = [loop.body], loop.iter
        else:
            clauses = clauses_of(loop)
            if any(c.asynchronous is not None for c in clauses):
                raise Unfixable("an asynchronous comprehension may interleave with other coroutines")
            parts = [*elements_of(loop), *(i for c in clauses for i in c.ifs), *(c.iter for c in clauses[1:])]
            iterable = clauses[0].iter
        targets: set[str] = set()
        for target in [loop.target] if isinstance(loop, cst.For) else [clause.target for clause in clauses]:
            names = target_names(target)
            if names is None:
                raise Unfixable(f"the loop target `{self._code(target)}` is not a plain name")
            targets |= names
        skip = [node for w in self.waits for node in (w.call, w.submit)]
        facts = body_facts(parts, skip=skip, is_exit_call=self.host.is_exit_call)
        self._check_receivers(facts, targets)
        self._check_conversation(facts, targets)
        if isinstance(loop, cst.While):
            raise Unfixable(
                "in a `while` loop the condition may depend on each result, so the tasks cannot be submitted up front"
            )
        if isinstance(loop, cst.For) and loop.asynchronous is not None:
            raise Unfixable("an `async for` loop may interleave with other coroutines")
        if isinstance(loop, cst.For) and self.host.in_class_body(loop):
            raise Unfixable("the loop is in a class body, whose names a comprehension cannot see")
        for wait in self.waits:
            if wait.guard is not None:
                raise Unfixable(wait.guard)
        assert iterable is not None  # only a `while` loop has none
        reasons = [self._check_exits(facts, targets, iterable), self._check_input(iterable)]
        unsafe = "; ".join(reason for reason in reasons if reason) or None
        self._check_dependencies(facts, targets, iterable)
        self._check_arguments(facts, targets)
        if isinstance(loop, cst.For):
            self._check_statements_before_the_wait(loop)
            return (*self._split_for(loop), unsafe)
        for part in parts[len(elements_of(loop)) :]:  # conditions and inner iterables run first
            if (noisy := first_side_effect(part)) is not None:
                raise Unfixable(self._runs_before(noisy))
        for element in elements_of(loop):
            self._check_before_the_wait(element)
        if isinstance(loop, cst.GeneratorExp):
            self._check_consumer(loop)
        handles = self._handles(elements_of(loop)[0])
        return loop, split_comprehension(loop, clauses, self.waits, handles), unsafe

    # -- checks ----------------------------------------------------------------------

    def _runs_before(self, node: cst.CSTNode) -> str:
        return (
            f"`{self._code(node)}` ({self._at(node)}) runs before the wait and may have side effects, "
            "which would then happen after every task was submitted"
        )

    def _check_receivers(self, facts: BodyFacts, targets: set[str]) -> None:
        """A pool made for each iteration (a test of each start method or pool class, a
        retry with a fresh pool) is the loop's purpose; a loop over pools sends one task to
        each."""
        for wait in self.waits:
            receiver = wait.receiver
            kind = "executor" if wait.method == "submit" else "pool"
            if isinstance(receiver, cst.Call) and self.host.creates_workers(receiver):
                raise SerialByDesign
            path = object_path(receiver)
            if path is not None and path[0] in targets:
                raise Unfixable(f"the loop iterates over {kind}s (`{path[0]}`), one task each")
            if path is not None and path[0] in facts.assigned:
                binding = facts.assigned[path[0]]
                if self._binds_a_call(binding):
                    raise SerialByDesign
                raise Unfixable(
                    f"the {kind} `{path[0]}` is bound inside the loop ({self._at(binding)}), so each task may go to "
                    f"another {kind}"
                )

    def _binds_a_call(self, binding: cst.CSTNode) -> bool:
        """``binding`` (of ``p = ...`` or ``with ... as p``) binds what a call returns.

        Whatever the callee (``Pool()``, ``executor_type(max_workers=1)``, a library's own
        pool class), each iteration then sends its task to the pool it has just built:
        submitting every task to one pool is no rewrite of that loop."""
        parent = self.host.parent(binding)
        if isinstance(binding, cst.AssignTarget):
            value = parent.value  # type: ignore[union-attr]
        elif isinstance(binding, cst.AsName) and isinstance(parent, cst.WithItem):
            value = parent.item
        else:
            return False
        return isinstance(value, cst.Call)

    def _check_conversation(self, facts: BodyFacts, targets: set[str]) -> None:
        """Each task needs an earlier result, or a result decides whether the loop goes on."""
        flow = ResultFlow(
            facts, [w.call for w in self.waits], targets,
            before=self._before, inside=self._inside, parent=self.host.parent,
        )  # fmt: skip
        if any(flow.carried_into(wait.submit, wait.reads()) for wait in self.waits):
            raise SerialByDesign
        decides = isinstance(self.loop, cst.While) and flow.reads_a_result(self.loop.test)
        if flow.decides_to_stop(self.loop) or decides:
            raise SerialByDesign
        # `any()` and `all()` stop at the first decisive result: a search, one step at a time.
        if isinstance(self.loop, cst.GeneratorExp) and self.host.consumer(self.loop) in ("any", "all"):
            raise SerialByDesign

    def _check_exits(self, facts: BodyFacts, targets: set[str], iterable: cst.BaseExpression) -> str | None:
        for exit in facts.exits:
            if exit.kind in ("yield", "await"):
                raise Unfixable(
                    f"the loop pauses at `{exit.kind}` ({self._at(exit.node)}) between items, and what runs meanwhile "
                    "may change what the next task needs"
                )
            if exit.kind == "continue" and self._before(exit.node, self.last):
                raise Unfixable(
                    f"`continue` ({self._at(exit.node)}) skips the wait on some iterations; submitting every task "
                    "first would run the tasks it skips"
                )
        leaving = [exit for exit in facts.exits if exit.kind in ("break", "return", "raise", "assert", "exit")]
        if not leaving:
            return None
        first = leaving[0]
        how = f"`{self._code(first.node)}`" if first.kind == "exit" else f"`{first.kind}`"
        if not any(path[0] in targets for wait in self.waits for path in wait.reads()):
            raise Unfixable(
                f"every iteration submits the same task and {how} ({self._at(first.node)}) can end the loop: a retry "
                "pattern"
            )
        return self._early_exit(f"{how} ({self._at(first.node)}) can leave the loop early", iterable)

    def _check_input(self, iterable: cst.BaseExpression) -> str | None:
        """Why reading the whole iterable before the loop body is unsafe: an open file,
        ``sys.stdin`` or a generator hands out one item at a time, on demand."""
        source = self.host.lazy_input(iterable)
        if source is None or not source.listed:
            return None  # a list, a range, or anything that cannot be told
        if source.endless:
            raise Unfixable(
                f"`{self._code(iterable)}` never ends: submitting every task first would read it forever and never run "
                "the loop body"
            )
        return (
            f"the fix reads all of {source.what} before the loop body sees the first result: it holds every item "
            "and task at once, and what reading runs (a generator's code, a wait for more input) moves ahead of the "
            "loop body"
        )

    def _early_exit(self, exit: str, iterable: cst.BaseExpression) -> str:
        """Why a fix that submits every task before an early exit is unsafe; not fixed
        at all when the iterable may be endless, as reading it all first would never end."""
        if not finite(iterable, self.host.single_value):
            raise Unfixable(
                f"{exit}, and `{self._code(iterable)}` may be long or endless: "
                "submitting every task first would read all of it and run tasks that never ran before"
            )
        return f"{exit}, but by then every task has been submitted, so the tasks of the remaining items still run"

    def _check_dependencies(self, facts: BodyFacts, targets: set[str], iterable: cst.BaseExpression) -> None:
        several = isinstance(self.loop, cst.For) and len(self.waits) > 1
        holders = [self._statement_of(w.call) for w in self.waits] if several else []
        for wait in self.waits:
            for path in sorted(wait.reads()):
                binding = facts.assigned.get(path[0])
                if binding is not None:
                    if any(self._inside(binding, holder) for holder in holders):
                        raise Unfixable(
                            "one iteration waits on several submissions that depend on each other: a submission reads "
                            f"`{path[0]}`, the result of an earlier wait ({self._at(binding)})"
                        )
                    earlier = self._before(binding, wait.submit)
                    # The statement that binds (a def is one), which may hold the submission itself.
                    defines = isinstance(binding, (cst.FunctionDef, cst.ClassDef))
                    holder = binding if defines else self.host.parent(binding)
                    if earlier and not self._inside(wait.submit, holder):
                        raise Unfixable(
                            f"the task's arguments read `{path[0]}`, which the loop body "
                            f"{'defines' if defines else 'computes'} before the submission ({self._at(binding)}), "
                            "so the submission cannot move ahead of the body"
                        )
                    raise Unfixable(
                        f"loop-carried dependency: the task's arguments read `{path[0]}`, which the loop body assigns "
                        f"({self._at(binding)}), so each task needs the iteration before it"
                    )
                for changed, node in facts.changed:
                    # Each iteration has its own item, so changing it cannot reach the next task.
                    if changed[0] not in targets and conflicts(path, changed):
                        raise Unfixable(
                            f"loop-carried dependency: the loop body may change `{'.'.join(changed)}` "
                            f"({self._at(node)}), which the next submission reads"
                        )
        for path in sorted(read_paths(iterable)):  # rebinding its name changes nothing: it is read once
            changes = [node for changed, node in facts.changed if conflicts(path, changed)]
            if changes:
                raise Unfixable(
                    f"the loop body may change `{path[0]}` ({self._at(changes[0])}), which the loop iterates over"
                )

    def _check_arguments(self, facts: BodyFacts, targets: set[str]) -> None:
        for wait in self.waits:
            if wait.method in ("apply", "apply_async") and (
                len(wait.submit.args) > 3 or any(a.keyword and "callback" in a.keyword.value for a in wait.submit.args)
            ):
                raise Unfixable(
                    "the task has a callback, which would then run while the loop body runs, not before the wait "
                    "returns"
                )
            self._check_reentry(wait)
            for part in [wait.receiver, *(a.value for a in wait.submit.args)]:
                noisy = first_side_effect(part)
                if noisy is not None:
                    raise Unfixable(
                        f"the submission calls `{self._code(noisy)}`, which would then run for every item before the "
                        "loop body does"
                    )
                for function in findall(part, m.Lambda()):
                    params = {p.name.value for p in findall(function.params, m.Param())}  # type: ignore[attr-defined]
                    late = {path[0] for path in read_paths(function.body)} - params  # type: ignore[attr-defined]
                    late &= targets | set(facts.assigned)
                    if late:
                        raise Unfixable(
                            f"the task is a lambda that reads `{min(late)}` when it runs; submitted early, it would "
                            "see a later value"
                        )

    def _check_reentry(self, wait: Wait) -> None:
        """A task that can reach its own pool may submit to it and wait: with every task
        submitted first, such tasks can hold every worker and wait forever (a deadlock
        that the serial loop, which leaves workers free, never hits)."""
        pool = object_path(wait.receiver)
        if pool is None or not wait.submit.args:
            return
        reachable = {path for arg in wait.submit.args for path in read_paths(arg.value)}
        task = wait.submit.args[0].value
        task_path = dotted(task)
        if task_path is not None:  # a bound method (`self.crawl`) carries its object
            reachable |= {task_path[:length] for length in range(1, len(task_path))}
        definition = self.host.definition(task) if isinstance(task, cst.Name) else None
        if definition is not None:
            reachable |= read_paths(definition.body)
        if any(conflicts(path, pool) for path in reachable):
            raise Unfixable(
                f"the task `{self._code(task)}` can reach `{'.'.join(pool)}` itself; if it submits to it and waits, "
                "submitting every task first can occupy every worker and deadlock"
            )

    def _check_before_the_wait(self, node: cst.CSTNode) -> None:
        """Calls in ``node`` that run before the last wait must be free of side effects."""
        ancestors = self._ancestors(self.last)
        skip = [n for w in self.waits for n in (w.call, w.submit)]
        for found in findall(node, m.Call() | m.Await() | m.Yield() | m.NamedExpr()):
            after_the_wait = not self._before(found, self.last)
            if id(found) in ancestors or after_the_wait or any(self._inside(found, s) for s in skip):
                continue
            callee = found.func if isinstance(found, cst.Call) else None
            if not (isinstance(callee, cst.Name) and callee.value in PURE_BUILTINS):
                raise Unfixable(self._runs_before(found))

    def _check_statements_before_the_wait(self, loop: cst.For) -> None:
        statements = flat_statements(loop.body)
        holders = {id(self._statement_of(node)) for w in self.waits for node in (w.call, w.bind) if node is not None}
        last = self._statement_of(self.last)
        skip = [node for w in self.waits for node in (w.call, w.submit)]
        for statement in statements[: statements.index(last)]:
            noisy = noisy_statement(statement, skip if id(statement) in holders else [])
            if noisy is not None:
                raise Unfixable(self._runs_before(noisy))
        self._check_before_the_wait(last)

    def _check_consumer(self, generator: cst.GeneratorExp) -> None:
        if self.host.consumer(generator) is None:
            raise Unfixable(
                "a generator expression runs each task only when it is consumed; submitting them all up front would "
                "change when they run"
            )

    # -- the syntax tree ---------------------------------------------------------------

    def _at(self, node: cst.CSTNode) -> str:
        return f"line {self.host.line(node)}"

    def _code(self, node: cst.CSTNode) -> str:
        code = self.host.module.code_for_node(node).strip()
        if len(code) <= 40 and "\n" not in code:
            return code
        return code.split("(", 1)[0] + "(...)" if isinstance(node, cst.Call) else code.splitlines()[0][:40] + "..."

    def _ancestors(self, node: cst.CSTNode) -> set[int]:
        found = set()
        parent = self.host.parent(node)
        while parent is not None:
            found.add(id(parent))
            parent = self.host.parent(parent)
        return found

    def _inside(self, node: cst.CSTNode, outer: cst.CSTNode | None) -> bool:
        return node is outer or id(outer) in self._ancestors(node)

    def _statement_of(self, node: cst.CSTNode) -> cst.CSTNode:
        """The statement of the loop body (as in :func:`flat_statements`) that holds ``node``."""
        child, parent = node, self.host.parent(node)
        while not isinstance(parent, (cst.SimpleStatementLine, cst.SimpleStatementSuite, cst.IndentedBlock)):
            assert parent is not None  # the loop's body holds ``node``
            child, parent = parent, self.host.parent(parent)
        return child

    # -- the rewrite -------------------------------------------------------------------

    def _handles(self, anchor: cst.CSTNode) -> list[str]:
        return [wait.handle or self.host.fresh(wait.noun, anchor) for wait in self.waits]

    def _split_for(self, loop: cst.For) -> tuple[cst.CSTNode, cst.CSTNode]:
        """The block around the loop, and the block with the loop split in two."""
        collection = self.host.fresh("futures" if all(w.method == "submit" for w in self.waits) else "handles", loop)
        handles = self._handles(loop)
        names = target_names(loop.target) or set()
        keep = self.host.read_elsewhere(names, loop, [w.submit for w in self.waits])
        split = split_for(
            loop, self.waits, handles, collection, module=self.host.module, column=self.host.column(loop), keep=keep
        )
        parent = self.host.parent(loop)
        assert isinstance(parent, (cst.Module, cst.IndentedBlock))  # the blocks that hold a statement
        statements: list[cst.BaseStatement] = []
        for statement in parent.body:
            statements += split if statement is loop else [statement]
        return parent, parent.with_changes(body=statements)
