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

from ..analysis.prechecks import AstFacts, keyword_value, may_be_instance, positional_args
from ..libraries import spellings

# What reaches a child as a named semaphore: the objects that hold a lock or a semaphore.
SEMAPHORED = frozenset(
    {
        "Queue", "JoinableQueue", "SimpleQueue", "Lock", "RLock", "Semaphore", "BoundedSemaphore",
        "Condition", "Event", "Barrier", "Value", "Array",
    }
)  # fmt: skip
APIS = SEMAPHORED
# What a parent may ask of a process that waits for it, or stops it: nothing to report then.
MANAGED = frozenset({"join", "terminate", "kill", "close", "is_alive", "exitcode", "sentinel"})


def precheck(facts: AstFacts) -> bool:
    """A call spelled like ``Process``, a ``start()`` call, a name spelled like one of
    :data:`SEMAPHORED` (a factory, or an annotation), and a ``Process(...)`` call that
    hands one over in a shape this rule reports (see ``may_find``)."""
    processes = facts.aliases(spellings({"Process"}))
    if not facts.calls_to(processes) or not facts.method_calls(["start"]):
        return False
    kinds = facts.aliases(spellings(SEMAPHORED))
    names = {n.id for n in facts.nodes(ast.Name)} | {n.attr for n in facts.nodes(ast.Attribute)}
    return bool(names & kinds) and may_find(facts, processes, kinds)


def may_find(facts: AstFacts, processes: Collection[str], kinds: Collection[str]) -> bool:
    """Some call of ``processes`` hands over an expression that may be one of ``kinds``, in
    a shape whose processes the rule can find unjoined: ``Process(...).start()``, a list
    comprehension of them, or ``name = Process(...)`` where the same scope does not, after
    it, ask ``name`` to join, terminate or say whether it is alive."""
    handing = [call for call in facts.calls_to(processes) if any(may_be_instance(v, kinds) for v in _handed(call))]
    return any(_unjoined_shape(facts, call) for call in handing)


def _unjoined_shape(facts: AstFacts, call: ast.Call) -> bool:
    scopes = facts.scopes
    parent = scopes.parent(call)
    if isinstance(parent, ast.Assign) and len(parent.targets) == 1 and isinstance(parent.targets[0], ast.Name):
        # The rule follows a name bound once: each of these reads reads this binding.
        reads = scopes.reads(scopes.scope_of(parent), parent.targets[0].id, after=parent)
        return not any(_asks(scopes.parent(read), MANAGED) for read in reads)
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


def _asks(node: ast.AST | None, attributes: Collection[str]) -> bool:
    return isinstance(node, ast.Attribute) and node.attr in attributes
