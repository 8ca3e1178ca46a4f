"""The calls that run when a module is imported, on ``ast``, for the pre-checks: not those
in function bodies, lambdas or ``__main__`` guards (decorators, defaults and class bodies
do run). Standard library only; the guard's test is the caller's (see
mpfix.analysis.prechecks' ``is_main_guard_test``), so that only a surely recognised guard
is skipped and no call that libcst sees is missed."""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator
from typing import cast

from .ast_walk import CLASS, MODULE, Levels, children

IsGuard = Callable[[ast.If], bool]
_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
Function = ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda


def walked(statement: ast.stmt, is_guard: IsGuard) -> Iterator[ast.Call]:
    """The calls of ``statement`` that run when it runs, found by a walk of its tree."""
    pending: list[ast.AST] = [statement]
    while pending:
        node = pending.pop()
        if isinstance(node, ast.Call):
            yield node
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            pending += [*node.decorator_list, node.args]
        elif isinstance(node, ast.Lambda):
            pending.append(node.args)
        elif isinstance(node, ast.If) and is_guard(node):
            pending += node.orelse
        else:
            pending.extend(children(node))


def indexed(levels: Levels, is_guard: IsGuard) -> list[ast.Call]:
    """The same calls as :func:`walked` (in another order), from the index of the
    statement's nodes by level: the calls outside functions, and those of the decorators
    and defaults of the functions defined there, less those in a guard's body."""
    run = (levels[MODULE], levels[CLASS])  # what runs with the statement: no function's inside
    calls = cast(list[ast.Call], [call for level in run for call in level.get(ast.Call, ())])
    functions = cast(list[Function], [node for level in run for kind in _DEFS for node in level.get(kind, ())])
    for function in functions:
        parts: list[ast.AST] = [] if _bare(function.args) else [function.args]
        if not isinstance(function, ast.Lambda):
            parts += function.decorator_list
        for part in parts:
            calls += [node for node in _lambda_bodies_left_out(part) if isinstance(node, ast.Call)]
    ifs = cast(list[ast.If], [node for level in run for node in level.get(ast.If, ())])
    guards = [node for node in ifs if is_guard(node)]
    if not guards:
        return calls
    spans = [(_end(guard.test), _end(guard.body[-1])) for guard in guards]
    return [call for call in calls if not any(start < (call.lineno, call.col_offset) <= end for start, end in spans)]


def _bare(arguments: ast.arguments) -> bool:
    """The parameters hold nothing that runs: no default, no annotation (most methods')."""
    if arguments.defaults or any(default is not None for default in arguments.kw_defaults):
        return False
    every = [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs, arguments.vararg, arguments.kwarg]
    return all(arg is None or arg.annotation is None for arg in every)


def _lambda_bodies_left_out(node: ast.AST) -> Iterator[ast.AST]:
    """``node``'s tree but the bodies of its lambdas (only their defaults run)."""
    pending = [node]
    while pending:
        current = pending.pop()
        yield current
        pending += [current.args] if isinstance(current, ast.Lambda) else children(current)


def _end(node: ast.AST) -> tuple[int, int]:
    return (getattr(node, "end_lineno", 0) or 0, getattr(node, "end_col_offset", 0) or 0)

