"""MP012 lost-async-result: a task is submitted and its result, or its exception, is never read.

``pool.apply_async(f, args)`` and ``executor.submit(f, x)`` return a handle that carries
the task's result and any exception it raised. Thrown away, the handle takes the
exception with it: the task fails and nothing says so. Only reported: which result the
program wants, and where an error should go, is its own decision.
"""

from __future__ import annotations

import libcst as cst
from libcst.helpers import get_full_name_for_node
from libcst.metadata import (
    BaseAssignment,
    ScopeProvider,
)

from ..analysis import match as m
from ..analysis.facts import findall
from ..analysis.ipc import keyword
from ..analysis.pool_blocks import terminated_after
from ..prechecks.lost_async_result import (
    ASYNC_ADVICE,
    ASYNC_METHODS,
    ASYNC_POOLS,
    CANNOT_FAIL,
    CELERY,
    EXECUTOR_METHODS,
    EXECUTORS,
    FILLING,
)
from ._base import RuleVisitor

COMPREHENSIONS = (cst.ListComp, cst.SetComp)
# The keywords of ``executor.map()`` besides its iterables, which change no task.
MAP_OPTIONS = frozenset({"timeout", "chunksize", "buffersize"})


def _small_number(node: cst.BaseExpression) -> bool:
    """A literal from 0 to a million (a minus sign makes a UnaryOperation): ``sleep()``
    refuses a length too large for the clock."""
    return isinstance(node, (cst.Integer, cst.Float)) and node.evaluated_value <= 1_000_000


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
        elif method not in EXECUTOR_METHODS or not self.bindings.is_instance(func.value, EXECUTORS):
            return
        elif method == "map" and self.expected_to_raise(node):
            return  # the test wants the call to raise, as it does when the input fails
        if self._cannot_fail(node, method):
            return  # nothing to lose: a task that warms the workers up, or keeps one busy
        how = self._lost(node, "iterator" if method == "map" else "handle", method != "map")
        if how is None or terminated_after(self.bindings, node):
            return  # read, or stopped on purpose before it could matter
        what = f"`{self.module.code_for_node(func)}(...)`"
        lost = "if the task raises, its exception is lost with the result"
        if method == "submit":
            advice = (
                "keep the future and call `.result()` on it, or pass the futures to "
                "`concurrent.futures.wait()` and check each one's `.exception()`"
            )
        elif method == "map":
            advice = (
                "loop over the results (or pass them to `list()`): reading them raises the exception of the first "
                "task that failed"
            )
            lost = "if a task raises, its exception is lost with the results"
        else:
            advice = ASYNC_ADVICE
        message = f"{how.format(what=what)}: {lost} and nothing reports the failure"
        self.report(node, message, not_fixed=advice)

    def _hears_of_errors(self, call: cst.Call) -> bool:
        """An error callback is given (or may be, through ``**kwargs``)."""
        positional = [arg for arg in call.args if arg.keyword is None and not arg.star]
        return (
            keyword(call, "error_callback") is not None
            or len(positional) >= 5
            or any(arg.star for arg in call.args)
        )

    def _cannot_fail(self, call: cst.Call, method: str) -> bool:
        """The task is one of :data:`CANNOT_FAIL`, with as many number literals from 0 to
        a million as it takes (``submit(time.sleep, 0.1)``,
        ``apply_async(time.sleep, (0.1,))``): neither it nor the pickling of its
        arguments can raise."""
        if method == "map":
            return self._warms_up(call)
        if any(arg.keyword is not None or arg.star for arg in call.args):
            return False
        if method not in ("submit", "apply_async"):
            return False
        if not call.args:
            return False
        task, *rest = [arg.value for arg in call.args]
        if method == "apply_async":  # apply_async(func, args): the arguments in a tuple
            if len(rest) > 1 or (rest and not isinstance(rest[0], cst.Tuple)):
                return False
            elements = rest[0].elements if rest and isinstance(rest[0], cst.Tuple) else []
            if any(not isinstance(element, cst.Element) for element in elements):
                return False
            rest = [element.value for element in elements]
        arity = {CANNOT_FAIL[name] for name in self.api.qualified_names(task) if name in CANNOT_FAIL}
        return arity == {len(rest)} and all(_small_number(value) for value in rest)

    def _warms_up(self, call: cst.Call) -> bool:
        """``executor.map(id, range(n))``, ``executor.map(time.sleep, [0.01] * 6)``: a task
        of :data:`CANNOT_FAIL` that takes one value, over small number literals (or, for
        ``id``, which takes anything, a ``range()``)."""
        given = [arg for arg in call.args if arg.keyword is None or arg.keyword.value not in MAP_OPTIONS]
        if len(given) != 2 or any(arg.keyword is not None or arg.star for arg in given):
            return False
        task, values = (arg.value for arg in given)
        names = self.api.qualified_names(task)
        if "builtins.id" in names and isinstance(values, cst.Call):
            return "builtins.range" in self.api.qualified_names(values.func)
        if isinstance(values, cst.BinaryOperation) and isinstance(values.operator, cst.Multiply):
            sides = (values.left, values.right)
            values = next((v for v, n in (sides, sides[::-1]) if isinstance(n, cst.Integer)), values)
        return (
            any(CANNOT_FAIL.get(name) == 1 for name in names)
            and isinstance(values, (cst.List, cst.Tuple))
            and all(isinstance(e, cst.Element) and _small_number(e.value) for e in values.elements)
        )

    # -- where the handle goes -------------------------------------------------------

    def _lost(self, call: cst.Call, noun: str, extended: bool = True) -> str | None:
        """How the handle (``noun``) is lost, as a message template, or None when it may be
        read. ``extended``: ``X.extend(handle)`` stores it (not for an iterator, which
        ``extend`` reads)."""
        holder: cst.CSTNode | None = call
        parent = self.parent(call)
        many = isinstance(parent, COMPREHENSIONS) and parent.elt is call
        if many:
            holder, parent = parent, self.parent(parent)
        handle = f"the {noun}{'s' if many else ''} that {{what}} returns"
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
            filling = FILLING if extended else FILLING - {"extend"}
            if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.attr.value in filling:
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
