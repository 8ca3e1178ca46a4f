"""MP009 unpicklable-task: a task or process target that pickle cannot send to a child.

Pools and process executors pickle every task under every start method; ``Process``
pickles its target under spawn and forkserver. Pickle refers to a function or class by
its module and name, so a lambda, a function or class defined inside a function (and
methods of its instances) never pickle, and one defined under the ``__main__`` guard is
not found by a child that imports the module without running the guard. The safe fixes
move the function to module level (mpfix.rewrite.hoisting says when that changes nothing)
or make a module-level ``NAME = lambda`` a def (.named_lambda). A lambda that reads names
of the function around it takes them along (.bound): a ``Process`` target as ``args=``,
a pool's task through ``functools.partial``, unsafe for local variables.
"""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from ...analysis.bindings import bound_node
from ...analysis.guard import is_main_guard
from ...analysis.ipc import StartMethods, keyword, positional
from ...analysis.project.apis import TASK_METHODS
from ...analysis.worker_starts import loader_callback
from ...prechecks.unpicklable_task import ADVICE, LAMBDA
from ...rewrite.fresh_names import FreshNames
from ...rewrite.handover import Edits, add_keyword
from ...rewrite.hoisting import Hoisting, importing_first, lambda_as_def, move_def, renamed
from .._base import RuleVisitor, Unfixable
from . import mangled
from .bound import bound_names, fix_with_partial, locally_bound, passed_parameters
from .foreign import foreign_lambda, sent_lambdas
from .named_lambda import define, lone_line
from .naming import lambda_name

POOLS = frozenset({"Pool", "ProcessPoolExecutor"})
# Where each pool takes its initializer when it is given by position.
INITIALIZER_POSITION = {"Pool": 1, "ProcessPoolExecutor": 2}
LOCAL = "pickle refers to a {kind} by its module and name, and cannot reach inside a function"


@dataclass
class Site:
    """A call that sends ``task`` to another process."""

    call: cst.Call
    task: cst.BaseExpression
    pool: bool  # a pool's or executor's task: it pickles under every start method
    creation: cst.Call | None  # the call whose start method applies
    noun: str  # what the call names it: task, target or initializer


@dataclass
class Problem:
    what: str
    why: str
    everywhere: bool  # fails under fork too
    moves: cst.Lambda | cst.FunctionDef | None = None  # what the fix would move
    reason: str | None = None  # what to do by hand, when there is nothing to move
    renames: cst.FunctionDef | None = None  # a method with a mangled name, to rename
    defines: cst.SimpleStatementLine | None = None  # a module-level ``NAME = lambda``, to make a def


class UnpicklableTask(RuleVisitor):
    def visit_Module(self, node: cst.Module) -> None:
        self.starts = StartMethods(node, self.api)
        self.hoisting = Hoisting(self.facts)
        self.names = FreshNames.of(self.facts)
        for sent in sent_lambdas(node, self.facts.project, self.reach.global_scope, LAMBDA):
            target = sent.assign.targets[0].target
            if sent.fix is None:
                self.report(target, sent.message, not_fixed=sent.reason)
            else:
                self.report(target, sent.message, fix=(node, sent.fix[0]), fix_title=sent.fix[1])

    def visit_Call(self, node: cst.Call) -> None:
        site = self._site(node)
        problem = self._problem(site.task) if site is not None else None
        if site is None or problem is None:
            return
        if not (problem.everywhere and site.pool) and self._method(site) == "fork":
            return  # fork copies the parent: the target is never pickled, or found by name
        func = self.module.code_for_node(site.call.func)
        call = f"`{func}()`" if site.pool else f"`{func}({site.noun}=...)`"
        if problem.everywhere:
            when = "under every start method" if site.pool else "under spawn and forkserver"
            message = f"{call} pickles its {site.noun} {when}, and cannot pickle {problem.what}: {problem.why}"
        else:
            children = "the child process" if site.noun == "target" else "the worker processes"
            message = (
                f"{call} pickles its {site.noun} by name, and under spawn and forkserver {children} "
                f"cannot find {problem.what}: {problem.why}"
            )
        if problem.renames is not None:
            return self._rename_mangled(site.task, message, problem.renames)
        try:
            fix, title, unsafe = self._fix(problem, site)
        except Unfixable as why:
            self.report(site.task, message, not_fixed=why)
            return
        self.report(site.task, message, fix=(self.module, fix), fix_title=title, unsafe=unsafe)

    # -- where tasks go -------------------------------------------------------------

    def _site(self, call: cst.Call) -> Site | None:
        func = call.func
        if isinstance(func, cst.Attribute) and func.attr.value in TASK_METHODS:
            if not self.bindings.is_instance(func.value, POOLS):
                return None
            given = positional(call)
            task = given[0] if given else keyword(call, "func") or keyword(call, "fn")
            return Site(call, task.value, True, self._creation(func.value), "task") if task else None
        if self.bindings.makes(call, {"Process"}):
            given = positional(call)
            target = keyword(call, "target") or (given[1] if len(given) > 1 else None)
            return Site(call, target.value, False, call, "target") if target else None
        if self.api.call_api(call) == "spawn":  # torch's spawn(fn, args, nprocs) always spawns
            given = positional(call)
            function = keyword(call, "fn") or (given[0] if given else None)
            return Site(call, function.value, True, call, "function") if function else None
        if callback := loader_callback(call, self.api):  # pickled like a target, by each worker
            return Site(call, callback[1], False, call, callback[0])
        for api, position in INITIALIZER_POSITION.items():
            if self.bindings.makes(call, {api}):
                # Each worker is a process that runs the initializer first: like a target,
                # it is pickled under spawn and forkserver only.
                given = positional(call)
                initializer = keyword(call, "initializer") or (given[position] if len(given) > position else None)
                return Site(call, initializer.value, False, call, "initializer") if initializer else None
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
        if isinstance(task, (cst.Name, cst.Attribute)):
            foreign = foreign_lambda(self.facts.project, self.module.code_for_node(task))
            if foreign is not None:
                return Problem(foreign[0], LAMBDA, True, reason=foreign[1])
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
        if (method := mangled.mangled_method(task, self.parents)) is not None:
            what = f"`{self.module.code_for_node(task)}`, a method with a name-mangled name"
            return Problem(what, mangled.WHY, True, renames=method)
        if isinstance(task, cst.Attribute):
            # ``Local.method``, ``Local().method``, ``obj.method`` with ``obj = Local()``
            owner = task.value
            if isinstance(owner, cst.Name) and isinstance(value := self.bindings.single_value(owner), cst.Call):
                owner = value
            if isinstance(owner, cst.Call):
                owner = owner.func
            is_class = isinstance(owner, cst.Name) and any(isinstance(b, cst.ClassDef) for b in self.bindings.of(owner))
            problem = self._named(owner) if is_class and isinstance(owner, cst.Name) else None
            if problem is not None:
                what = f"`{self.module.code_for_node(task)}`, a method of {problem.what}"
                return Problem(what, problem.why, problem.everywhere, reason=problem.reason)
        return None

    def _named(self, name: cst.Name) -> Problem | None:
        bound = self.bindings.of(name)
        if len(bound) > 1 and all(isinstance(n, cst.FunctionDef) and self.hoisting.in_function(n) for n in bound):
            what = f"`{name.value}`, a function defined inside `{self._enclosing(bound[0])}`"
            reason: str | None = f"`{name.value}` is defined more than once: {ADVICE}"
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
        assign = self.bindings.parent(target) if isinstance(target, cst.AssignTarget) else None
        if isinstance(assign, cst.Assign) and isinstance(assign.value, cst.Lambda):
            reason = f"define it with `def {name.value}(...)` at module level"
            defines = lone_line(self.module, self.parents.get(assign), assign)
            return Problem(f"`{name.value}`, a lambda", LAMBDA, True, reason=reason, defines=defines)
        return None

    def _enclosing(self, node: cst.CSTNode | None) -> str:
        parent = self.parents.get(node) if node is not None else None
        while parent is not None and not isinstance(parent, (cst.FunctionDef, cst.Lambda)):
            parent = self.parents.get(parent)
        return parent.name.value if isinstance(parent, cst.FunctionDef) else "a lambda"

    # -- the fix ---------------------------------------------------------------------

    def _fix(self, problem: Problem, site: Site) -> tuple[cst.Module, str, str | None]:
        """The fixed module, the fix's title, and why it is unsafe (None: it is safe)."""
        if problem.defines is not None:
            return (*define(self.module, problem.defines), None)
        function = problem.moves
        if function is None:
            raise Unfixable(problem.reason)
        anchor = self.hoisting.top_index(function)
        if isinstance(function, cst.Lambda):
            return self._fix_lambda(function, anchor, site)
        old = function.name.value
        block = self.parents.get(function)
        owner = self._owner(block)
        if not isinstance(owner, cst.FunctionDef) and not is_main_guard(owner):
            raise Unfixable(f"`{old}` is defined inside a compound statement: {ADVICE}")
        assert isinstance(block, cst.IndentedBlock)  # the body of a def or of the guard
        if self.parents.get(block) is not owner and not self._used_only_in(function, block):
            raise Unfixable(f"`{old}` is defined under a condition and used outside it: {ADVICE}")
        # Nested functions run only in the children: the parent calls them nowhere (_rename).
        helpers = self._helpers(function, anchor) if isinstance(owner, cst.FunctionDef) else []
        in_children = [function, *helpers] if isinstance(owner, cst.FunctionDef) else []
        carried: dict[str, cst.SimpleStatementLine] = {}
        # A process's target, sent by this call alone, may read parameters of the function
        # around it: they become its own, handed over as ``args=``.
        passed = passed_parameters(self, function, site) if self._sent_only_by(function, site) else []
        why = self.hoisting.obstacle(function, anchor, in_children, passed=passed, carried=carried)
        if why is not None:
            raise Unfixable(f"{why}: {ADVICE}")
        edits = Edits()
        if isinstance(owner, cst.FunctionDef):
            new, moved = self._rename(function, edits)
            moved = importing_first(moved, list(carried.values()))
            if passed:
                moved = moved.with_changes(params=cst.Parameters([cst.Param(cst.Name(name)) for name in passed]))
        elif len(self.reach.global_scope.assignments[old]) != 1:
            raise Unfixable(f"`{old}` is assigned more than once at module level: {ADVICE}")
        else:
            new, moved = old, function  # already a module global, read by the same name
        if any(helper.name.value == new for helper in helpers):
            raise Unfixable(f"`{old}` would move to module level as `{new}`, the name of a function it calls: {ADVICE}")
        for helper in helpers:
            helper_block = self.parents.get(helper)
            assert isinstance(helper_block, cst.IndentedBlock)  # a nested def (_check_helper)
            move_def(edits, helper, helper, helper_block, self.module.body[anchor])
        move_def(edits, moved, function, block, self.module.body[anchor])
        title = f"Move `{old}` to module level" + (f" as `{new}`" if new != old else "")
        if helpers:
            title += ", with " + ", ".join(f"`{helper.name.value}`" for helper in helpers)
        if passed:
            values = cst.Tuple([cst.Element(cst.Name(name)) for name in passed])
            edits.change(site.call, lambda call: add_keyword(call, "args", values, after="target"))
            title += f", given `args={self.module.code_for_node(values)}`"
        return edits.apply(self.module), title, None

    def _sent_only_by(self, function: cst.FunctionDef, site: Site) -> bool:
        """``function`` is the target of ``site`` and used nowhere else (nor calls itself):
        a parameter it gains is given at the only call that runs it."""
        if site.noun != "target" or not isinstance(site.task, cst.Name):
            return False
        assignments = self.scope(function).assignments[function.name.value]
        uses = [r.node for a in assignments for r in a.references]
        return len(assignments) == 1 and len(uses) == 1 and uses[0] is site.task

    def _rename_mangled(self, task: cst.BaseExpression, message: str, method: cst.FunctionDef) -> None:
        try:
            fixed, new = mangled.renamed_method(self.module, method, self.parents)
        except Unfixable as why:
            return self.report(task, message, not_fixed=why)
        title = f"Rename `{method.name.value}` to `{new}`"
        self.report(task, message, fix=(self.module, fixed), fix_title=title, unsafe=mangled.RENAME_RISK)

    def _fix_lambda(self, function: cst.Lambda, anchor: int, site: Site) -> tuple[cst.Module, str, str | None]:
        passed = passed_parameters(self, function, site)
        bound, local = bound_names(self, function) if site.pool and not passed else ([], [])
        why = self.hoisting.obstacle(function, anchor, passed=passed or bound)
        if why is not None:
            raise Unfixable(f"{why}: {ADVICE}")
        edits = Edits()
        base = lambda_name(function, self.parents, is_main_guard(self.module.body[anchor]), site.noun)
        name = self.names.pick(base, self.reach.global_scope)
        while locally_bound(self, function, name):  # the task would name the function's own, not the moved one
            name = self.names.pick(base, self.reach.global_scope)
        params = cst.Parameters([cst.Param(cst.Name(parameter)) for parameter in passed]) if passed else function.params
        if bound:
            return fix_with_partial(self, function, anchor, name, bound, local)
        edits.insert_before(self.module.body[anchor], [lambda_as_def(name, function.with_changes(params=params))])
        edits.change(function, lambda _: cst.Name(name))
        title = f"Move the lambda to a module-level function `{name}`"
        if not passed:
            return edits.apply(self.module), title, None
        values = cst.Tuple([cst.Element(cst.Name(parameter)) for parameter in passed])
        edits.change(site.call, lambda call: add_keyword(call, "args", values, after="target"))
        return edits.apply(self.module), f"{title}, with `args={self.module.code_for_node(values)}`", None

    def _owner(self, block: cst.CSTNode | None) -> cst.CSTNode | None:
        """The statement whose body holds ``block``, through the ``if`` statements around it:
        a def under a condition defines nothing else, and moves out of it where every use
        of it lies in the same branch (``_used_only_in``)."""
        owner = self.parents.get(block) if block is not None else None
        while isinstance(owner, cst.IndentedBlock) or (
            isinstance(owner, (cst.If, cst.Else)) and not is_main_guard(owner)
        ):
            owner = self.parents.get(owner)
        return owner

    def _used_only_in(self, function: cst.FunctionDef, block: cst.CSTNode) -> bool:
        assignments = self.scope(function).assignments[function.name.value]
        return all(self.hoisting.within(r.node, block) for a in assignments for r in a.references)

    def _helpers(self, function: cst.FunctionDef, anchor: int) -> list[cst.FunctionDef]:
        """The other nested functions of the same function that ``function`` calls, and
        those they call, in source order: they move to module level with it."""
        scope = self.scope(function)
        moving = [function]
        for mover in moving:  # grows while it is read
            for assignment in scope.assignments:
                helper = bound_node(assignment)
                if (
                    isinstance(helper, cst.FunctionDef)
                    and all(helper is not known for known in moving)
                    and any(self.hoisting.within(r.node, mover) for r in assignment.references)
                ):
                    moving.append(helper)
        helpers = moving[1:]
        for helper in helpers:
            self._check_helper(helper, moving, anchor)
        return sorted(helpers, key=self.line)

    def _check_helper(self, helper: cst.FunctionDef, moving: list[cst.FunctionDef], anchor: int) -> None:
        """Raise unless ``helper`` can move to module level under its name, with ``moving``."""
        name = helper.name.value
        assignments = self.scope(helper).assignments[name]
        block = self.parents.get(helper)
        enclosing = self.parents.get(block) if block is not None else None
        why: str | None
        if not isinstance(enclosing, cst.FunctionDef) or len(assignments) != 1:
            why = f"it calls `{name}`, a nested function defined more than once or under a compound statement"
        elif not all(any(self.hoisting.within(r.node, f) for f in moving) for a in assignments for r in a.references):
            why = f"it calls `{name}`, which `{enclosing.name.value}` also uses"
        elif name in self.names.taken(self.reach.global_scope):
            why = f"it calls `{name}`, a nested function whose name is taken at module level"
        else:
            found = self.hoisting.obstacle(helper, anchor, moving)
            why = f"it calls `{name}`, which cannot move to module level: {found}" if found else None
        if why is not None:
            raise Unfixable(f"{why}: {ADVICE}")

    def _rename(self, function: cst.FunctionDef, edits: Edits) -> tuple[str, cst.FunctionDef]:
        """The module-level name of a nested def used only as a task, and the def to move."""
        old = function.name.value
        assignments = self.scope(function).assignments[old]
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
        if isinstance(call, cst.Call) and "functools.partial" in self.api.qualified_names(call.func):
            given = positional(call)
            return bool(given) and given[0] is arg and self._as_task(call)  # the task is partial(node, ...)
        site = self._site(call) if isinstance(call, cst.Call) else None
        return site is not None and site.task is node


RULE = UnpicklableTask
