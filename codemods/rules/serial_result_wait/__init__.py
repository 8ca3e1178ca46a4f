"""MP002 serial-result-wait: a loop submits one task and waits for it before the next."""

from __future__ import annotations

import libcst as cst
from libcst.metadata import ClassScope, FunctionScope, PositionProvider, ScopeProvider

from ...analysis import match as m
from ...analysis.lazy_input import Input, LazyInputs
from ...analysis.names import EXIT_CALLS
from ...prechecks.serial_result_wait import MAKERS, POOLS, SIZES, WAIT_OF
from ...rewrite.fresh_names import FreshNames
from .._base import RuleVisitor, Unfixable
from .batch_plan import COMPREHENSIONS, BatchPlan
from .host import SerialByDesign
from .loop_split import Wait

TITLE = "Submit every task first, then wait for the results in order"
# Builtins that read a function's local names without naming them.
_DYNAMIC_READS = ("locals", "vars", "eval", "exec")
# Builtins that consume a generator to its end at once.
EAGER = frozenset({"sum", "list", "tuple", "set", "frozenset", "sorted", "min", "max", "dict"})
RETRY = "the wait is inside `try`: a retry or timeout pattern handles each task on its own"


def _chained(call: cst.Call) -> cst.Call | None:
    """``X.apply_async(...)`` of ``X.apply_async(...).get(...)``, ``X.submit(...)`` of
    ``X.submit(...).result(...)``."""
    wait = call.func
    submit = wait.value if isinstance(wait, cst.Attribute) else None
    if not (isinstance(wait, cst.Attribute) and isinstance(submit, cst.Call)):
        return None
    if not isinstance(submit.func, cst.Attribute):
        return None
    return submit if WAIT_OF.get(submit.func.attr.value) == wait.attr.value else None


class SerialResultWait(RuleVisitor):


    def visit_Module(self, node: cst.Module) -> None:
        self.inputs = LazyInputs(self.bindings)
        self.loops: dict[int, tuple[cst.CSTNode, list[Wait]]] = {}
        self.names = FreshNames.of(self.facts)

    def visit_Call(self, node: cst.Call) -> None:
        found = self._wait(node)
        if found is None:
            return
        submit, bind = found
        if self._one_worker(submit):
            return  # its tasks run one at a time whatever the loop does
        where = self._loop_of(node)
        if where is None or (bind is not None and self._loop_of(bind) != (where[0], None)):
            return
        loop, guard = where
        # ``_wait`` finds only a binding of a plain name.
        handle = cst.ensure_type(bind.targets[0].target, cst.Name).value if bind is not None else None
        self.loops.setdefault(id(loop), (loop, []))[1].append(Wait(node, submit, guard, handle, bind))

    def leave_Module(self, original_node: cst.Module) -> None:
        for loop, waits in self.loops.values():
            self._judge(loop, waits)

    # -- what waits ------------------------------------------------------------------

    def _wait(self, call: cst.Call) -> tuple[cst.Call, cst.Assign | None] | None:
        """The submission that ``call`` waits for, and the assignment of its handle in the
        two-statement form (``h = X.apply_async(...)`` ... ``h.get()``)."""
        submit = _chained(call)
        if submit is not None:
            return submit, None
        func = call.func
        if not isinstance(func, cst.Attribute):
            return None
        if func.attr.value == "apply" and self.bindings.is_instance(func.value, POOLS):
            return call, None  # Pool.apply submits and waits; pandas' and mpire's do not count
        if func.attr.value in WAIT_OF.values() and isinstance(func.value, cst.Name):
            bind = self._only_binding(func.value)
            if isinstance(bind, cst.Assign) and m.matches(bind, m.Assign(targets=[m.AssignTarget(m.Name())])):
                value = bind.value
                if (
                    isinstance(value, cst.Call)
                    and isinstance(value.func, cst.Attribute)
                    and WAIT_OF.get(value.func.attr.value) == func.attr.value
                ):
                    return value, bind
        return None

    def _one_worker(self, submit: cst.Call) -> bool:
        """The pool or executor that ``submit`` hands its task to is made with one worker
        (``max_workers=1``, ``processes=1``), right there or in the one binding of its name.
        As the rule takes any receiver for a pool, a maker's method of any object counts
        too: ``context.Pool(1)`` of a context handed in."""
        receiver = cst.ensure_type(submit.func, cst.Attribute).value
        made: cst.BaseExpression | None = receiver
        if isinstance(receiver, cst.Name):
            made = self.bindings.single_value(receiver) or self.bindings.with_value(receiver)
        if not isinstance(made, cst.Call):
            return False
        spelled = isinstance(made.func, cst.Attribute) and made.func.attr.value in MAKERS
        if not spelled and self.api.call_api(made) not in MAKERS:
            return False
        size = next((a.value for a in made.args if a.keyword is not None and a.keyword.value in SIZES), None)
        if size is None and made.args and made.args[0].keyword is None and not made.args[0].star:
            size = made.args[0].value
        return isinstance(size, cst.Integer) and size.value == "1"

    def _only_binding(self, name: cst.Name) -> cst.CSTNode | None:
        """The statement that binds ``name``, when it is the only binding that reaches this
        use and this use is its only use."""
        scope = self.get_metadata(ScopeProvider, name, None)
        accesses = [a for a in scope.accesses[name] if a.node is name] if scope else []
        if len(accesses) != 1 or len(accesses[0].referents) != 1:
            return None
        [assignment] = accesses[0].referents
        node = getattr(assignment, "node", None)
        if len(assignment.references) != 1 or not isinstance(node, cst.Name):
            return None
        if self.facts.in_order(name, node):
            return None  # bound by the previous iteration
        parent = self.parent(node)
        return self.parent(parent) if isinstance(parent, cst.AssignTarget) else None

    # -- where it waits --------------------------------------------------------------

    def _loop_of(self, node: cst.CSTNode) -> tuple[cst.CSTNode, str | None] | None:
        """The innermost loop that runs ``node`` on every iteration, and why ``node`` may
        not run exactly once per iteration (None: it does)."""
        guards: list[str] = []
        outside: cst.CSTNode | None = None  # a comprehension whose first iterable holds node
        child, parent = node, self.parent(node)
        while parent is not None and not isinstance(parent, (cst.FunctionDef, cst.Lambda, cst.ClassDef)):
            if (
                (isinstance(parent, cst.For) and child is parent.body)
                or (isinstance(parent, cst.While) and child is not parent.orelse)
                or (isinstance(parent, COMPREHENSIONS) and parent is not outside)
            ):
                return parent, (RETRY if RETRY in guards else next(iter(guards), None))
            if isinstance(parent, cst.CompFor) and child is parent.iter:
                grandparent = self.parent(parent)
                if isinstance(grandparent, COMPREHENSIONS) and grandparent.for_in is parent:
                    outside = grandparent  # the first iterable runs once, before the loop
                else:
                    guards.append("the wait is in an inner `for` clause of the comprehension")
            elif (guard := self._guard(child, parent)) is not None:
                guards.append(guard)
            child, parent = parent, self.parent(parent)
        return None

    def _guard(self, child: cst.CSTNode, parent: cst.CSTNode) -> str | None:
        """Why ``parent`` may run ``child`` other than once."""
        if isinstance(parent, (cst.Try, cst.TryStar)):
            return RETRY
        skipped = "so submitting every task first would run tasks that were skipped"
        if (isinstance(parent, cst.If) and child is not parent.test) or isinstance(parent, cst.Match):
            return f"the wait runs only when the condition on line {self.line(parent)} allows it, {skipped}"
        if (isinstance(parent, cst.IfExp) and child is not parent.test) or (
            isinstance(parent, cst.BooleanOperation) and child is parent.right
        ):
            return f"the wait runs only when the expression around it allows it, {skipped}"
        if isinstance(parent, cst.CompIf):
            return "the wait is in the comprehension's `if` clause, which decides which tasks run"
        if isinstance(parent, (cst.With, cst.For, cst.While)):
            keyword = {cst.With: "with", cst.For: "for", cst.While: "while"}[type(parent)]
            return f"the wait is inside the `{keyword}` statement on line {self.line(parent)}"
        return None

    # -- the finding -------------------------------------------------------------------

    def _judge(self, loop: cst.CSTNode, waits: list[Wait]) -> None:
        first = waits[0]
        receiver = self.module.code_for_node(first.receiver)
        if first.bind is not None:
            what = (
                f"`{first.handle} = {receiver}.{first.method}(...)` then "
                f"`{self.module.code_for_node(first.call.func)}()`"
            )
        elif first.call is first.submit:
            what = f"`{receiver}.apply(...)`"
        else:
            waits_by = cst.ensure_type(first.call.func, cst.Attribute).attr.value
            what = f"`{receiver}.{first.method}(...).{waits_by}()`"
        where = {cst.For: "a `for` loop", cst.While: "a `while` loop", cst.GeneratorExp: "a generator expression"}.get(
            type(loop), "a comprehension"
        )
        kind = "executor" if first.method == "submit" else "pool"
        message = (
            f"{what} in {where} waits for each task before submitting the next, so the {kind} runs one task at a time"
        )
        try:
            target, replacement, unsafe = BatchPlan(self, loop, waits).build()  # type: ignore[arg-type]
        except Unfixable as why:
            self.report(first.call, message, not_fixed=why)
            return
        except SerialByDesign:
            return
        self.report(first.call, message, fix=(target, replacement), unsafe=unsafe, fix_title=TITLE)

    # -- what the plan asks (host.Host) ---------------------------------------------------

    def column(self, node: cst.CSTNode) -> int:
        return self.get_metadata(PositionProvider, node).start.column

    def position(self, node: cst.CSTNode) -> tuple[int, int]:
        return self.line(node), self.column(node)

    def is_exit_call(self, call: cst.Call) -> bool:
        return bool(self.api.qualified_names(call.func) & EXIT_CALLS)

    def creates_workers(self, call: cst.Call) -> bool:
        return self.bindings.makes(call, MAKERS)

    def in_class_body(self, node: cst.CSTNode) -> bool:
        return isinstance(self.get_metadata(ScopeProvider, node, None), ClassScope)

    def consumer(self, generator: cst.GeneratorExp) -> str | None:
        """How the call that ``generator`` is the only argument of consumes it: "eager" (all
        of it at once), "any" or "all" (until a decisive item), or None (lazily, or unknown)."""
        arg = self.parent(generator)
        call = self.parent(arg) if isinstance(arg, cst.Arg) else None
        if not (isinstance(call, cst.Call) and isinstance(arg, cst.Arg)):
            return None
        if len(call.args) != 1 or arg.keyword or arg.star:
            return None
        if m.matches(call.func, m.Attribute(value=m.SimpleString(), attr=m.Name("join"))):
            return "eager"
        for name in self.api.qualified_names(call.func):
            if name in ("builtins.any", "builtins.all"):
                return name.split(".")[1]
            if name.removeprefix("builtins.") in EAGER and name.startswith("builtins."):
                return "eager"
        return None

    def single_value(self, name: cst.Name) -> cst.BaseExpression | None:
        return self.bindings.single_value(name)

    def definition(self, name: cst.Name) -> cst.FunctionDef | None:
        return self.bindings.definition(name)

    def fresh(self, base: str, node: cst.CSTNode) -> str:
        return self.names.pick(base, self.scope(node))

    def lazy_input(self, node: cst.BaseExpression) -> Input | None:
        return self.inputs.classify(node)

    def read_elsewhere(self, names: set[str], loop: cst.For, inside: list[cst.CSTNode]) -> bool:
        """Whether a function's ``names`` may be read anywhere but ``inside`` (the parts of
        ``loop`` that move into the submitting comprehension): by the rest of the loop,
        after it, or by a nested function. At module level, another module may read them."""
        scope = self.scope(loop)
        if not isinstance(scope, FunctionScope) or any(scope.accesses[name] for name in _DYNAMIC_READS):
            return True  # another module, or ``locals()`` and its kin, may read any of them
        for name in names:
            assignments = list(scope.assignments[name])
            if not assignments:  # ``global`` or ``nonlocal``: the loop binds another scope's name
                return True
            for assignment in assignments:
                for access in assignment.references:
                    if not any(self._within(access.node, part) for part in inside):
                        return True
        return False

    def _within(self, node: cst.CSTNode, ancestor: cst.CSTNode) -> bool:
        current: cst.CSTNode | None = node
        while current is not None and current is not ancestor:
            current = self.parent(current)
        return current is ancestor


RULE = SerialResultWait
