"""Where a pool is open: the ``with ... as pool`` block around a statement, whether a
statement is the last thing that runs while the pool is open, and whether the code ends
the pool's tasks on purpose."""

from __future__ import annotations

import libcst as cst

from . import match as m
from .bindings import Bindings
from .facts import findall
from .loop_body import Path, dotted
from .project.apis import POOL_STOPS, POOL_WAITS

# Calls that wait for tasks or read their results: after one, a task may have run to its end.
WAITING = m.Call(func=m.Attribute(attr=m.OneOf(*map(m.Name, POOL_WAITS))) | m.Name("wait") | m.Name("as_completed"))


def with_block(bindings: Bindings, pool: cst.BaseExpression, node: cst.CSTNode) -> cst.With | None:
    """The ``with ... as pool`` around ``node`` (in the same function) that binds ``pool``."""
    found = bindings.of(pool) if isinstance(pool, cst.Name) else []
    as_name = bindings.parent(found[0]) if len(found) == 1 and found[0] is not None else None
    item = bindings.parent(as_name) if isinstance(as_name, cst.AsName) else None
    parent = bindings.parent(item) if isinstance(item, cst.WithItem) else None
    statement = parent if isinstance(parent, cst.With) else None
    ancestor = bindings.parent(node)
    while ancestor is not None and not isinstance(ancestor, (cst.FunctionDef, cst.Lambda, cst.ClassDef)):
        if ancestor is statement:
            return statement
        ancestor = bindings.parent(ancestor)
    return None


def runs_last(bindings: Bindings, node: cst.CSTNode, pool: cst.BaseExpression) -> bool:
    """Nothing runs after ``node``'s statement while the pool is open: the statement ends the
    pool's ``with`` block (also from inside an ``if``), or is followed by ``pool.terminate()``."""
    block_of_pool = with_block(bindings, pool, node)
    statement: cst.CSTNode | None = node
    while not isinstance(statement, cst.BaseStatement):
        assert statement is not None  # ``node`` lies in a statement
        statement = bindings.parent(statement)
    while True:
        block = bindings.parent(statement)
        if isinstance(block, cst.If):  # an `elif` branch
            statement = block
            continue
        if not isinstance(block, cst.IndentedBlock):
            return False
        rest = list(block.body)[[id(s) for s in block.body].index(id(statement)) + 1 :]
        if rest:
            terminate = (
                m.Call(func=m.Attribute(m.Name(pool.value), m.Name("terminate")), args=[])
                if isinstance(pool, cst.Name)
                else None
            )
            return terminate is not None and m.matches(rest[0], m.SimpleStatementLine([m.Expr(terminate)]))
        owner = bindings.parent(block)
        if block_of_pool is not None and owner is block_of_pool:
            return True
        if isinstance(owner, cst.Else):
            owner = bindings.parent(owner)
        if not isinstance(owner, (cst.If, cst.With)):
            return False
        statement = owner


def terminated_after(bindings: Bindings, call: cst.Call) -> bool:
    """``pool.task(...)`` is abandoned on purpose: a statement after it, in its block or in
    one around it in the same function, stops the pool (``pool.terminate()``,
    ``executor.shutdown(cancel_futures=True)``), and nothing before that waits for tasks
    or binds the pool anew. The pool may be a name or an attribute (``self.pool``)."""
    pool = call.func.value if isinstance(call.func, cst.Attribute) else None
    path = dotted(pool) if pool is not None else None
    if pool is None or path is None:
        return False
    statement: cst.CSTNode | None = call
    while statement is not None and not isinstance(statement, (cst.FunctionDef, cst.Lambda, cst.ClassDef)):
        block = bindings.parent(statement)
        if isinstance(statement, cst.BaseStatement) and isinstance(block, (cst.IndentedBlock, cst.Module)):
            for later in list(block.body)[[id(s) for s in block.body].index(id(statement)) + 1 :]:
                if _stops(bindings, later, pool):
                    return True
                if findall(later, WAITING) or _stores_into(later, path):
                    return False
        statement = block
    return False


def _stops(bindings: Bindings, statement: cst.BaseStatement, pool: cst.BaseExpression) -> bool:
    """``statement`` is ``pool.terminate()``, or another call that ends its tasks, on the
    pool that ``pool`` names."""
    only = statement.body[0] if isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1 else None
    stop = only.value if isinstance(only, cst.Expr) else None
    if not (isinstance(stop, cst.Call) and isinstance(stop.func, cst.Attribute)):
        return False
    method = stop.func.attr.value
    cancels = m.Arg(keyword=m.Name("cancel_futures"), value=m.Name("True"))
    ends = method in POOL_STOPS or (
        method == "shutdown" and any(m.matches(a, cancels) for a in stop.args)
    )
    return ends and _same_object(bindings, stop.func.value, pool)


def _same_object(bindings: Bindings, one: cst.BaseExpression, other: cst.BaseExpression) -> bool:
    """``one`` and ``other`` spell the same dotted path (``pool``, ``self.pool``) from a
    name that the same statements bind."""
    if dotted(one) is None or dotted(one) != dotted(other):
        return False
    return [id(n) for n in bindings.of(_root(one))] == [id(n) for n in bindings.of(_root(other))]


def _root(expression: cst.BaseExpression) -> cst.Name:
    """The name a dotted path starts from: ``self`` of ``self.pool``."""
    while isinstance(expression, cst.Attribute):
        expression = expression.value
    return cst.ensure_type(expression, cst.Name)  # a dotted path starts from a name


def _stores_into(statement: cst.CSTNode, path: Path) -> bool:
    """``statement`` assigns the object at ``path`` or one it hangs from (``self.pool = ...``,
    ``self = ...``): a stop after it may stop another pool."""
    found = [*findall(statement, m.AssignTarget()), *findall(statement, m.AnnAssign() | m.AugAssign())]
    targets = [t.target for t in found if isinstance(t, (cst.AssignTarget, cst.AnnAssign, cst.AugAssign))]
    return any((stored := dotted(target)) is not None and stored == path[: len(stored)] for target in targets)
