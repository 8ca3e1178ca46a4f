"""MP009 unpicklable-task: a task or process target that pickle cannot send to a child.

Pools and process executors pickle every task under every start method; ``Process``
pickles its target under spawn and forkserver. Pickle refers to a function or class by
its module and name, so a lambda, a function or class defined inside a function (and
methods of its instances) never pickle, and one defined under the ``__main__`` guard is
not found by a child that imports the module without running the guard. The safe fix
moves the function to module level (codemods.rewrite.hoisting says when that changes nothing).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

import libcst as cst
from libcst.metadata import (
    ScopeProvider,
)

from codemods.analysis.guard import is_main_guard
from codemods.analysis.ipc import TASK_METHODS, StartMethods, keyword, positional
from codemods.analysis.names import spellings
from codemods.analysis.prechecks import (
    FUNCTION,
    AstFacts,
    callee_name,
    is_main_guard_test,
    keyword_value,
    may_be_instance,
    positional_args,
)
from codemods.rewrite.fresh_names import FreshNames
from codemods.rewrite.handover import Edits
from codemods.rewrite.hoisting import Hoisting, lambda_as_def, move_def, renamed
from codemods.rules._base import RuleVisitor, Unfixable

POOLS = frozenset({"Pool", "ProcessPoolExecutor"})
LOCAL = "pickle refers to a {kind} by its module and name, and cannot reach inside a function"
LAMBDA = "pickle refers to a function by its module and name, and a lambda has none"
ADVICE = (
    "make it a module-level function and pass the values it needs as arguments (`functools.partial` of a module-level "
    "function pickles)"
)


@dataclass
class Site:
    """A call that sends ``task`` to another process."""

    call: cst.Call
    task: cst.BaseExpression
    pool: bool  # a pool or executor: it pickles under every start method
    creation: cst.Call | None  # the call whose start method applies

    @property
    def noun(self) -> str:
        return "task" if self.pool else "target"


@dataclass
class Problem:
    what: str
    why: str
    everywhere: bool  # fails under fork too
    moves: cst.Lambda | cst.FunctionDef | None = None  # what the fix would move
    reason: str | None = None  # what to do by hand, when there is nothing to move


@dataclass(frozen=True)
class _AstTasks:
    """What the pre-check needs to tell a task that may not pickle (see ``_problem``)."""

    names: set[str]  # defs and classes inside a function or the guard, names bound to a lambda
    classes: set[str]  # the classes among them
    made_by: dict[str, set[str]]  # NAME -> the plain names called in ``NAME = f(...)``
    partial: frozenset[str]

    @classmethod
    def of(cls, facts: AstFacts) -> _AstTasks:
        nested = [
            *facts.nodes(ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, levels=(FUNCTION,)),
            *(
                node
                for guard in facts.tree.body
                if isinstance(guard, ast.If) and is_main_guard_test(guard.test)
                for node in ast.walk(guard)
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
            ),
        ]
        names = {node.name for node in nested}
        made_by: dict[str, set[str]] = {}
        for node in facts.nodes(ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name) and isinstance(node.value, ast.Lambda):
                    names.add(target.id)
                elif (
                    isinstance(target, ast.Name)
                    and isinstance(node.value, ast.Call)
                    and isinstance(node.value.func, ast.Name)
                ):
                    made_by.setdefault(target.id, set()).add(node.value.func.id)
        classes = {node.name for node in nested if isinstance(node, ast.ClassDef)}
        return cls(names, classes, made_by, facts.aliases({"partial"}))

    def may_fail(self, task: ast.expr) -> bool:
        if isinstance(task, ast.Lambda):
            return True
        if isinstance(task, ast.Call):
            given = positional_args(task) if callee_name(task) in self.partial else []
            return bool(given) and self.may_fail(given[0])
        if isinstance(task, ast.Name):
            return task.id in self.names
        # ``Local.method``, ``Local().method``, ``obj.method`` with ``obj = Local()``
        owner = task.value if isinstance(task, ast.Attribute) else None
        owner = owner.func if isinstance(owner, ast.Call) else owner
        if not isinstance(owner, ast.Name):
            return False
        return bool(({owner.id} | self.made_by.get(owner.id, set())) & self.classes)


class UnpicklableTask(RuleVisitor):
    @classmethod
    def precheck(cls, facts: AstFacts) -> bool:
        """A task handed to ``x.map()`` (or another task method) or a target to a call
        spelled like ``Process``, which may be a lambda, a def or class inside a function or
        the guard, a method of such a class, or one of those in ``partial()``."""
        tasks = _AstTasks.of(facts)
        if not (tasks.names or facts.nodes(ast.Lambda)):
            return False
        pools = facts.aliases(spellings(POOLS))
        for call in facts.method_calls(TASK_METHODS):
            given = positional_args(call)
            task = given[0] if given else keyword_value(call, "func") or keyword_value(call, "fn")
            if task is not None and may_be_instance(call.func.value, pools) and tasks.may_fail(task):  # type: ignore[attr-defined]
                return True
        for call in facts.calls_to(facts.aliases(spellings({"Process"}))):
            given = positional_args(call)
            target = keyword_value(call, "target") or (given[1] if len(given) > 1 else None)
            if target is not None and tasks.may_fail(target):
                return True
        return False

    def visit_Module(self, node: cst.Module) -> None:
        self.starts = StartMethods(node, self.api)
        self.hoisting = Hoisting(self.facts)
        self.names = FreshNames.of(self.facts)

    def visit_Call(self, node: cst.Call) -> None:
        site = self._site(node)
        problem = self._problem(site.task) if site is not None else None
        if site is None or problem is None:
            return
        if not (problem.everywhere and site.pool) and self._method(site) == "fork":
            return  # fork copies the parent: the target is never pickled, or found by name
        func = site.call.func
        call = (
            f"`{self.module.code_for_node(func)}()`"
            if site.pool
            else f"`{self.module.code_for_node(func)}(target=...)`"
        )
        if problem.everywhere:
            when = "under every start method" if site.pool else "under spawn and forkserver"
            message = f"{call} pickles its {site.noun} {when}, and cannot pickle {problem.what}: {problem.why}"
        else:
            children = "the worker processes" if site.pool else "the child process"
            message = (
                f"{call} pickles its {site.noun} by name, and under spawn and forkserver {children} "
                f"cannot find {problem.what}: {problem.why}"
            )
        try:
            fix, title = self._fix(problem, site)
        except Unfixable as why:
            self.report(site.task, message, not_fixed=why)
            return
        self.report(site.task, message, fix=(self.module, fix), fix_title=title)

    # -- where tasks go -------------------------------------------------------------

    def _site(self, call: cst.Call) -> Site | None:
        func = call.func
        if isinstance(func, cst.Attribute) and func.attr.value in TASK_METHODS:
            if not self.bindings.is_instance(func.value, POOLS):
                return None
            given = positional(call)
            task = given[0] if given else keyword(call, "func") or keyword(call, "fn")
            return Site(call, task.value, True, self._creation(func.value)) if task else None
        if self.bindings.makes(call, {"Process"}):
            given = positional(call)
            target = keyword(call, "target") or (given[1] if len(given) > 1 else None)
            return Site(call, target.value, False, call) if target else None
        return None

    def _creation(self, pool: cst.BaseExpression) -> cst.Call | None:
        if isinstance(pool, cst.Call):
            return pool
        found = self.bindings.single_value(pool) if isinstance(pool, cst.Name) else None
        if found is None and isinstance(pool, cst.Name):
            bound = self.bindings.of(pool)
            alias = self.bindings.parent(bound[0]) if len(bound) == 1 and bound[0] is not None else None
            item = self.bindings.parent(alias) if isinstance(alias, cst.AsName) else None
            found = item.item if isinstance(item, cst.WithItem) else None
        return found if isinstance(found, cst.Call) else None

    def _method(self, site: Site) -> str | None:
        return self.starts.method(site.creation) if site.creation is not None else self.starts.default

    # -- what cannot be sent -----------------------------------------------------------

    def _problem(self, task: cst.BaseExpression) -> Problem | None:
        if isinstance(task, cst.Lambda):
            return Problem("a lambda", LAMBDA, True, task)
        if isinstance(task, cst.Call) and "functools.partial" in self.api.qualified_names(task.func):
            given = positional(task)
            inner = self._problem(given[0].value) if given else None
            if inner is not None:
                inner.what += " (wrapped in `functools.partial`)"
            return inner
        if isinstance(task, cst.Name):
            return self._named(task)
        if isinstance(task, cst.Attribute):
            # ``Local.method``, ``Local().method``, ``obj.method`` with ``obj = Local()``
            owner = task.value
            if isinstance(owner, cst.Name) and isinstance(value := self.bindings.single_value(owner), cst.Call):
                owner = value
            if isinstance(owner, cst.Call):
                owner = owner.func
            is_class = isinstance(owner, cst.Name) and any(isinstance(b, cst.ClassDef) for b in self.bindings.of(owner))
            problem = self._named(owner) if is_class else None  # type: ignore[arg-type]
            if problem is not None:
                what = f"`{self.module.code_for_node(task)}`, a method of {problem.what}"
                return Problem(what, problem.why, problem.everywhere, reason=problem.reason)
        return None

    def _named(self, name: cst.Name) -> Problem | None:
        bound = self.bindings.of(name)
        if len(bound) > 1 and all(isinstance(n, cst.FunctionDef) and self.hoisting.in_function(n) for n in bound):
            what = f"`{name.value}`, a function defined inside `{self._enclosing(bound[0])}`"  # type: ignore[arg-type]
            reason = f"`{name.value}` is defined more than once: {ADVICE}"
            return Problem(what, LOCAL.format(kind="function"), True, reason=reason)
        node = bound[0] if len(bound) == 1 else None
        if isinstance(node, (cst.FunctionDef, cst.ClassDef)):
            kind = "function" if isinstance(node, cst.FunctionDef) else "class"
            moves = node if isinstance(node, cst.FunctionDef) else None
            reason = None if moves else f"define the class `{name.value}` at module level, outside the `__main__` guard"
            if self.hoisting.in_function(node):
                what = f"`{name.value}`, a {kind} defined inside `{self._enclosing(node)}`"
                return Problem(what, LOCAL.format(kind=kind), True, moves, reason)
            if is_main_guard(self.module.body[self.hoisting.top_index(node)]):
                what = f"`{name.value}`, a {kind} defined under the `__main__` guard"
                why = "a child process imports the main module without running the guard"
                return Problem(what, why, False, moves, reason)
            return None
        target = self.bindings.parent(node) if node is not None else None
        if isinstance(target, cst.AssignTarget) and isinstance(self.bindings.parent(target).value, cst.Lambda):  # type: ignore[union-attr]
            reason = f"define it with `def {name.value}(...)` at module level"
            return Problem(f"`{name.value}`, a lambda", LAMBDA, True, reason=reason)
        return None

    def _enclosing(self, node: cst.CSTNode) -> str:
        parent = self.parents.get(node)
        while parent is not None and not isinstance(parent, (cst.FunctionDef, cst.Lambda)):
            parent = self.parents.get(parent)
        return parent.name.value if isinstance(parent, cst.FunctionDef) else "a lambda"

    # -- the fix ---------------------------------------------------------------------

    def _fix(self, problem: Problem, site: Site) -> tuple[cst.Module, str]:
        function = problem.moves
        if function is None:
            raise Unfixable(problem.reason)
        anchor = self.hoisting.top_index(function)
        why = self.hoisting.obstacle(function, anchor)
        if why is not None:
            raise Unfixable(f"{why}: {ADVICE}")
        edits = Edits()
        if isinstance(function, cst.Lambda):
            name = self.names.pick(f"_{site.noun}", self.reach.global_scope)
            edits.insert_before(self.module.body[anchor], [lambda_as_def(name, function)])
            edits.change(function, lambda _: cst.Name(name))
            return edits.apply(self.module), f"Move the lambda to a module-level function `{name}`"
        old = function.name.value
        block = self.parents.get(function)
        owner = self.parents.get(block) if isinstance(block, cst.IndentedBlock) else None
        if is_main_guard(owner):
            if len(self.reach.global_scope.assignments[old]) != 1:
                raise Unfixable(f"`{old}` is assigned more than once at module level: {ADVICE}")
            new, moved = old, function  # already a module global, read by the same name
        elif isinstance(owner, cst.FunctionDef):
            new, moved = self._rename(function, edits)
        else:
            raise Unfixable(f"`{old}` is defined inside a compound statement: {ADVICE}")
        move_def(edits, moved, function, block, self.module.body[anchor])  # type: ignore[arg-type]
        return edits.apply(self.module), f"Move `{old}` to module level" + (f" as `{new}`" if new != old else "")

    def _rename(self, function: cst.FunctionDef, edits: Edits) -> tuple[str, cst.FunctionDef]:
        """The module-level name of a nested def used only as a task, and the def to move."""
        old = function.name.value
        assignments = self.metadata[ScopeProvider][function].assignments[old]  # type: ignore[union-attr]
        uses = [r.node for a in assignments for r in a.references]
        inside = {id(node) for node in uses if self.hoisting.within(node, function)}
        if len(assignments) != 1 or not all(id(u) in inside or self._as_task(u) for u in uses):
            raise Unfixable(f"`{old}` is also used in `{self._enclosing(function)}` other than as a task: {ADVICE}")
        global_scope = self.reach.global_scope
        new = old if old not in self.names.taken(global_scope) else self.names.pick(old, global_scope)
        if new == old:
            return old, function
        for use in uses:
            if id(use) not in inside:
                edits.change(use, lambda node: node.with_changes(value=new))
        return new, renamed(function, new, inside)

    def _as_task(self, node: cst.CSTNode) -> bool:
        """``node`` is the task of a call that sends it to another process."""
        arg = self.parents.get(node)
        call = self.parents.get(arg) if isinstance(arg, cst.Arg) else None
        site = self._site(call) if isinstance(call, cst.Call) else None
        return site is not None and site.task is node


RULE = UnpicklableTask
