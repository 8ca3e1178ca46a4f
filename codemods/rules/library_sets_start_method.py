"""MP017 library-sets-start-method: a module that is imported sets the start method.

``set_start_method()`` chooses the start method for the whole program, once: a second
call raises ``RuntimeError: context has already been set``. A library that calls it when
imported breaks every program that chose a method first, and every spawned child, which
sets the parent's method before it imports the library; with ``force=True`` nothing fails,
and the program's method is replaced without a word. The library's own processes
keep their method through a context of their own: ``ctx = mp.get_context("spawn")``,
then ``ctx.Pool()``, ``ctx.Process()``, ``ctx.Queue()``...
"""

from __future__ import annotations

import libcst as cst
from libcst.helpers import get_full_name_for_node
from libcst.metadata import GlobalScope

from ..analysis import match as m
from ..analysis.facts import findall
from ..analysis.guard import is_main_guard, is_script
from ..analysis.ipc import keyword, positional
from ..analysis.names import canonical
from ..analysis.reachability import reach_of
from ..analysis.starters import starters_of
from ..prechecks.library_sets_start_method import (
    ADVICE,
    GET_START_METHOD,
    WARNING_CALLS,
    catches_runtime_error,
    imports_a_test_framework,
    in_function_message,
    is_test_code,
)
from ..rewrite.fresh_names import FreshNames
from ..rewrite.handover import add_keyword
from ._base import RuleVisitor, Unfixable

# The module-level functions and classes of multiprocessing that use the start method
# in force, each the name of the same callable on a context.
CONTEXT_APIS = frozenset(
    {
        "Process", "Pool", "Manager", "Queue", "JoinableQueue", "SimpleQueue", "Lock", "RLock",
        "Semaphore", "BoundedSemaphore", "Condition", "Event", "Barrier", "Value", "Array",
        "get_start_method",
    }
)  # fmt: skip
CONTEXT = "multiprocessing.get_context."  # a context's own, never the one in force
EXECUTOR = "concurrent.futures.ProcessPoolExecutor"
UNSAFE = (
    "code outside this module that relied on the start method it set gets the platform's default "
    "(forkserver on Linux since Python 3.14, fork before)"
)


class LibrarySetsStartMethod(RuleVisitor):

    def visit_Call(self, node: cst.Call) -> None:
        if self.api.call_api(node) != "set_start_method" or is_script(self.facts):
            return
        if _forced(node) and (_forgets(node) or self._restores(node)):
            return  # forgets the choice, or puts back the method that was in force: the program's own
        scope = self.scopes.get(node)
        if not isinstance(scope, GlobalScope):
            self._in_function(node, scope)
            return
        if not starters_of(self.facts, self.SPEC.code).only_a_library_choosing_its_start_method():
            return  # a script part that starts processes too: missing-main-guard (MP001) guards it
        if _forced(node):
            message = (
                f"`{self.module.code_for_node(node.func)}(..., force=True)` runs when this module is imported: it "
                "replaces, without a word, the start method that the program chose, for every process the program "
                "starts afterwards"
            )
        else:
            message = (
                f"`{self.module.code_for_node(node.func)}()` runs when this module is imported: a program that "
                "chose its start method first fails with `RuntimeError: context has already been set`, and so "
                "does every spawned child that imports this module"
            )
        try:
            fix = ContextPlan(self, node).build()
        except Unfixable as why:
            self.report(node, message, not_fixed=why)
            return
        title = "Give this module a context of its own: `get_context()`"
        self.report(node, message, fix=(self.module, fix), unsafe=UNSAFE, fix_title=title)

    def _in_function(self, node: cst.Call, scope: object) -> None:
        """Outside the main guard and the functions only it calls, in a module that is imported."""
        reach = reach_of(self.facts)
        guards = [i for i, statement in enumerate(self.module.body) if is_main_guard(statement)]
        # Parent-only functions that nothing in the module calls are what importers call.
        called = {name for name in reach.parent_only(guards) if self._referenced(name)}
        if scope is None or reach.runs_in_parent_only(scope, called, guards):  # type: ignore[arg-type]
            return
        if self._in_a_test(node):
            return  # a test, its set-up or a fixture chooses the method its tests run under
        forced = _forced(node)
        warned = forced and self._warned(node)
        catcher = self._catcher(node)
        insists = catcher is not None and _insists(catcher)
        func = self.module.code_for_node(node.func)
        message = in_function_message(func, forced, catcher is not None, warned, insists)
        self.report(node, message, not_fixed=ADVICE)

    def _restores(self, call: cst.Call) -> bool:
        """The method ``call`` sets is a name that every binding reaching it binds to what
        ``get_start_method()`` returned: ``set_start_method(previous, force=True)``."""
        given = positional(call)
        named = keyword(call, "method")
        method = given[0].value if given else named.value if named is not None else None
        if not isinstance(method, cst.Name):
            return False
        function = self._function_of(call)
        if function is not None and any(_captures(node, method.value) for node in findall(function, _PATTERNS)):
            return False  # a `case` pattern binds it, which libcst's scopes do not see
        bindings = self.bindings.of(method)
        for node in bindings:
            target = self.parent(node) if node is not None else None
            value = self.bindings.assigned(target) if isinstance(target, cst.AssignTarget) else None
            names = self.api.qualified_names(value.func) if isinstance(value, cst.Call) else set()
            if not names & GET_START_METHOD:
                return False
        return bool(bindings)

    def _in_a_test(self, call: cst.Call) -> bool:
        """Some function around ``call`` is test code (see ``is_test_code``)."""
        imports = findall(self.module, m.Import() | m.ImportFrom())
        named = [get_full_name_for_node(a.name) for i in imports if isinstance(i, cst.Import) for a in i.names]
        named += [
            get_full_name_for_node(i.module) if i.module is not None else None
            for i in imports
            if isinstance(i, cst.ImportFrom) and not i.relative
        ]
        in_tests = imports_a_test_framework(named)
        function = self._function_of(call)
        while function is not None:
            decorators = [get_full_name_for_node(d.decorator) for d in function.decorators]
            if is_test_code(function.name.value, decorators, in_tests):
                return True
            function = self._function_of(function)
        return False

    def _function_of(self, node: cst.CSTNode) -> cst.FunctionDef | None:
        current = self.parent(node)
        while current is not None and not isinstance(current, cst.FunctionDef):
            current = self.parent(current)
        return current

    def _catcher(self, call: cst.Call) -> cst.ExceptHandler | None:
        """The first handler of a ``try``, in the function of ``call``, whose body holds
        ``call``, that catches the RuntimeError that a second call raises."""
        node: cst.CSTNode | None = call
        while node is not None and not isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            parent = self.parent(node)
            if isinstance(parent, cst.Try) and node is parent.body:
                for handler in parent.handlers:
                    kind = handler.type
                    kinds = [e.value for e in kind.elements] if isinstance(kind, cst.Tuple) else [kind]
                    names = [None if k is None else k.value if isinstance(k, cst.Name) else "" for k in kinds]
                    if catches_runtime_error(names):
                        return handler
            node = parent
        return None

    def _warned(self, call: cst.Call) -> bool:
        """A call whose callee's last name warns (``warnings.warn``, ``logger.warning``)
        starts on a line before ``call``'s, in the function that holds it."""
        function = self._function_of(call)
        line = self.line(call.func)
        found_calls = findall(function, m.Call()) if function is not None else []
        calls = [found for found in found_calls if isinstance(found, cst.Call)]
        return any(_last_name(found.func) in WARNING_CALLS and self.line(found.func) < line for found in calls)

    def _referenced(self, name: str) -> bool:
        global_scope = self.scopes[self.module]
        return any(assignment.references for assignment in global_scope.assignments[name])  # type: ignore[union-attr]


_PATTERNS = m.MatchAs() | m.MatchStar() | m.MatchMapping()


def _last_name(func: cst.BaseExpression) -> str:
    """``warn`` of ``warnings.warn`` and of ``warn``; "" for a callee that is no name."""
    return func.attr.value if isinstance(func, cst.Attribute) else func.value if isinstance(func, cst.Name) else ""


def _captures(node: cst.CSTNode, name: str) -> bool:
    """``node`` is a ``case`` pattern that binds ``name``."""
    if isinstance(node, (cst.MatchAs, cst.MatchStar)):
        return node.name is not None and node.name.value == name
    return isinstance(node, cst.MatchMapping) and node.rest is not None and node.rest.value == name


def _forced(call: cst.Call) -> bool:
    """``set_start_method(method, force=...)`` with a force that may be true: such a call
    replaces the method in force instead of failing."""
    arg = keyword(call, "force")
    if arg is None:
        given = positional(call)
        arg = given[1] if len(given) > 1 else None
    return arg is not None and not (isinstance(arg.value, cst.Name) and arg.value.value in ("False", "None"))


def _forgets(call: cst.Call) -> bool:
    """``set_start_method(None, ...)``: with force, it forgets the method chosen and
    chooses none (a test's clean-up)."""
    method = keyword(call, "method") or next(iter(positional(call)), None)
    return method is not None and isinstance(method.value, cst.Name) and method.value.value == "None"


# Why a module that makes nothing through ``multiprocessing`` gets no context: the call
# would go, and what it chose for the library's own workers (a ``DataLoader``'s, say) too.
UNUSED = (
    "nothing in this module starts a process or makes a pool, queue or lock through `multiprocessing`, so a context "
    "would go unused: hand `get_context(...)` to what starts the processes that need this method "
    "(`multiprocessing_context=` of a `DataLoader`, `mp_context=` of an executor) and remove the call, or leave the "
    "choice to the program"
)


class ContextPlan:
    """``ctx = mp.get_context(...)`` in place of the module-level ``mp.set_start_method(...)``,
    and every use of the start method in force in the module made through ``ctx``."""

    def __init__(self, rule: LibrarySetsStartMethod, call: cst.Call) -> None:
        self.rule = rule
        self.call = call
        self.funcs: dict[int, str] = {}  # id(callee) -> the context's attribute to call instead
        self.executors: set[int] = set()  # ProcessPoolExecutor(...) calls that get mp_context=
        self.imported: cst.ImportAlias | None = None  # `set_start_method` imported by name

    def build(self) -> cst.Module:
        statement = self._statement()
        self._find_uses(statement)
        if not self.executors and all(api == "get_start_method" for api in self.funcs.values()):
            raise Unfixable(UNUSED)  # asking the context its method starts nothing
        scope = self.rule.scopes[self.call]
        name = FreshNames.of(self.rule.facts).pick("ctx", scope)  # type: ignore[arg-type]
        return self.rule.module.visit(_Through(self, name, statement))

    def _statement(self) -> cst.SimpleStatementLine:
        """The module-level statement that is the call and nothing else."""
        expr = self.rule.parent(self.call)
        line = self.rule.parent(expr)
        if not (isinstance(expr, cst.Expr) and isinstance(line, cst.SimpleStatementLine) and len(line.body) == 1):
            raise Unfixable("the call is part of a larger statement")
        if self.rule.parent(line) is not self.rule.module:
            raise Unfixable("the start method is set under a condition or in a `try`: a context would be too")
        if isinstance(self.call.func, cst.Name):
            self.imported = self._imported_alias(self.call.func)
        if any(arg.star for arg in self.call.args) or not (positional(self.call) or keyword(self.call, "method")):
            raise Unfixable("the method is not given as an argument")
        return line

    def _imported_alias(self, func: cst.Name) -> cst.ImportAlias:
        """The ``set_start_method`` of ``from multiprocessing import set_start_method``,
        which becomes ``get_context`` when nothing else calls it."""
        scope = self.rule.scopes[func]
        accesses = [a for a in scope.accesses[func.value] if a.node is func]  # type: ignore[union-attr]
        referents = [r for a in accesses for r in a.referents]
        node = getattr(referents[0], "node", None) if len(referents) == 1 else None
        alias = next((a for a in getattr(node, "names", ()) if m.matches(a, m.ImportAlias(m.Name(func.value)))), None)
        if alias is None or alias.asname is not None or len(referents[0].references) != 1:
            raise Unfixable("`set_start_method` is imported under another name, or called elsewhere too")
        if self.rule.scopes[self.rule.module].assignments["get_context"]:  # type: ignore[union-attr]
            raise Unfixable("the module binds `get_context` already")
        return alias

    def _find_uses(self, statement: cst.SimpleStatementLine) -> None:
        """The uses of the start method in force; Unfixable where one cannot go through a context."""
        line = self.rule.line(statement)
        for node in findall(self.rule.module, m.Name() | m.Attribute()):
            names = self.rule.api.qualified_names(node)
            if node is self.call.func or self._inside_import(node):
                continue
            parent = self.rule.parent(node)
            called = isinstance(parent, cst.Call) and parent.func is node
            if EXECUTOR in names or "concurrent.futures.process.ProcessPoolExecutor" in names:
                if called and not self._has_context(parent):  # type: ignore[arg-type]
                    self._check_after(node, line)
                    self.executors.add(id(parent))
                continue
            found = {n.removeprefix("multiprocessing.") for n in names if n.startswith("multiprocessing.")}
            api = next(iter(found & CONTEXT_APIS), None)
            if "get_context" in found and called and not parent.args:  # type: ignore[union-attr]
                raise Unfixable("`get_context()` without a method returns the one in force")
            if api is None:
                if any(canonical(n) in CONTEXT_APIS for n in names if not n.startswith(CONTEXT)):
                    raise Unfixable(f"`{self.rule.module.code_for_node(node)}` has no context of its own to go through")
                continue
            if not called:
                raise Unfixable(f"`{self.rule.module.code_for_node(node)}` is used other than called")
            self._check_after(node, line)
            self.funcs[id(node)] = api

    def _check_after(self, node: cst.CSTNode, line: int) -> None:
        if isinstance(self.rule.scopes.get(node), GlobalScope) and self.rule.line(node) < line:
            raise Unfixable("the module creates processes or their objects before it sets the start method")

    def _inside_import(self, node: cst.CSTNode) -> bool:
        parent = self.rule.parent(node)
        while parent is not None and not isinstance(parent, cst.BaseStatement):
            if isinstance(parent, (cst.Import, cst.ImportFrom)):
                return True
            parent = self.rule.parent(parent)
        return False

    @staticmethod
    def _has_context(call: cst.Call) -> bool:
        """``mp_context=`` given: ProcessPoolExecutor(max_workers, mp_context, ...)."""
        return keyword(call, "mp_context") is not None or len(positional(call)) >= 2 or any(a.star for a in call.args)


class _Through(cst.CSTTransformer):
    """Applies a :class:`ContextPlan`."""

    def __init__(self, plan: ContextPlan, name: str, statement: cst.SimpleStatementLine) -> None:
        super().__init__()
        self.plan = plan
        self.name = name
        self.statement = statement

    def on_leave(self, original_node: cst.CSTNode, updated_node: cst.CSTNode):
        if id(original_node) in self.plan.funcs:
            return cst.Attribute(value=cst.Name(self.name), attr=cst.Name(self.plan.funcs[id(original_node)]))
        if id(original_node) in self.plan.executors:
            assert isinstance(updated_node, cst.Call)  # executors holds the ids of calls only
            return add_keyword(updated_node, "mp_context", cst.Name(self.name))
        if original_node is self.plan.imported:
            return updated_node.with_changes(name=cst.Name("get_context"))
        if original_node is self.statement:
            return updated_node.with_changes(body=[self._assignment()])
        return updated_node

    def _assignment(self) -> cst.Assign:
        call = self.plan.call
        if isinstance(call.func, cst.Name):
            func: cst.BaseExpression = cst.Name("get_context")
        else:
            func = call.func.with_changes(attr=cst.Name("get_context"))
        args = [a for a in call.args if not (a.keyword is not None and a.keyword.value == "force")]
        if args:
            args[-1] = args[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
        return cst.Assign(
            targets=[cst.AssignTarget(cst.Name(self.name))], value=call.with_changes(func=func, args=args)
        )


RULE = LibrarySetsStartMethod


def _insists(handler: cst.ExceptHandler) -> bool:
    """The handler asserts or raises, outside the functions and classes it defines."""
    todo: list[cst.CSTNode] = [handler.body]
    while todo:
        node = todo.pop()
        if isinstance(node, (cst.Assert, cst.Raise)):
            return True
        if not isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.BaseExpression)):
            todo.extend(node.children)
    return False
