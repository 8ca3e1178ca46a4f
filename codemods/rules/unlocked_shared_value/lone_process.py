"""Whether a process target runs in one process at a time, with the parent out of its way.

A read-modify-write of a shared value loses updates only when another process writes the
value in between. A target started once, as ``p = Process(target=f, ...)``,
``p.start()``, ``p.join()`` in one block, with nothing but quiet statements between the
start and the join, in a module that starts nothing else (one ``.start()`` call in all,
no pool or executor), is the only writer while it runs: the parent's own writes come
before the start or after the join.
"""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst

from ...analysis import match as m
from ...analysis.entries import entries_of
from ...analysis.facts import ModuleFacts, findall
from ...analysis.names import api_of

# Canonical APIs (see mpfix.analysis.names) that run code in other processes or threads.
WORKER_APIS = frozenset({"Pool", "ThreadPool", "ProcessPoolExecutor", "ThreadPoolExecutor", "InterpreterPoolExecutor"})
_START = m.Call(func=m.Attribute(attr=m.Name("start")))
_WRITE_TARGET = m.Attribute() | m.Subscript()


def runs_alone(facts: ModuleFacts, function: str, seen: frozenset[str] = frozenset()) -> bool:
    """Whether the top-level ``function`` runs only in one process that the parent starts
    and joins while starting nothing else and writing nothing shared: as its target, or
    called only by functions that run so."""
    uses = entries_of(facts).uses.get(function)
    if uses is None or function in seen or not _starts_nothing_else(facts):
        return False
    if uses.only_target:
        return len(uses.targets) == 1 and _started_and_joined(facts, uses.targets[0])
    if uses.tasks or uses.initializes or uses.targets:
        return False
    callers = [_caller(facts, node) for node in uses.other]
    return all(caller is not None and runs_alone(facts, caller, seen | {function}) for caller in callers)


def _caller(facts: ModuleFacts, node: cst.CSTNode) -> str | None:
    """The top-level function that calls the function named at ``node`` there."""
    call = facts.parents.get(node)
    if not (isinstance(call, cst.Call) and call.func is node):
        return None
    while (parent := facts.parents.get(node)) is not None and not isinstance(parent, cst.Module):
        node = parent
    return node.name.value if isinstance(node, cst.FunctionDef) else None


def _starts_nothing_else(facts: ModuleFacts) -> bool:
    """One ``.start()`` call in the module, and no pool or executor."""
    def build() -> bool:
        api = api_of(facts)
        if len(findall(facts.module, _START)) != 1:
            return False
        return not any(api.call_api(call) in WORKER_APIS for call in findall(facts.module, m.Call()))

    return facts.memo(_starts_nothing_else, build)


def _started_and_joined(facts: ModuleFacts, process: cst.Call) -> bool:
    """``p = Process(...)``, then ``p.start()``, then ``p.join()`` in the same block, with
    only quiet statements between the start and the join."""
    assign = facts.parents.get(process)
    line = facts.parents.get(assign) if isinstance(assign, cst.Assign) else None
    block = facts.parents.get(line) if isinstance(line, cst.SimpleStatementLine) else None
    target = assign.targets[0].target if isinstance(assign, cst.Assign) and len(assign.targets) == 1 else None
    if not (isinstance(target, cst.Name) and block is not None):
        return False
    name = target.value
    body: Sequence[cst.CSTNode] = getattr(block, "body", ())
    start = _index_of(body, body.index(line) + 1, _call_on(name, "start"))
    join = _index_of(body, start + 1, _call_on(name, "join")) if start is not None else None
    if join is None:
        return False
    handed = {n.value for arg in process.args for n in findall(arg.value, m.Name()) if isinstance(n, cst.Name)} | {name}
    return all(_quiet(facts, statement, handed) for statement in body[start + 1 : join])  # type: ignore[operator]


def _call_on(name: str, method: str) -> m.Matcher:
    """A line that is only ``name.method()``."""
    call = m.Call(func=m.Attribute(value=m.Name(name), attr=m.Name(method)), args=[])
    return m.SimpleStatementLine(body=[m.Expr(call)])


def _index_of(body: Sequence[cst.CSTNode], first: int, wanted: m.Matcher) -> int | None:
    return next((i for i in range(first, len(body)) if m.matches(body[i], wanted)), None)


def _quiet(facts: ModuleFacts, statement: cst.CSTNode, handed: set[str]) -> bool:
    """Neither names what the process was handed, nor writes an attribute or an item,
    nor calls a function or class of this module (which might do either)."""
    if any(isinstance(n, cst.Name) and n.value in handed for n in findall(statement, m.Name())):
        return False
    writes = [
        *findall(statement, m.AssignTarget(target=_WRITE_TARGET)),
        *findall(statement, m.AugAssign(target=_WRITE_TARGET) | m.AnnAssign(target=_WRITE_TARGET) | m.Del()),
    ]
    if writes:
        return False
    local = {node.name.value for node in facts.module.body if isinstance(node, (cst.FunctionDef, cst.ClassDef))}
    callees = (call.func for call in findall(statement, m.Call()) if isinstance(call, cst.Call))
    return not any(isinstance(callee, cst.Name) and callee.value in local for callee in callees)
