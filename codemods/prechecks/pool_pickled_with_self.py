"""The `ast` pre-check of pool-pickled-with-self: False only when the rule can find nothing."""

from __future__ import annotations

import ast

from ..analysis.prechecks import AstFacts, callee_name
from ..analysis.project.apis import POOLS, TASK_METHODS
from ..libraries import EVERY_API, spellings

# What cannot be pickled when stored on ``self``: a thread pool refuses as a process pool does.
STORED = POOLS | {"ThreadPool"}


def _ast_stores_pool(facts: AstFacts) -> bool:
    """``x.attr = Pool(...)`` (or an executor, or ``ctx.Pool(...)``) somewhere."""
    pools = facts.aliases(spellings(STORED))
    return any(
        isinstance(node.value, ast.Call)
        and callee_name(node.value) in pools
        and any(isinstance(target, ast.Attribute) for target in node.targets)
        for node in facts.nodes(ast.Assign)
    )


APIS = EVERY_API  # a thread pool on `self` cannot be pickled either


def precheck(facts: AstFacts) -> bool:
    """A pool stored on an attribute, and a task that is an attribute of a name
    (``self.work``) handed to a pool method."""
    if not _ast_stores_pool(facts):
        return False
    return any(
        (args := [a for a in call.args if not isinstance(a, ast.Starred)])
        and isinstance(args[0], ast.Attribute)
        and isinstance(args[0].value, ast.Name)
        for call in facts.method_calls(TASK_METHODS)
    )
