"""The `ast` pre-check of serial-result-wait: False only when the rule can find nothing."""

from __future__ import annotations

import ast
from collections.abc import Collection, Iterable

from ..analysis.ast_index import walk
from ..analysis.prechecks import AstFacts, may_be_instance
from ..libraries import spellings

POOLS = frozenset({"Pool", "ThreadPool"})
WAIT_OF = {"apply_async": "get", "submit": "result"}  # submission method -> its wait
AST_LOOPS = (ast.For, ast.AsyncFor, ast.While, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


def _waits_for_tasks(nodes: Iterable[ast.AST], pools: Collection[str]) -> bool:
    """Among ``nodes``, a call that may submit a task and wait for it, in a shape that
    ``_wait`` knows: ``pool.apply()``, ``X.apply_async(...).get()`` (or ``submit`` and
    ``result``), or ``h.get()`` where ``nodes`` bind ``h = X.apply_async(...)``."""
    nodes = list(nodes)
    handles = set()  # (name, the wait of what it is bound to)
    for node in nodes:
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1):
            continue
        target, submitted = node.targets[0], _submits(node.value)
        if isinstance(target, ast.Name) and submitted is not None:
            handles.add((target.id, WAIT_OF[submitted]))
    for node in nodes:
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        method, receiver = node.func.attr, node.func.value
        if method == "apply" and may_be_instance(receiver, pools):
            return True
        if method in WAIT_OF.values() and (
            WAIT_OF.get(_submits(receiver) or "") == method
            or (isinstance(receiver, ast.Name) and (receiver.id, method) in handles)
        ):
            return True
    return False


def _submits(node: ast.AST) -> str | None:
    """The method of ``X.apply_async(...)`` or ``X.submit(...)``; None for anything else."""
    func = node.func if isinstance(node, ast.Call) else None
    return func.attr if isinstance(func, ast.Attribute) and func.attr in WAIT_OF else None


APIS = None  # `x.apply_async(...).get()` in a loop waits serially on any receiver


def precheck(facts: AstFacts) -> bool:
    """A loop that calls a method named ``apply``, or waits for a submission in a shape
    the rule knows (see ``_waits_for_tasks``)."""
    pools = facts.aliases(spellings(POOLS))
    if not _waits_for_tasks([*facts.method_calls(["apply", *WAIT_OF.values()]), *facts.nodes(ast.Assign)], pools):
        return False
    return any(_waits_for_tasks(walk(loop), pools) for loop in facts.nodes(*AST_LOOPS))
