"""MP012 lost-async-result: a task is submitted and its result, or its exception, is never read.

``pool.apply_async(f, args)`` and ``executor.submit(f, x)`` return a handle that carries
the task's result and any exception it raised. Thrown away, the handle takes the
exception with it: the task fails and nothing says so. Only reported: which result the
program wants, and where an error should go, is its own decision.
"""

from __future__ import annotations

import ast

import libcst as cst
import libcst.matchers as m
from libcst.helpers import get_full_name_for_node
from libcst.metadata import (
    BaseAssignment,
    ScopeProvider,
)

from ..analysis.ast_scopes import AstScopes
from ..analysis.facts import findall
from ..analysis.ipc import keyword
from ..analysis.names import spellings
from ..analysis.pool_blocks import terminated_after
from ..analysis.prechecks import AstFacts, keyword_value, may_be_instance, positional_args, unpacks
from ._base import RuleVisitor

# Pool methods whose name no other common API has: found on any receiver. Each takes
# `error_callback` as its fifth positional argument.
ASYNC_METHODS = frozenset({"apply_async", "map_async", "starmap_async"})
# The pools that have them. Celery's tasks have an `apply_async` too, whose result is
# thrown away on purpose (the worker logs a failure): in a module that imports Celery,
# only a receiver proven to be one of these pools is reported.
ASYNC_POOLS = frozenset({"Pool", "ThreadPool"})
CELERY = "celery"
EXECUTORS = frozenset({"ProcessPoolExecutor", "ThreadPoolExecutor", "InterpreterPoolExecutor"})
# Methods that only put something into a container: a container used only by these is
# never read.
FILLING = frozenset({"append", "add", "extend", "insert"})
COMPREHENSIONS = (cst.ListComp, cst.SetComp)


def _ast_hears_of_errors(call: ast.Call) -> bool:
    """The ``ast`` twin of ``_hears_of_errors``."""
    return keyword_value(call, "error_callback") is not None or len(positional_args(call)) >= 5 or unpacks(call)


def _ast_imports(facts: AstFacts, package: str) -> bool:
    """The module imports ``package`` or one of its modules (absolutely)."""
    for node in facts.nodes(ast.Import, ast.ImportFrom):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            names = [node.module] if node.module and not node.level else []
        if any(name.split(".")[0] == package for name in names):
            return True
    return False


def _may_be_pool(facts: AstFacts, receiver: ast.expr, pools: frozenset[str]) -> bool:
    """``receiver`` may be proven one of ``pools`` (see mpfix.analysis.bindings'
    ``is_instance``): no binding before it makes it something else."""
    if isinstance(receiver, ast.Name) and facts.scopes.bound_to_others(receiver, pools):
        return False
    return may_be_instance(receiver, pools)


def _ast_may_be_lost(facts: AstFacts, call: ast.Call) -> bool:
    """The ``ast`` twin of ``_lost``: where the handle (or a comprehension of them) goes is
    a place ``_lost`` reports, unless the same scope surely reads it later: a statement of
    its own, a value assigned to plain names that are not read after, an argument of
    ``X.append()`` and its kin where ``X`` is not read after but to be filled."""
    scopes = facts.scopes
    holder: ast.expr = call
    parent = scopes.parent(call)
    if isinstance(parent, (ast.ListComp, ast.SetComp)) and parent.elt is call:
        holder, parent = parent, scopes.parent(parent)
    if isinstance(parent, ast.Expr):
        return True
    if isinstance(parent, (ast.Assign, ast.AnnAssign)) and parent.value is holder:
        targets = parent.targets if isinstance(parent, ast.Assign) else [parent.target]
        scope = scopes.scope_of(parent)
        names = [t.id for t in targets if isinstance(t, ast.Name)]
        return len(names) == len(targets) and not any(any(scopes.reads(scope, n, after=parent)) for n in names)
    container = _filled(parent)
    if container is None or not (isinstance(parent, ast.Call) and any(arg is holder for arg in parent.args)):
        return False
    scope = scopes.scope_of(container)
    if scopes.binds_after(scope, container.id, after=container):
        return True  # a later read may read another binding
    return all(_fills(read, scopes) for read in scopes.reads(scope, container.id, after=container))


def _fills(read: ast.Name, scopes: AstScopes) -> bool:
    """``read`` is the ``X`` of ``X.append(...)`` or its kin."""
    attribute = scopes.parent(read)
    return attribute is not None and _filled(scopes.parent(attribute)) is read


def _filled(call: ast.AST | None) -> ast.Name | None:
    """``X`` of ``X.append(...)`` or its kin; None for any other node."""
    func = call.func if isinstance(call, ast.Call) else None
    if isinstance(func, ast.Attribute) and func.attr in FILLING and isinstance(func.value, ast.Name):
        return func.value
    return None


def _packages(node: cst.CSTNode) -> list[str]:
    """The top-level packages that an ``import`` or an absolute ``from ... import`` names."""
    if isinstance(node, cst.Import):
        names = [get_full_name_for_node(alias.name) for alias in node.names]
    elif isinstance(node, cst.ImportFrom) and not node.relative and node.module is not None:
        names = [get_full_name_for_node(node.module)]
    else:
        names = []
    return [name.split(".")[0] for name in names if name]


class LostAsyncResult(RuleVisitor):
    APIS = None  # `x.apply_async(...)` loses its errors on any receiver

    @classmethod
    def precheck(cls, facts: AstFacts) -> bool:
        """``executor.submit(...)``, or ``x.apply_async(...)`` (or another async method)
        without an error callback, whose handle may be lost (see ``_ast_may_be_lost``)."""
        calls = [c for c in facts.method_calls(ASYNC_METHODS) if not _ast_hears_of_errors(c)]
        if _ast_imports(facts, CELERY):
            pools = facts.aliases(spellings(ASYNC_POOLS))
            calls = [c for c in calls if _may_be_pool(facts, c.func.value, pools)]  # type: ignore[attr-defined]
        executors = facts.aliases(spellings(EXECUTORS))
        calls += [c for c in facts.method_calls(["submit"]) if may_be_instance(c.func.value, executors)]  # type: ignore[attr-defined]
        return any(_ast_may_be_lost(facts, call) for call in calls)

    def visit_Module(self, node: cst.Module) -> None:
        self._celery = any(CELERY in _packages(imported) for imported in findall(node, m.Import() | m.ImportFrom()))

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if not isinstance(func, cst.Attribute):
            return
        method = func.attr.value
        if method in ASYNC_METHODS:
            if self._hears_of_errors(node):
                return
            if self._celery and not self.bindings.is_instance(func.value, ASYNC_POOLS):
                return  # a Celery task's, most likely
        elif method != "submit" or not self.bindings.is_instance(func.value, EXECUTORS):
            return
        how = self._lost(node)
        if how is None or terminated_after(self.bindings, node):
            return  # read, or stopped on purpose before it could matter
        what = f"`{self.module.code_for_node(func)}(...)`"
        if method == "submit":
            advice = (
                "keep the future and call `.result()` on it, or pass the futures to "
                "`concurrent.futures.wait()` and check each one's `.exception()`"
            )
        else:
            advice = "keep the handle and call `.get()` on it, or pass `error_callback=` to hear of failures"
        message = (
            f"{how.format(what=what)}: if the task raises, its exception is lost with the result and "
            "nothing reports the failure"
        )
        self.report(node, message, not_fixed=advice)

    def _hears_of_errors(self, call: cst.Call) -> bool:
        """An error callback is given (or may be, through ``**kwargs``)."""
        positional = [arg for arg in call.args if arg.keyword is None and not arg.star]
        return (
            keyword(call, "error_callback") is not None
            or len(positional) >= 5
            or any(arg.star for arg in call.args)
        )

    # -- where the handle goes -------------------------------------------------------

    def _lost(self, call: cst.Call) -> str | None:
        """How the handle is lost, as a message template, or None when it may be read."""
        holder: cst.CSTNode | None = call
        parent = self.parent(call)
        many = isinstance(parent, COMPREHENSIONS) and parent.elt is call
        if many:
            holder, parent = parent, self.parent(parent)
        handle = "the handles that {what} returns" if many else "the handle that {what} returns"
        if isinstance(parent, cst.Expr):
            return f"{handle[0].upper()}{handle[1:]} {'are' if many else 'is'} thrown away"
        if isinstance(parent, (cst.Assign, cst.AnnAssign)) and parent.value is holder:
            targets = [t.target for t in parent.targets] if isinstance(parent, cst.Assign) else [parent.target]
            names = [t for t in targets if isinstance(t, cst.Name)]
            if len(names) == len(targets) and not any(self._used(name) for name in names):
                return f"`{names[0].value}` holds {handle}, but is never used"
            return None
        if isinstance(parent, cst.Arg) and parent.value is holder and not parent.keyword and not parent.star:
            filled = self.parent(parent)
            func = filled.func if isinstance(filled, cst.Call) else None
            if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.attr.value in FILLING:
                container = func.value
                if self._only_filled(container):
                    verb = "go" if many else "goes"
                    return f"{handle[0].upper()}{handle[1:]} {verb} into `{container.value}`, which is never read"
        return None

    def _assignment_of(self, target: cst.CSTNode | None) -> BaseAssignment | None:
        """The scope's record of the binding that ``target`` (a name being assigned) makes."""
        scope = self.get_metadata(ScopeProvider, target, None) if target is not None else None
        if scope is None or not isinstance(target, cst.Name):
            return None
        name = target.value
        found = [a for a in scope.assignments[name] if getattr(a, "node", None) is target]
        return found[0] if len(found) == 1 else None

    def _used(self, target: cst.Name) -> bool:
        assignment = self._assignment_of(target)
        return assignment is None or bool(assignment.references)

    def _only_filled(self, container: cst.Name) -> bool:
        """The container is a list or set made here, and every read of it is a call of
        one of :data:`FILLING`: nothing ever takes a handle out."""
        bindings = self.bindings.of(container)
        if not bindings or not all(self._new_container(node) for node in bindings):
            return False
        for node in bindings:
            assignment = self._assignment_of(node)
            if assignment is None:
                return False
            for access in assignment.references:
                attribute = self.parent(access.node)
                call = self.parent(attribute) if attribute is not None else None
                if not (
                    isinstance(attribute, cst.Attribute)
                    and attribute.attr.value in FILLING
                    and isinstance(call, cst.Call)
                    and call.func is attribute
                ):
                    return False
        return True

    def _new_container(self, node: cst.CSTNode | None) -> bool:
        target = self.parent(node) if node is not None else None
        if not (isinstance(target, cst.AssignTarget) and target.target is node and self._assignment_of(node)):
            return False
        value = self.bindings.assigned(target)
        if isinstance(value, (cst.List, cst.Set)):
            return True
        names = self.bindings.api.qualified_names(value.func) if isinstance(value, cst.Call) else set()
        return bool(names & {"builtins.list", "builtins.set"})


RULE = LostAsyncResult
