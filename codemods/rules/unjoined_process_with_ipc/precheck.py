"""The rule's question asked of Python's ``ast`` first: is there a ``Process(...)`` call
that hands over something made like a lock, queue or shared value, and that the rule
could find unjoined? A large file that starts and joins its processes in the same
function (a test suite's usual shape) is then never parsed with libcst for this rule.

It over-approximates the rule (see mpfix.analysis.prechecks): a call it lets through may
be found clean, a call it drops never has a finding.
"""

from __future__ import annotations

import ast
from collections.abc import Collection, Iterator

from ...analysis.prechecks import AstFacts, keyword_value, may_be_instance, positional_args
from .handles import MANAGED

_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Module)
# Where a name may be bound anew: what reads it there is not this scope's business.
_NESTED = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda, ast.ListComp, ast.SetComp,
           ast.DictComp, ast.GeneratorExp)  # fmt: skip


def may_find(facts: AstFacts, processes: Collection[str], kinds: Collection[str]) -> bool:
    """Some call of ``processes`` hands over an expression that may be one of ``kinds``, in
    a shape whose processes the rule can find unjoined: ``Process(...).start()``, a list
    comprehension of them, or ``name = Process(...)`` where the same scope never asks
    ``name`` to join, terminate or say whether it is alive."""
    handing = [call for call in facts.calls_to(processes) if any(may_be_instance(v, kinds) for v in _handed(call))]
    if not handing:
        return False
    parents = {id(child): node for node in ast.walk(facts.tree) for child in ast.iter_child_nodes(node)}
    return any(_unjoined_shape(call, parents) for call in handing)


def _unjoined_shape(call: ast.Call, parents: dict[int, ast.AST]) -> bool:
    parent = parents.get(id(call))
    if isinstance(parent, ast.Assign) and len(parent.targets) == 1 and isinstance(parent.targets[0], ast.Name):
        return not _managed_in(_scope_of(parent, parents), parent.targets[0].id)
    started = isinstance(parent, ast.Attribute) and parent.attr == "start"
    return started or (isinstance(parent, ast.ListComp) and parent.elt is call)


def _handed(call: ast.Call) -> Iterator[ast.expr]:
    """The elements of a literal ``args`` tuple or list, or ``kwargs`` dict, as the rule reads them."""
    given = [keyword_value(call, "args"), keyword_value(call, "kwargs")]
    given += [arg for index, arg in enumerate(positional_args(call)) if index in (3, 4)]
    for value in given:
        if isinstance(value, (ast.Tuple, ast.List)):
            yield from (e.value if isinstance(e, ast.Starred) else e for e in value.elts)
        elif isinstance(value, ast.Dict):
            yield from (v for k, v in zip(value.keys, value.values, strict=True) if k is not None)


def _scope_of(node: ast.AST, parents: dict[int, ast.AST]) -> ast.AST:
    current = parents.get(id(node))
    while current is not None and not isinstance(current, _SCOPES):
        current = parents.get(id(current))
    return current if current is not None else node


def _managed_in(scope: ast.AST, name: str) -> bool:
    """``name.join``, ``name.terminate`` (any of MANAGED) is read in ``scope`` itself, outside
    nested functions, classes and comprehensions: a read of the one binding the rule
    follows, or of a name bound more than once, which the rule leaves alone too."""
    # A def's decorators, defaults and annotations, and a class's bases, are read outside it.
    pending: list[ast.AST] = list(getattr(scope, "body", []))
    while pending:
        node = pending.pop()
        if isinstance(node, ast.Attribute) and node.attr in MANAGED and _is_name(node.value, name):
            return True
        if not isinstance(node, _NESTED):
            pending.extend(ast.iter_child_nodes(node))
    return False


def _is_name(node: ast.expr, name: str) -> bool:
    return isinstance(node, ast.Name) and node.id == name
