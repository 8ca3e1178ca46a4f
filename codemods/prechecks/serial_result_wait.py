"""The `ast` pre-check of serial-result-wait: False only when the rule can find nothing."""

from __future__ import annotations

import ast
from collections.abc import Collection, Iterable, Iterator

from ..analysis.ast_api import UNSURE
from ..analysis.ast_scopes import COMPREHENSIONS, binds_or_declares, end_of
from ..analysis.ast_walk import children, walk
from ..analysis.prechecks import AstFacts, may_be_instance
from ..libraries import spellings

POOLS = frozenset({"Pool", "ThreadPool"})
# What the rule takes for a pool or an executor of one worker when made with size 1.
MAKERS = POOLS | {"ProcessPoolExecutor", "ThreadPoolExecutor", "InterpreterPoolExecutor"}
SIZES = frozenset({"processes", "max_workers"})  # the arguments that give its number of workers
WAIT_OF = {"apply_async": "get", "submit": "result"}  # submission method -> its wait
AST_LOOPS = (ast.For, ast.AsyncFor, ast.While, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


# A wait, the receiver of its submission, and the assignment of its handle (None when the
# wait is no ``h.get()`` of a handle ``h``).
Wait = tuple[ast.Call, ast.expr, ast.Assign | None]


def _waits(nodes: Iterable[ast.AST], pools: Collection[str]) -> Iterator[Wait]:
    """Among ``nodes``, each call that may submit a task and wait for it, in a shape that
    ``_wait`` knows: ``pool.apply()``, ``X.apply_async(...).get()`` (or ``submit`` and
    ``result``), or ``h.get()`` where ``nodes`` bind ``h = X.apply_async(...)`` (once for
    each such binding)."""
    nodes = list(nodes)
    handles: dict[tuple[str, str], list[ast.Assign]] = {}  # (name, the wait of what it is bound to)
    for node in nodes:
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1):
            continue
        target, submitted = node.targets[0], _submits(node.value)
        if isinstance(target, ast.Name) and submitted is not None:
            handles.setdefault((target.id, WAIT_OF[submitted]), []).append(node)
    for node in nodes:
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        method, receiver = node.func.attr, node.func.value
        if method == "apply" and may_be_instance(receiver, pools):
            yield node, receiver, None
        elif method in WAIT_OF.values():
            if WAIT_OF.get(_submits(receiver) or "") == method:
                yield node, receiver.func.value, None  # type: ignore[attr-defined]
            elif isinstance(receiver, ast.Name):
                for bind in handles.get((receiver.id, method), ()):
                    yield node, bind.value.func.value, bind  # type: ignore[attr-defined]


def _submits(node: ast.AST) -> str | None:
    """The method of ``X.apply_async(...)`` or ``X.submit(...)``; None for anything else."""
    func = node.func if isinstance(node, ast.Call) else None
    return func.attr if isinstance(func, ast.Attribute) and func.attr in WAIT_OF else None


APIS = None  # `x.apply_async(...).get()` in a loop waits serially on any receiver


def precheck(facts: AstFacts) -> bool:
    """A loop that calls a method named ``apply``, or waits for a submission in a shape
    the rule knows (see ``_waits``; a handle bound in the same loop), unless the pool is
    surely made anew for each iteration (see ``_new_pool_each_time``)."""
    pools = facts.aliases(spellings(POOLS))
    waits = list(_waits([*facts.method_calls(["apply", *WAIT_OF.values()]), *facts.nodes(ast.Assign)], pools))
    loops = facts.nodes(*AST_LOOPS)
    waits = [wait for wait in waits if any(_inside(wait[0], loop) for loop in loops)]  # no parents asked yet
    bindings: dict[tuple[int, str], list[ast.AST]] = {}  # (scope, name) -> what binds it there
    for call, receiver, bind in waits:
        loop = _loop_of(facts, call)
        if loop is None or (bind is not None and not _inside(bind, loop)):
            continue  # the rule asks the handle to be bound in the loop of its wait
        if _one_worker(facts, receiver, bindings):
            continue  # its tasks run one at a time whatever the loop does
        if not _new_pool_each_time(loop, receiver):
            return True
    return False


def _one_worker(facts: AstFacts, receiver: ast.expr, known: dict[tuple[int, str], list[ast.AST]]) -> bool:
    """The rule's ``_one_worker`` surely holds: ``receiver`` is a name that a function (or
    the module) binds once, in all its code, before this read in its own scope, by
    ``name = X(1)`` or ``with X(max_workers=1) as name``, where ``X`` is a pool or
    executor (spelled as the rule takes it, or resolving surely to one). ``known``: the
    bindings of each name in each scope, as far as they were looked for (a module's
    walk is not repeated for each of its waits)."""
    if not isinstance(receiver, ast.Name):
        return False
    scope = facts.scopes.scope_of(receiver)
    while isinstance(scope, COMPREHENSIONS):  # which binds only its targets, counted below
        scope = facts.scopes.scope_of(scope)
    if not isinstance(scope, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef)):
        return False
    key = (id(scope), receiver.id)
    if key not in known:
        known[key] = [node for node in walk(scope) if node is not scope and binds_or_declares(node, receiver.id)]
    bindings = known[key]
    if len(bindings) != 1 or not isinstance(bindings[0], ast.Name) or facts.scopes.scope_of(bindings[0]) is not scope:
        return False
    holder = facts.scopes.parent(bindings[0])
    before: ast.AST = bindings[0]  # what ends before the binding's value reaches the name
    if isinstance(holder, ast.Assign) and holder.targets == [bindings[0]]:
        made, before = holder.value, holder
    elif isinstance(holder, ast.withitem) and holder.optional_vars is bindings[0]:
        made = holder.context_expr
    else:
        return False
    if not isinstance(made, ast.Call) or end_of(before) > (receiver.lineno, receiver.col_offset):
        return False
    spelled = isinstance(made.func, ast.Attribute) and made.func.attr in MAKERS
    api = facts.api("MP002").call_api(made)
    if not spelled and (api is UNSURE or api not in MAKERS):
        return False
    size = next((k.value for k in made.keywords if k.arg in SIZES), None)
    if size is None and made.args and not isinstance(made.args[0], ast.Starred):
        size = made.args[0]
    # The literal ``1`` as libcst spells it: one character (not ``0x1``, nor ``True``).
    return (
        isinstance(size, ast.Constant)
        and type(size.value) is int
        and size.value == 1
        and size.end_lineno == size.lineno
        and size.end_col_offset == size.col_offset + 1
    )


def _inside(node: ast.stmt | ast.expr, around: ast.AST) -> bool:
    """``node`` starts within ``around`` (a loop)."""
    start = (getattr(around, "lineno", 0), getattr(around, "col_offset", 0))
    end = (getattr(around, "end_lineno", None) or 0, getattr(around, "end_col_offset", None) or 0)
    return start <= (node.lineno, node.col_offset) < end


# -- the loop of a wait, and a pool made for each iteration: the ``ast`` twins of the rule's
# ``_loop_of`` and of batch_plan's ``_check_receivers`` --

_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)


def _loop_of(facts: AstFacts, call: ast.Call) -> ast.AST | None:
    """The innermost loop that runs ``call`` on every iteration (its body, a ``while``
    loop's test, a comprehension's all but the first iterable), None outside loops."""
    parent = facts.scopes.parent
    below: list[ast.AST] = [call]
    node = parent(call)
    while node is not None and not isinstance(node, _SCOPES):
        child = below[-1]
        if isinstance(node, (ast.For, ast.AsyncFor)) and child in node.body:
            return node
        if isinstance(node, ast.While) and child not in node.orelse:
            return node
        if isinstance(node, COMPREHENSIONS):
            first = node.generators[0]
            if not (child is first and len(below) > 1 and below[-2] is first.iter):
                return node
        below.append(node)
        node = parent(node)
    return None


def _new_pool_each_time(loop: ast.AST, receiver: ast.expr) -> bool:
    """The rule's plan surely stops at this wait's receiver as a pool that the loop makes
    for each iteration: the loop's targets are plain names, none of them the receiver,
    and the first binding of the receiver's name in the loop (as batch_plan's ``body_facts``
    finds it) binds what a call returns, by ``=`` or ``with ... as``."""
    if not isinstance(receiver, ast.Name):
        return False
    if isinstance(loop, COMPREHENSIONS):
        if any(g.is_async for g in loop.generators):
            return False
        targets: list[ast.expr] = [g.target for g in loop.generators]
        parts: list[ast.AST] = [loop.key, loop.value] if isinstance(loop, ast.DictComp) else [loop.elt]
        parts += [i for g in loop.generators for i in g.ifs] + [g.iter for g in loop.generators[1:]]
    elif isinstance(loop, ast.While):
        targets, parts = [], [loop.test, *loop.body]
    else:
        assert isinstance(loop, (ast.For, ast.AsyncFor))
        targets, parts = [loop.target], list(loop.body)
    names: set[str] = set()
    for target in targets:
        found = _target_names(target)
        if found is None:
            return False
        names |= found
    if receiver.id in names:
        return False
    first = min(_bindings(parts, receiver.id), default=None)
    return first is not None and first[2]


def _target_names(target: ast.expr) -> set[str] | None:
    """``target_names`` of mpfix.analysis.loop_body."""
    if isinstance(target, ast.Name):
        return {target.id}
    if isinstance(target, (ast.Tuple, ast.List)):
        names: set[str] = set()
        for element in target.elts:
            inner = _target_names(element)
            if inner is None:
                return None
            names |= inner
        return names
    return None


def _bound_in(target: ast.AST, name: str) -> ast.Name | None:
    """The ``name`` that ``target`` binds, through tuples, lists and stars."""
    if isinstance(target, ast.Name):
        return target if target.id == name else None
    if isinstance(target, ast.Starred):
        return _bound_in(target.value, name)
    if isinstance(target, (ast.Tuple, ast.List)):
        return next((found for e in target.elts if (found := _bound_in(e, name)) is not None), None)
    return None


def _bindings(parts: Iterable[ast.AST], name: str) -> Iterator[tuple[int, int, bool]]:
    """(line, column, binds a call's result) of each binding of ``name`` that
    batch_plan's ``body_facts`` records in ``parts``: it looks into no ``def``, class or
    ``lambda``, whose names alone it counts."""
    todo = list(parts)
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            if node.name == name:
                yield node.lineno, node.col_offset, False
            continue
        if isinstance(node, ast.Lambda):
            continue
        todo.extend(children(node))
        bound: list[tuple[ast.AST, bool]] = []
        if isinstance(node, ast.Assign):
            bound = [(t, isinstance(node.value, ast.Call)) for t in node.targets]
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign, ast.NamedExpr, ast.For, ast.AsyncFor)):
            bound = [(node.target, False)]
        elif isinstance(node, ast.Delete):
            bound = [(t, False) for t in node.targets]
        elif isinstance(node, ast.withitem) and node.optional_vars is not None:
            bound = [(node.optional_vars, isinstance(node.context_expr, ast.Call))]
        elif isinstance(node, ast.ExceptHandler) and node.name == name:
            yield node.lineno, node.col_offset, False
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                if (alias.asname or alias.name.split(".")[0]) == name:
                    yield node.lineno, node.col_offset, False
        for target, call in bound:
            if (found := _bound_in(target, name)) is not None:
                yield found.lineno, found.col_offset, call
