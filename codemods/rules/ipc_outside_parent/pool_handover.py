"""Handing an object to pool workers: once per worker, through the pool's initializer.

Pool workers cannot receive a queue, lock or shared value as a task argument, so the pool
passes it in ``initargs=`` to an initializer that binds the module-level name the tasks
read. A pool without an initializer gets a small generated one; an existing initializer
that is a plain module-level function gets a parameter more; anything else is Unfixable.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial

import libcst as cst

from ...analysis.ipc import keyword, pool_initializer
from ...analysis.statements import declared_names, plain_positional
from ...rewrite.handover import (
    Edits,
    add_keyword,
    append_element,
    change_keyword,
    extend_initializer,
    make_initializer,
)
from .._base import Unfixable
from .ipc_plan import IpcModule, Placed


@dataclass
class PoolHandover:
    """What the pools that run some tasks need: a new initializer, or an extended one."""

    names: list[str]
    pools: list[cst.Call] = field(default_factory=list)  # every pool that runs the tasks
    fresh: list[cst.Call] = field(default_factory=list)  # pools with no initializer yet
    extend: dict[str, list[str]] = field(default_factory=dict)  # initializer -> names it lacks

    @property
    def needed(self) -> bool:
        return bool(self.fresh or any(self.extend.values()))


def _hands_over(initializer: cst.FunctionDef, pool: cst.Call) -> dict[str, cst.BaseExpression]:
    """The globals that ``initializer`` binds from its parameters, and what ``pool``
    passes for each."""
    params = [p.name.value for p in initializer.params.params]
    initargs = keyword(pool, "initargs")
    values = initargs.value.elements if initargs and isinstance(initargs.value, (cst.Tuple, cst.List)) else []
    declared = declared_names(initializer)
    bound: dict[str, cst.BaseExpression] = {}
    for statement in initializer.body.body:
        small = statement.body[0] if isinstance(statement, cst.SimpleStatementLine) else None
        if isinstance(small, cst.Assign) and len(small.targets) == 1 and isinstance(small.value, cst.Name):
            target, source = small.targets[0].target, small.value.value
            if isinstance(target, cst.Name) and target.value in declared and source in params:
                position = params.index(source)
                if position < len(values):
                    bound[target.value] = values[position].value
    return bound


def plan_pools(
    ipc: IpcModule, tasks: Mapping[str, Sequence[str]], order: Sequence[str], placed: Placed | None
) -> PoolHandover:
    """Check every pool that runs ``tasks`` (task -> names it reads, in ``order``) and
    plan what they need; raises Unfixable when an initializer cannot be extended."""
    names = [name for name in order if any(name in read for read in tasks.values())]
    plan = PoolHandover(names)
    plan.pools = list({id(pool): pool for task in tasks for pool in ipc.uses[task].tasks}.values())
    for pool in plan.pools:
        ipc.check_site(pool, names, placed, "the pool")
        line = ipc.line_of(pool)
        kind = ipc.api.call_api(pool)
        initializer = pool_initializer(pool, kind)  # type: ignore[arg-type]
        if any(arg.star for arg in pool.args):
            raise Unfixable(f"the pool on line {line} takes unpacked arguments")
        if initializer is None:
            if keyword(pool, "initargs") is not None:
                raise Unfixable(f"the pool on line {line} passes `initargs=` without an initializer")
            plan.fresh.append(pool)
            continue
        if not _extensible(ipc, initializer, placed, names):
            raise Unfixable(
                f"the pool on line {line} already has an initializer, "
                f"`{ipc.module.code_for_node(initializer)}`, that cannot be extended cleanly"
            )
        bound = _hands_over(ipc.function(initializer.value), pool)  # type: ignore[attr-defined]
        for name in names:
            if name in bound and not (isinstance(bound[name], cst.Name) and bound[name].value == name):  # type: ignore[attr-defined]
                raise Unfixable(f"the pool on line {line} hands its workers something else as `{name}`")
        plan.extend[initializer.value] = [n for n in names if n not in bound]  # type: ignore[attr-defined]
    return plan


def _extensible(ipc: IpcModule, initializer: cst.BaseExpression, placed: Placed | None, names: Sequence[str]) -> bool:
    """A top-level function used only as an initializer, with plain parameters, that
    every pool passes by keyword with a literal ``initargs`` of matching length."""
    if not isinstance(initializer, cst.Name) or initializer.value not in ipc.reach.functions:
        return False
    function, uses = ipc.function(initializer.value), ipc.uses[initializer.value]
    params = function.params
    if function.decorators or not uses.only_initializer or not plain_positional(params) or params.kwonly_params:
        return False
    if params.posonly_params or isinstance(params.star_arg, cst.CSTNode) or params.star_kwarg is not None:
        return False
    for pool in uses.initializes:
        ipc.check_site(pool, names, placed, "the pool")
        initargs = keyword(pool, "initargs")
        elements = initargs.value.elements if initargs and isinstance(initargs.value, (cst.Tuple, cst.List)) else None
        if keyword(pool, "initializer") is None or (elements is None and initargs is not None):
            return False
        if len(elements or ()) != len(params.params) or any(isinstance(e, cst.StarredElement) for e in elements or ()):
            return False
    return True


def first_task(ipc: IpcModule, plan: PoolHandover) -> cst.FunctionDef:
    """The first top-level function that the pools run: the initializer goes before it."""
    ran = [index for name, index in ipc.reach.functions.items() if any(p in plan.pools for p in ipc.uses[name].tasks)]
    return ipc.body[min(ran)]  # type: ignore[return-value]


def hand_to_pools(ipc: IpcModule, plan: PoolHandover, edits: Edits) -> cst.FunctionDef | None:
    """Edit the pools; returns the new initializer to insert, if one is needed."""
    new: cst.FunctionDef | None = None
    if plan.fresh:
        params = [ipc.fresh("parent_" + name) for name in plan.names]
        new = make_initializer(ipc.fresh("_init_worker"), plan.names, params)
        for pool in plan.fresh:
            initargs = cst.Tuple([cst.Element(cst.Name(name)) for name in plan.names])
            edits.change(pool, partial(_hand_initializer, initializer=new.name.value, initargs=initargs))
    for initializer, missing in plan.extend.items():
        if not missing:
            continue
        params = [ipc.fresh("parent_" + name) for name in missing]
        edits.change(ipc.function(initializer), partial(extend_initializer, names=missing, params=params))
        for pool in ipc.uses[initializer].initializes:
            for name in missing:
                edits.change(pool, partial(_hand_initarg, name=name))
    return new


def _hand_initializer(pool: cst.Call, *, initializer: str, initargs: cst.Tuple) -> cst.Call:
    """``pool`` with a new ``initializer=`` and its ``initargs=``."""
    return add_keyword(add_keyword(pool, "initializer", cst.Name(initializer)), "initargs", initargs)


def _hand_initarg(pool: cst.Call, *, name: str) -> cst.Call:
    """``pool`` with ``name`` last in its ``initargs=``, made empty first when it has none."""

    def appended(initargs: cst.BaseExpression) -> cst.BaseExpression:
        assert isinstance(initargs, (cst.Tuple, cst.List))  # the plan takes no other initargs
        return append_element(initargs, name)

    if keyword(pool, "initargs") is None:
        pool = add_keyword(pool, "initargs", cst.Tuple([]))
    return change_keyword(pool, "initargs", appended)
