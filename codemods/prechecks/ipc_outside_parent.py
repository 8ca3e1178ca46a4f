"""The `ast` pre-check of ipc-outside-parent: False only when the rule can find nothing."""

from __future__ import annotations

import ast
from collections.abc import Collection, Iterator

from ..analysis.ast_api import UNSURE, AstApi
from ..analysis.ast_walk import MODULE, children
from ..analysis.prechecks import AstFacts, callee_name, is_main_guard_test
from ..analysis.project.apis import IPC_FACTORIES, MANAGER_PROXIES, POOLS
from ..libraries import LIBRARIES, spellings

APIS = IPC_FACTORIES  # a manager's proxies need its Manager()
RULE = "MP003"
# What a worker may call to start children of its own: the rule then leaves it alone.
STARTERS = frozenset({"Process", "Manager", *POOLS})
# The rule finds creations through a resolver that hears every library; the rule's own
# resolver hears the same while no library makes the rule moot (else a call it resolves
# to no API may still be a creation).
HEARS_ALL = not any(RULE in library.moot for library in LIBRARIES)


def precheck(facts: AstFacts) -> bool:
    """A function that runs in a child (or a ``Process`` subclass), and ``NAME = <a call
    that may resolve to an IPC factory, or a manager's proxy method>`` where the rule
    looks for creations: in code only the parent runs (module level, the guard), or at
    the top of a function that runs in a child and calls nothing that surely starts
    processes (the rule leaves such a worker alone)."""
    entries = facts.entries.runs_in_child
    if not (entries or facts.process_classes):
        return False
    api = facts.api(RULE)
    factories = facts.aliases(spellings(IPC_FACTORIES))
    managers = _managers(facts, api)
    if any(_creation(s, api, factories, managers) for s in facts.nodes(ast.Assign, levels=(MODULE,))):
        return True
    for name in entries:
        function = facts.functions[name]
        made = any(_creation(s, api, factories, frozenset()) for s in function.body)
        if made and not _starts_children(function, api):
            return True
    return False


def _may_be(found: object, apis: Collection[str]) -> bool:
    return found is UNSURE or found in apis or (found is None and not HEARS_ALL)


def _creation(statement: ast.stmt, api: AstApi, factories: Collection[str], managers: Collection[str]) -> bool:
    """The ``ast`` twin of mpfix.analysis.ipc.creation_of: ``NAME = Queue()``, ``a, b =
    Pipe()`` (a callee spelled like an IPC factory, or imported as one, that may resolve
    to one), ``NAME = manager.dict()`` with ``manager`` one of ``managers``."""
    if not (
        isinstance(statement, ast.Assign) and len(statement.targets) == 1 and isinstance(statement.value, ast.Call)
    ):
        return False
    call = statement.value
    if callee_name(call) in factories and _may_be(api.call_api(call), IPC_FACTORIES):
        return True
    func = call.func
    return (
        isinstance(func, ast.Attribute)
        and isinstance(func.value, ast.Name)
        and func.value.id in managers
        and func.attr in MANAGER_PROXIES
    )


def _managers(facts: AstFacts, api: AstApi) -> frozenset[str]:
    """The twin of mpfix.analysis.ipc.manager_names, a superset: names bound to a call that
    may be ``Manager()``, by ``name = ...`` or ``with ... as name``."""
    names: set[str] = set()
    for node in facts.nodes(ast.Assign):
        if isinstance(node.value, ast.Call) and _may_be(api.call_api(node.value), {"Manager"}):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    for item in facts.nodes(ast.withitem):
        made = isinstance(item.context_expr, ast.Call) and _may_be(api.call_api(item.context_expr), {"Manager"})
        if made and isinstance(item.optional_vars, ast.Name):
            names.add(item.optional_vars.id)
    return frozenset(names)


def _starts_children(function: ast.AST, api: AstApi) -> bool:
    """Whether ``function`` surely calls ``Process``, ``Manager`` or a pool where the rule's
    ``calls_in(definition, whole_functions=True)`` sees it: the rule then reports none of
    its creations."""
    return any(api.call_api(call) in STARTERS for call in _calls_seen(function))


def _calls_seen(node: ast.AST) -> Iterator[ast.Call]:
    """The calls in ``node``, nested functions and lambdas included, but not in the body of
    an ``if`` whose test may be a ``__main__`` guard's (the rule's visitor skips a guard's
    body, and only its ``else`` is looked at)."""
    pending = [node]
    while pending:
        current = pending.pop()
        if isinstance(current, ast.Call):
            yield current
        if isinstance(current, ast.If) and is_main_guard_test(current.test):
            pending += current.orelse
        else:
            pending.extend(children(current))
