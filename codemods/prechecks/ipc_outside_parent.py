"""The `ast` pre-check of ipc-outside-parent: False only when the rule can find nothing."""

from __future__ import annotations

import ast
from collections.abc import Collection

from ..analysis.prechecks import MODULE, AstFacts, callee_name
from ..analysis.project.apis import IPC_FACTORIES, MANAGER_PROXIES
from ..libraries import spellings


def _ast_creation(statement: ast.stmt, factories: Collection[str], proxies: Collection[str]) -> bool:
    """The ``ast`` twin of mpfix.analysis.ipc.creation_of, by last names: ``NAME = Queue()``,
    ``a, b = Pipe()``, ``NAME = manager.dict()``."""
    if not (
        isinstance(statement, ast.Assign) and len(statement.targets) == 1 and isinstance(statement.value, ast.Call)
    ):
        return False
    func = statement.value.func
    proxy = isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.attr in proxies
    return proxy or callee_name(statement.value) in factories


APIS = IPC_FACTORIES  # a manager's proxies need its Manager()


def precheck(facts: AstFacts) -> bool:
    """A function that runs in a child (or a ``Process`` subclass), and ``NAME = <a
    call spelled like an IPC factory, or a manager's proxy method>`` where the rule
    looks for creations: in code only the parent runs (module level, the guard), or
    at the top of such a function."""
    entries = facts.entries.runs_in_child
    if not (entries or facts.process_classes):
        return False
    factories = facts.aliases(spellings(IPC_FACTORIES))
    proxies = MANAGER_PROXIES if facts.calls_to(facts.aliases(spellings({"Manager"}))) else frozenset()
    tops = [statement for name in entries for statement in facts.functions[name].body]
    return any(_ast_creation(s, factories, proxies) for s in [*facts.nodes(ast.Assign, levels=(MODULE,)), *tops])
