"""Where a pool is open: the ``with ... as pool`` block around a statement, and whether a
statement is the last thing that runs while the pool is open."""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m

from codemods.bindings import Bindings


def with_block(bindings: Bindings, pool: cst.BaseExpression, node: cst.CSTNode) -> cst.With | None:
    """The ``with ... as pool`` around ``node`` (in the same function) that binds ``pool``."""
    found = bindings.of(pool) if isinstance(pool, cst.Name) else []
    as_name = bindings.parent(found[0]) if len(found) == 1 and found[0] is not None else None
    item = bindings.parent(as_name) if isinstance(as_name, cst.AsName) else None
    statement = bindings.parent(item) if isinstance(item, cst.WithItem) else None
    ancestor = bindings.parent(node)
    while ancestor is not None and not isinstance(ancestor, (cst.FunctionDef, cst.Lambda, cst.ClassDef)):
        if ancestor is statement:
            return statement  # type: ignore[return-value]
        ancestor = bindings.parent(ancestor)
    return None


def runs_last(bindings: Bindings, node: cst.CSTNode, pool: cst.BaseExpression) -> bool:
    """Nothing runs after ``node``'s statement while the pool is open: the statement ends the
    pool's ``with`` block (also from inside an ``if``), or is followed by ``pool.terminate()``."""
    block_of_pool = with_block(bindings, pool, node)
    statement = node
    while not isinstance(statement, cst.BaseStatement):
        statement = bindings.parent(statement)  # type: ignore[assignment]
    while True:
        block = bindings.parent(statement)
        if isinstance(block, cst.If):  # an `elif` branch
            statement = block
            continue
        if not isinstance(block, cst.IndentedBlock):
            return False
        rest = list(block.body)[[id(s) for s in block.body].index(id(statement)) + 1 :]
        if rest:
            terminate = m.Call(func=m.Attribute(m.Name(pool.value), m.Name("terminate")), args=[]) if isinstance(pool, cst.Name) else None
            return terminate is not None and m.matches(rest[0], m.SimpleStatementLine([m.Expr(terminate)]))
        owner = bindings.parent(block)
        if block_of_pool is not None and owner is block_of_pool:
            return True
        if isinstance(owner, cst.Else):
            owner = bindings.parent(owner)
        if not isinstance(owner, (cst.If, cst.With)):
            return False
        statement = owner
