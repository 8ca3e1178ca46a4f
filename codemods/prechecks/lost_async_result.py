"""The `ast` pre-check of lost-async-result: False only when the rule can find nothing."""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from ..analysis.ast_api import UNSURE
from ..analysis.ast_scopes import AstScopes
from ..analysis.ast_walk import walk
from ..analysis.prechecks import AstFacts, keyword_value, may_be_instance, positional_args, unpacks
from ..analysis.project.apis import POOL_STOPS, POOL_WAITS
from ..libraries import spellings

if TYPE_CHECKING:  # pragma: no cover
    from ..model import Finding, RuleSpec

# Pool methods whose name no other common API has: found on any receiver. Each takes
# `error_callback` as its fifth positional argument.
ASYNC_METHODS = frozenset({"apply_async", "map_async", "starmap_async"})
# The pools that have them. Celery's tasks have an `apply_async` too, whose result is
# thrown away on purpose (the worker logs a failure): in a module that imports Celery,
# only a receiver proven to be one of these pools is reported.
ASYNC_POOLS = frozenset({"Pool", "ThreadPool"})
CELERY = "celery"
EXECUTORS = frozenset({"ProcessPoolExecutor", "ThreadPoolExecutor", "InterpreterPoolExecutor"})
# An executor's methods whose results hold the tasks' exceptions: a future, and the
# iterator of ``map``'s results, which raises the first failed task's exception only when
# it is read (and, with Python 3.14's ``buffersize=``, submits most tasks only then).
EXECUTOR_METHODS = ("submit", "map")
# Methods that only put something into a container: a container used only by these is
# never read.
FILLING = frozenset({"append", "add", "extend", "insert"})
# Tasks that raise nothing, given as many small number literals as the number says.
CANNOT_FAIL = {"time.sleep": 1, "builtins.id": 1, "os.getpid": 0}
ASYNC_ADVICE = "keep the handle and call `.get()` on it, or pass `error_callback=` to hear of failures"


def _ast_hears_of_errors(call: ast.Call) -> bool:
    """The ``ast`` twin of ``_hears_of_errors``."""
    return keyword_value(call, "error_callback") is not None or len(positional_args(call)) >= 5 or unpacks(call)


def _ast_imports(facts: AstFacts, package: str) -> bool:
    """The module imports ``package`` or one of its modules (absolutely)."""
    for node in facts.nodes(ast.Import, ast.ImportFrom):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            names = [node.module] if node.module and not node.level else []
        if any(name.split(".")[0] == package for name in names):
            return True
    return False


def _may_be_pool(facts: AstFacts, receiver: ast.expr, pools: frozenset[str]) -> bool:
    """``receiver`` may be proven one of ``pools`` (see mpfix.analysis.bindings'
    ``is_instance``): no binding before it makes it something else."""
    if isinstance(receiver, ast.Name) and facts.scopes.not_instance(receiver, pools):
        return False
    return may_be_instance(receiver, pools)


def _ast_may_be_lost(facts: AstFacts, call: ast.Call) -> bool:
    """The ``ast`` twin of ``_lost``: where the handle (or a comprehension of them) goes is
    a place ``_lost`` reports, unless the same scope surely reads it later: a statement of
    its own, a value assigned to plain names that are not read after, an argument of
    ``X.append()`` and its kin where ``X`` is not read after but to be filled."""
    scopes = facts.scopes
    holder: ast.expr = call
    parent = scopes.parent(call)
    if isinstance(parent, (ast.ListComp, ast.SetComp)) and parent.elt is call:
        holder, parent = parent, scopes.parent(parent)
    if isinstance(parent, ast.Expr):
        return True
    if isinstance(parent, (ast.Assign, ast.AnnAssign)) and parent.value is holder:
        targets = parent.targets if isinstance(parent, ast.Assign) else [parent.target]
        scope = scopes.scope_of(parent)
        names = [t.id for t in targets if isinstance(t, ast.Name)]
        return len(names) == len(targets) and not any(
            any(scopes.reads(scope, n, after=parent)) or scopes.read_in_nested(scope, n) for n in names
        )
    container = _filled(parent)
    if container is None or not (isinstance(parent, ast.Call) and any(arg is holder for arg in parent.args)):
        return False
    scope = scopes.scope_of(container)
    if scopes.binds_after(scope, container.id, after=container):
        return True  # a later read may read another binding
    return all(_fills(read, scopes) for read in scopes.reads(scope, container.id, after=container))


def _fills(read: ast.Name, scopes: AstScopes) -> bool:
    """``read`` is the ``X`` of ``X.append(...)`` or its kin."""
    attribute = scopes.parent(read)
    return attribute is not None and _filled(scopes.parent(attribute)) is read


def _filled(call: ast.AST | None) -> ast.Name | None:
    """``X`` of ``X.append(...)`` or its kin; None for any other node."""
    func = call.func if isinstance(call, ast.Call) else None
    if isinstance(func, ast.Attribute) and func.attr in FILLING and isinstance(func.value, ast.Name):
        return func.value
    return None


# -- stopped on purpose: the ``ast`` twin of mpfix.analysis.pool_blocks' ``terminated_after`` --

# pool_blocks' ``WAITING``: a call of one of these, or of ``wait()`` or ``as_completed()``,
# may wait for the task.
WAITS = frozenset(POOL_WAITS)
STOPS = POOL_STOPS
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)
_BLANK = b" \t\f"


def _dotted(node: ast.expr) -> tuple[str, ...] | None:
    """``a.b.c`` as ``("a", "b", "c")``; None for anything but names and attributes."""
    if isinstance(node, ast.Name):
        return (node.id,)
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return None if base is None else (*base, node.attr)
    return None


def _root(node: ast.expr) -> ast.Name:
    while isinstance(node, ast.Attribute):
        node = node.value
    assert isinstance(node, ast.Name)  # a dotted path starts from a name
    return node


def _surely_terminated(facts: AstFacts, call: ast.Call) -> bool:
    """libcst's ``terminated_after`` surely says yes: a statement after the call's, in its
    block or one around it in the same function, is ``pool.terminate()`` (or another call
    that ends the pool's tasks) on the same path from the same bindings, and no statement
    before it may wait for tasks or store into the path. Each ``ast`` body is libcst's
    block plus, at most, small statements that share a line with the call's: those may
    only make this say no."""
    pool = call.func.value if isinstance(call.func, ast.Attribute) else None
    path = _dotted(pool) if pool is not None else None
    if pool is None or path is None or not facts.text:
        return False
    scopes = facts.scopes
    node: ast.AST = call
    while not isinstance(node, _FUNCTIONS):
        parent = scopes.parent(node)
        if parent is None:
            return False
        if isinstance(node, ast.stmt):
            body = next((b for f in ("body", "orelse", "finalbody") if node in (b := getattr(parent, f, []))), [])
            for later in body[[id(s) for s in body].index(id(node)) + 1 :] if body else ():
                if _stops(facts, later, pool, path, call):
                    return True
                if _may_wait_or_store(later, path):
                    return False
        node = parent
    return False


def _stops(facts: AstFacts, statement: ast.stmt, pool: ast.expr, path: tuple[str, ...], call: ast.Call) -> bool:
    """``statement`` is, as libcst sees it, a line of its own that holds one call that ends
    the tasks of the pool at ``path``, and its root name refers to the bindings that the
    call's does: same scope, and nothing binds the name from the call's statement on."""
    stop = statement.value if isinstance(statement, ast.Expr) else None
    if not (isinstance(stop, ast.Call) and isinstance(stop.func, ast.Attribute)):
        return False
    method = stop.func.attr
    cancels = any(
        k.arg == "cancel_futures" and isinstance(k.value, ast.Constant) and k.value.value is True for k in stop.keywords
    )
    if not (method in STOPS or (method == "shutdown" and cancels)) or _dotted(stop.func.value) != path:
        return False
    if not _own_line(facts, statement):
        return False
    root, other = _root(pool), _root(stop.func.value)
    scope = facts.scopes.scope_of(root)
    if facts.scopes.scope_of(other) is not scope:
        return False
    line = _statement_of(facts, call).lineno
    return not any(_binds(node, root.id) and getattr(node, "lineno", line) >= line for node in walk(scope))


def _statement_of(facts: AstFacts, node: ast.AST) -> ast.stmt:
    while not isinstance(node, ast.stmt):
        parent = facts.scopes.parent(node)
        assert parent is not None  # every expression lies in a statement
        node = parent
    return node


def _binds(node: ast.AST, name: str) -> bool:
    """``node`` may bind ``name`` (in any scope: more than needed)."""
    if isinstance(node, ast.Name):
        return node.id == name and not isinstance(node.ctx, ast.Load)
    if isinstance(node, ast.arg):
        return node.arg == name
    if isinstance(node, ast.alias):
        return (node.asname or node.name.split(".")[0]) == name
    if isinstance(node, (ast.Global, ast.Nonlocal)):
        return name in node.names
    return any(getattr(node, field, None) == name for field in ("name", "rest"))


def _own_line(facts: AstFacts, statement: ast.stmt) -> bool:
    """The statement is a logical line of its own (libcst's one-statement
    ``SimpleStatementLine``): only blanks before it on its first line, no backslash ending
    the line above, and after it no more than a semicolon and a comment."""
    lines = facts.source.lines
    end = statement.end_lineno or statement.lineno
    if end > len(lines):
        return False
    first = lines[statement.lineno - 1].encode("utf-8")
    if first[: statement.col_offset].strip(_BLANK):
        return False
    above = lines[statement.lineno - 2].rstrip("\r\n") if statement.lineno > 1 else ""
    if above.endswith("\\"):
        return False
    rest = lines[end - 1].encode("utf-8")[statement.end_col_offset :].strip()
    rest = rest[1:].strip() if rest.startswith(b";") else rest
    return not rest or rest.startswith(b"#")


def _may_wait_or_store(statement: ast.stmt, path: tuple[str, ...]) -> bool:
    """``statement`` may call something that waits for tasks, or store into ``path`` or
    an object it hangs from (pool_blocks' ``WAITING`` and ``_stores_into``, and more)."""
    for node in walk(statement):
        if isinstance(node, ast.Call):
            func = node.func
            if (isinstance(func, ast.Attribute) and func.attr in WAITS) or (
                isinstance(func, ast.Name) and func.id in ("wait", "as_completed")
            ):
                return True
        elif isinstance(node, (ast.Name, ast.Attribute)) and not isinstance(node.ctx, ast.Load):
            stored = _dotted(node)
            if stored is not None and stored == path[: len(stored)]:
                return True
    return False


APIS = None  # `x.apply_async(...)` loses its errors on any receiver


def precheck(facts: AstFacts) -> bool:
    """``executor.submit(...)`` or ``executor.map(...)``, or ``x.apply_async(...)`` (or another async method)
    without an error callback, whose handle may be lost (see ``_ast_may_be_lost``) and
    whose pool is not surely stopped on purpose after it (see ``_surely_terminated``)."""
    calls = [c for c in facts.method_calls(ASYNC_METHODS) if not _ast_hears_of_errors(c)]
    if _ast_imports(facts, CELERY):
        pools = facts.aliases(spellings(ASYNC_POOLS))
        calls = [c for c in calls if _may_be_pool(facts, c.func.value, pools)]  # type: ignore[attr-defined]
    executors = facts.aliases(spellings(EXECUTORS))
    calls += [c for c in facts.method_calls(EXECUTOR_METHODS) if may_be_instance(c.func.value, executors)]  # type: ignore[attr-defined]
    # Whether a name may be an executor is the dearer question: asked last, of a handle that may be lost.
    return any(
        _ast_may_be_lost(facts, call)
        and (call.func.attr in ASYNC_METHODS or _may_be_pool(facts, call.func.value, executors))  # type: ignore[attr-defined]
        and not _surely_terminated(facts, call)
        for call in calls
    )


# -- findings decided on ``ast``: the handles of ``apply_async`` and its kin thrown away --


def _ast_cannot_fail(facts: AstFacts, spec_code: str, call: ast.Call) -> bool | None:
    """The ``ast`` twin of the rule's ``_cannot_fail`` for ``apply_async``; None when only
    libcst's names can tell what the task is."""
    if call.keywords or any(isinstance(arg, ast.Starred) for arg in call.args) or not call.args:
        return False
    task, *rest = call.args
    if len(rest) > 1 or (rest and not isinstance(rest[0], ast.Tuple)):
        return False
    values = rest[0].elts if rest and isinstance(rest[0], ast.Tuple) else []
    if any(isinstance(value, ast.Starred) for value in values):
        return False
    if isinstance(task, ast.Name) and task.id in _BUILTIN_TASKS:
        return None  # libcst names a builtin `builtins.id`, which the `ast` names leave out
    names = facts.api(spec_code).qualified_names(task)
    if names is UNSURE:
        return None
    arity = {CANNOT_FAIL[name] for name in names if name in CANNOT_FAIL}  # type: ignore[union-attr]
    return arity == {len(values)} and all(_small_number(value) for value in values)


_BUILTIN_TASKS = frozenset(name.removeprefix("builtins.") for name in CANNOT_FAIL if name.startswith("builtins."))


def _small_number(node: ast.expr) -> bool:
    """The ``ast`` twin of the rule's ``_small_number``: an int or float literal, not a bool."""
    value = node.value if isinstance(node, ast.Constant) else None
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value <= 1_000_000


def _may_stop(facts: AstFacts, call: ast.Call) -> bool:
    """Something in the function around ``call`` (the module, at module level) may end a
    pool's tasks: a call of a method of STOPS, or ``shutdown()``."""
    scope: ast.AST = call
    while not isinstance(scope, (*_FUNCTIONS, ast.Module)):
        parent = facts.scopes.parent(scope)
        if parent is None:
            break
        scope = parent
    return any(
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and (node.func.attr in STOPS or node.func.attr == "shutdown")
        for node in walk(scope)
    )


def decide(facts: AstFacts, spec: RuleSpec) -> list[Finding] | None:
    """The rule's findings, as its libcst side makes them, where every handle is surely
    read, or thrown away by a statement of its own whose pool nothing may stop after it;
    None where libcst must tell: in a module that imports Celery, beside a ``submit`` or ``map`` on
    what may be an executor, for a handle bound to a name or put in a container, or where
    a pool may be stopped on purpose."""
    if _ast_imports(facts, CELERY):
        return None
    executors = facts.aliases(spellings(EXECUTORS))
    if any(_may_be_pool(facts, c.func.value, executors) for c in facts.method_calls(EXECUTOR_METHODS)):  # type: ignore[attr-defined]
        return None
    source, found = facts.source, []
    for call in facts.method_calls(ASYNC_METHODS):
        if _ast_hears_of_errors(call):
            continue
        if call.func.attr == "apply_async":  # type: ignore[attr-defined]
            cannot_fail = _ast_cannot_fail(facts, spec.code, call)
            if cannot_fail is None:
                return None
            if cannot_fail:
                continue
        if not _ast_may_be_lost(facts, call):
            continue  # surely read: the pre-check's answer for this call
        if not isinstance(facts.scopes.parent(call), ast.Expr) or _may_stop(facts, call):
            return None
        func = source.code(call.func)
        if func is None or source.parenthesised(call):
            return None
        message = (
            f"The handle that `{func}(...)` returns is thrown away: if the task raises, its exception is lost with "
            "the result and nothing reports the failure"
        )
        found.append(source.finding(spec, call, message, ASYNC_ADVICE))
    return found
