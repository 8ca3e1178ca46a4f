"""The `ast` pre-check of join-before-drain: False only when the rule can find nothing."""

from __future__ import annotations

import ast
from bisect import bisect_left

from ..analysis.ast_api import UNSURE
from ..analysis.ast_walk import walk
from ..analysis.prechecks import AstFacts, keyword_value
from ..libraries import EVERY_API, THREAD_SIDE, spellings


def _ast_join(call: ast.Call) -> bool:
    """The ``ast`` twin of ``_join_call``: ``p.join()`` or ``p.join(None)``."""
    if (
        call.keywords
        or len(call.args) > 1
        or any(not (isinstance(a, ast.Constant) and a.value is None) for a in call.args)
    ):
        return False
    return isinstance(call.func, ast.Attribute) and isinstance(call.func.value, ast.Name)


def _ast_reads(statement: ast.stmt) -> bool:
    """``q.get()`` and the other reads of a queue, a call that hands something on, or one
    that is handed ``q.get`` uncalled (``Thread(target=q.get)``)."""
    return any(
        isinstance(n, ast.Call)
        and (
            (isinstance(n.func, ast.Attribute) and n.func.attr in READS)
            or (isinstance(n.func, ast.Name) and bool(n.args or n.keywords))
            or any(isinstance(a, ast.Attribute) and a.attr in READS for a in [*n.args, *(k.value for k in n.keywords)])
        )
        for n in walk(statement)
    )


READS = frozenset({"get", "get_nowait", "empty", "qsize"})

APIS: frozenset[str] | None = EVERY_API - THREAD_SIDE


def _putters(facts: AstFacts) -> set[str]:
    """The names of the functions (at any level) that call ``x.put()`` or
    ``x.put_nowait()`` on a plain name: the only targets ``_put_by`` finds puts in. A
    function holds a call when the call lies between its first decorator and its end."""
    puts = sorted(
        ((call.lineno, call.col_offset), (call.end_lineno or call.lineno, call.end_col_offset or 0))
        for call in facts.method_calls(("put", "put_nowait"))
        if isinstance(call.func, ast.Attribute) and isinstance(call.func.value, ast.Name)
    )
    firsts = [first for first, _ in puts]
    found = set()
    for function in facts.nodes(ast.FunctionDef, ast.AsyncFunctionDef) if puts else ():
        start = min((node.lineno, node.col_offset) for node in [function, *function.decorator_list])
        end = (function.end_lineno or function.lineno, function.end_col_offset or 0)
        # The puts that start in the function, in order, up to its end: one that ends there too.
        place = bisect_left(firsts, start)
        while place < len(puts) and puts[place][0] <= end:
            if puts[place][1] <= end:
                found.add(function.name)
                break
            place += 1
    return found


def _may_make_process(facts: AstFacts, call: ast.Call, contexts: set[str]) -> bool:
    """``bindings.makes(call, {"Process"})`` may hold: the resolver says ``Process`` (or
    is unsure), or the call is ``ctx.Process(...)`` on a name assigned some call, which
    may be a ``get_context()`` of a function's own. ``self.Process(...)`` is neither."""
    if facts.api("MP010").call_api(call) in ("Process", UNSURE):
        return True
    func = call.func
    return (
        isinstance(func, ast.Attribute)
        and func.attr == "Process"
        and isinstance(func.value, ast.Name)
        and (func.value.id in contexts)
    )


def _named(call: ast.Call, methods: set[str]) -> str | None:
    """``f`` of ``target=f``, and of ``target=x.f`` where ``f`` is among ``methods``, the
    plain (undecorated) methods of the module's classes: the only ones that the rule's
    ``_method`` may follow ``x.f`` to (it asks, too, that ``x`` is the ``self`` of a
    method of the same class). None for anything else."""
    target = keyword_value(call, "target")
    if isinstance(target, ast.Name):
        return target.id
    if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) and target.attr in methods:
        return target.attr
    return None


def precheck(facts: AstFacts) -> bool:
    """A call that may make a ``Process`` with ``target=f`` or ``target=self.f``, where
    ``f`` is the name of a function or method that calls ``put()`` on a plain name, and a
    block in which a statement that joins (``p.join()``) comes before one that reads a
    queue (``q.get()``...) or hands something to a function (which may read it). Any
    other target, or a function that puts nothing, puts into no queue the rule can see,
    so it finds nothing."""
    joins = {id(call) for call in facts.method_calls(["join"]) if _ast_join(call)}
    if not joins or not facts.method_calls(["put", "put_nowait"]):
        return False
    starts = facts.calls_to(facts.aliases(spellings({"Process"})))
    putters = _putters(facts)
    contexts = {
        target.id
        for node in facts.nodes(ast.Assign)
        if isinstance(node.value, ast.Call)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    methods = {
        node.name
        for owner in facts.nodes(ast.ClassDef)
        for node in owner.body
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and not node.decorator_list
    }
    targets = [(_named(call, methods), call) for call in starts]
    if not any(name in putters and _may_make_process(facts, call, contexts) for name, call in targets):
        return False
    for block in facts.blocks():
        first = next((i for i, s in enumerate(block) if any(id(n) in joins for n in walk(s))), None)
        if first is not None and any(_ast_reads(s) for s in block[first + 1 :]):
            return True
    return False
