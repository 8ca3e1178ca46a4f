"""The objects that connect processes, and the calls that create them and start processes.

A queue, lock, shared value or manager connects processes only when the parent creates it
and hands the same object to each child. This module knows which calls create such
objects, which calls hand work to a child (process targets, pool tasks, pool
initializers) and which start method a call asks for.
"""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from . import match as m
from .facts import findall
from .names import ApiResolver
from .project.apis import IPC_FACTORIES, MANAGER_PROXIES

# How many arguments may come before `initializer` positionally: Pool(processes, initializer,
# ...), ProcessPoolExecutor(max_workers, mp_context, initializer, ...).
_INITIALIZER_POSITION = {"Pool": 1, "ProcessPoolExecutor": 2}


@dataclass(frozen=True)
class Creation:
    """``NAME = factory(...)`` (``a, b = Pipe()`` for pipes): a statement that creates an
    inter-process object and binds it to plain names."""

    statement: cst.SimpleStatementLine
    names: tuple[str, ...]
    kind: str  # the canonical factory name, or "proxy" for a manager's proxy
    call: cst.Call


def creation_of(statement: cst.CSTNode, api: ApiResolver, managers: set[str]) -> Creation | None:
    if not (isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1):
        return None
    assign = statement.body[0]
    if not (isinstance(assign, cst.Assign) and len(assign.targets) == 1 and isinstance(assign.value, cst.Call)):
        return None
    call, target = assign.value, assign.targets[0].target
    kind = api.call_api(call)
    if kind not in IPC_FACTORIES:
        func = call.func
        manager = func.value if isinstance(func, cst.Attribute) else None
        if not (isinstance(func, cst.Attribute) and isinstance(manager, cst.Name)):
            return None
        if manager.value not in managers or func.attr.value not in MANAGER_PROXIES:
            return None
        kind = "proxy"
    if kind == "Pipe":
        elements = target.elements if isinstance(target, (cst.Tuple, cst.List)) else ()
        names = tuple(e.value.value for e in elements if isinstance(e, cst.Element) and isinstance(e.value, cst.Name))
        return Creation(statement, names, kind, call) if names and len(names) == len(elements) else None
    return Creation(statement, (target.value,), kind, call) if isinstance(target, cst.Name) else None


def manager_names(module: cst.Module, api: ApiResolver) -> set[str]:
    """Names bound to a manager: ``m = Manager()`` or ``with Manager() as m``."""
    names: set[str] = set()
    for node in findall(module, m.Assign(value=m.Call()) | m.WithItem(item=m.Call(), asname=m.AsName(name=m.Name()))):
        if isinstance(node, cst.Assign) and api.call_api(node.value) == "Manager":
            names.update(t.target.value for t in node.targets if isinstance(t.target, cst.Name))
        elif isinstance(node, cst.WithItem) and api.call_api(node.item) == "Manager" and node.asname is not None:
            names.add(cst.ensure_type(node.asname.name, cst.Name).value)  # the matcher took plain names only
    return names


def keyword(call: cst.Call, name: str) -> cst.Arg | None:
    return next((arg for arg in call.args if arg.keyword is not None and arg.keyword.value == name), None)


def positional(call: cst.Call) -> list[cst.Arg]:
    return [arg for arg in call.args if arg.keyword is None and not arg.star]


def pool_initializer(call: cst.Call, kind: str) -> cst.BaseExpression | None:
    """The initializer a pool call passes, by keyword or position."""
    arg = keyword(call, "initializer")
    if arg is not None:
        return arg.value
    args = positional(call)
    position = _INITIALIZER_POSITION[kind]
    return args[position].value if len(args) > position else None


def _string(node: cst.BaseExpression | None) -> str | None:
    if isinstance(node, cst.SimpleString) and isinstance(node.evaluated_value, str):
        return node.evaluated_value
    return None


def requested_method(call: cst.Call) -> str | None:
    """The start method that ``set_start_method(...)`` or ``get_context(...)`` names, when
    it is written as a string."""
    args = positional(call)
    method = keyword(call, "method")
    return _string(args[0].value if args else method.value if method else None)


def replaces_workers(executor: cst.Call) -> bool:
    """``ProcessPoolExecutor(max_tasks_per_child=n)``, n not None: the executor replaces
    each worker after n tasks, which it does by spawn unless it is given a context."""
    given = keyword(executor, "max_tasks_per_child")
    return given is not None and not m.matches(given.value, m.Name("None"))


class StartMethods:
    """Which start method a call that starts processes asks for, when the code says so."""

    def __init__(self, module: cst.Module, api: ApiResolver) -> None:
        self.api = api
        self.contexts: dict[str, str | None] = {}
        for assign in findall(module, m.Assign(value=m.Call())):
            assert isinstance(assign, cst.Assign) and isinstance(assign.value, cst.Call)
            if api.call_api(assign.value) == "get_context":
                method = requested_method(assign.value)
                for target in assign.targets:
                    if isinstance(target.target, cst.Name):
                        self.contexts[target.target.value] = method
        chosen = {
            requested_method(call)
            for call in findall(module, m.Call())
            if isinstance(call, cst.Call) and api.call_api(call) == "set_start_method"
        }
        self.default = chosen.pop() if len(chosen) == 1 else None

    def _of_context(self, node: cst.BaseExpression) -> tuple[bool, str | None]:
        """(whether ``node`` is a context, its method)."""
        if isinstance(node, cst.Call) and self.api.call_api(node) == "get_context":
            return True, requested_method(node)
        if isinstance(node, cst.Name) and node.value in self.contexts:
            return True, self.contexts[node.value]
        return False, None

    def method(self, call: cst.Call) -> str | None:
        """The start method of the processes ``call`` starts (None: the platform's default)."""
        if self.api.call_api(call) == "ProcessPoolExecutor" and replaces_workers(call):
            given = keyword(call, "mp_context") or next(iter(positional(call)[1:2]), None)
            if given is None or m.matches(given.value, m.Name("None")):
                return "spawn"  # such an executor spawns without a context, whatever the method in force
            return self._of_context(given.value)[1]
        context = keyword(call, "mp_context") or keyword(call, "context")
        base = (
            context.value if context is not None else call.func.value if isinstance(call.func, cst.Attribute) else None
        )
        is_context, method = self._of_context(base) if base is not None else (False, None)
        return method if is_context else self.default
