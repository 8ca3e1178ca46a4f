"""Scopes and the parent-only functions of mpfix.analysis.reachability, on Python's ``ast``,
for a module without a ``__main__`` guard; UNSURE where libcst's scope analysis could
tell otherwise.

A node's scope is Python's: a function's decorators, defaults and annotations, a class's
bases and the first iterable of a comprehension belong to the scope around it, as in
libcst. A read of a top-level function's name is a use of that function unless a scope
between sees a binding of its own.
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from functools import cached_property
from typing import TYPE_CHECKING

from .ast_api import UNSURE, _Unsure
from .ast_walk import walk

if TYPE_CHECKING:  # pragma: no cover
    from .prechecks import AstFacts

_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
# What a module's import must run, which no script statement is (mpfix.analysis.statements).
DEFINITIONS = (*_FUNCTIONS, ast.ClassDef, ast.Import, ast.ImportFrom)
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
# Pool methods whose callbacks run in the parent (mpfix.analysis.reachability).
_CALLBACK_METHODS = frozenset({"apply_async", "map_async", "starmap_async"})
_CALLBACK_KEYWORDS = frozenset({"callback", "error_callback"})
# Calls whose string arguments libcst reads as annotations.
_TYPING_CALLS = frozenset({"TypeVar", "NewType", "cast"})
_TYPE_PARAMS = tuple(getattr(ast, kind) for kind in ("TypeVar", "ParamSpec", "TypeVarTuple") if hasattr(ast, kind))


class AstReach:
    """Scopes and parent-only functions of one module's ``ast``."""

    def __init__(self, facts: AstFacts) -> None:
        self.facts = facts
        self.parent = facts.scopes.parent

    def scopes(self, node: ast.AST) -> list[ast.AST]:
        """The scopes that hold ``node``, innermost first, the module last."""
        path = [node]
        while (up := self.parent(path[-1])) is not None:
            path.append(up)
        return [scope for i, scope in enumerate(path) if i and _inside(scope, _below(path, i))]

    def scope(self, node: ast.AST) -> ast.AST:
        """The innermost scope that holds ``node`` (``scopes(node)[0]``, without the rest)."""
        path = [node]
        while (up := self.parent(path[-1])) is not None:
            path.append(up)
            if _inside(up, _below(path, len(path) - 1)):
                return up
        raise ValueError("the module is in no scope")

    @cached_property
    def _declared(self) -> set[tuple[int, str]]:
        """(scope, name) of each ``global`` declaration."""
        return {(id(self.scope(n)), name) for n in self.facts.nodes(ast.Global) for name in n.names}

    @cached_property
    def _bound(self) -> tuple[dict[str, int], dict[tuple[int, str], tuple[int, int]], set[str]]:
        """How many bindings of each name the module's scope holds (``global`` ones
        included); where each other scope first binds each name; and the names that this
        does not follow (a walrus's, which may bind outside its comprehension; a type
        parameter's)."""
        facts = self.facts
        pairs: list[tuple[ast.AST, str]] = [(n, n.id) for n in facts.nodes(ast.Name) if not isinstance(n.ctx, ast.Load)]
        pairs += [(n, n.arg) for n in facts.nodes(ast.arg)]
        pairs += [(n, n.name) for n in facts.nodes(*_FUNCTIONS, ast.ClassDef)]
        pairs += [(n, name) for n in facts.nodes(ast.Import, ast.ImportFrom) for name in _names_bound(n)]
        for kind in (ast.ExceptHandler, ast.MatchAs, ast.MatchStar, ast.MatchMapping):
            pairs += [(n, v) for n in facts.nodes(kind) for f in ("name", "rest") if isinstance(v := _text(n, f), str)]
        module: dict[str, int] = defaultdict(int)
        local: dict[tuple[int, str], tuple[int, int]] = {}
        unfollowed = {n.target.id for n in facts.nodes(ast.NamedExpr) if isinstance(n.target, ast.Name)}
        unfollowed.update(name for kind in _TYPE_PARAMS for name in (n.name for n in facts.nodes(kind)))
        for node, name in pairs:
            scope = self.scope(node)
            if scope is facts.tree or (id(scope), name) in self._declared:
                module[name] += 1
            else:
                where = (getattr(node, "lineno", 0), getattr(node, "col_offset", 0))
                local[id(scope), name] = min(local.get((id(scope), name), where), where)
        return module, local, unfollowed

    @cached_property
    def functions(self) -> dict[str, ast.FunctionDef | ast.AsyncFunctionDef] | _Unsure:
        """Top-level functions that the module binds once, by their ``def``."""
        bound = self._bound
        defs = [s for s in self.facts.tree.body if isinstance(s, _FUNCTIONS)]
        return {d.name: d for d in defs if bound[0][d.name] == 1}

    def uses(self, name: str) -> list[ast.Name] | _Unsure:
        """The reads of the module's binding of ``name``: those that no scope between
        binds anew. UNSURE for a read before the binding of its own scope (libcst sends it
        to the scope around), a walrus's or type parameter's name, or a name that a string
        names that libcst reads as an annotation."""
        _, local, unfollowed = self._bound
        if name in unfollowed or name in self._annotation_words:
            return UNSURE
        found = []
        for node in self._reads.get(name, ()):
            chain = self.scopes(node)
            seen = [chain[0], *(s for s in chain[1:] if not isinstance(s, ast.ClassDef))]
            binding = next((s for s in seen if s is self.facts.tree or (id(s), name) in self._declared
                            or (id(s), name) in local), None)  # fmt: skip
            if binding is self.facts.tree or (id(binding), name) in self._declared:
                found.append(node)
            elif binding is chain[0] and local[id(binding), name] >= (node.lineno, node.col_offset):
                return UNSURE
        return found

    @cached_property
    def _reads(self) -> dict[str, list[ast.Name]]:
        reads: dict[str, list[ast.Name]] = defaultdict(list)
        for node in self.facts.nodes(ast.Name):
            if isinstance(node.ctx, (ast.Load, ast.Del)):  # libcst counts ``del x`` a reference
                reads[node.id].append(node)
        return reads

    @cached_property
    def _annotation_words(self) -> frozenset[str]:
        """Words in strings that libcst reads as annotations, whose names it counts as read."""
        texts = []
        facts = self.facts
        roots: list[ast.AST | None] = [n.annotation for n in facts.nodes(ast.arg, ast.AnnAssign)]
        roots += [n.returns for n in facts.nodes(*_FUNCTIONS)]
        roots += [c for c in facts.nodes(ast.Call) if _last(c.func) in _TYPING_CALLS]
        for root in roots:
            for node in walk(root) if root is not None else ():
                if isinstance(node, ast.Constant) and isinstance(node.value, str):
                    texts.append(node.value)
        return frozenset(re.findall(r"\w+", " ".join(texts)))

    def top_scope(self, node: ast.AST) -> tuple[ast.AST | None, bool]:
        """The outermost scope below the module that holds ``node`` (None at module
        level), and whether every scope up to it is a comprehension's."""
        chain = self.scopes(node)[:-1]
        if not chain:
            return None, False
        return chain[-1], all(isinstance(s, _COMPREHENSIONS) for s in chain)

    def parent_only(self, script: bool = False) -> set[str] | _Unsure:
        """``ModuleReach.parent_only``: the functions that only other parent-only
        functions call, or hand over as callbacks. Without ``script``, for a module with no
        ``__main__`` guard (no statement of it runs in the parent only); with it, every
        statement of the module's body but definitions and imports counts as the parent's."""
        functions = self.functions
        if isinstance(functions, _Unsure):
            return UNSURE
        uses = {name: self.uses(name) for name in functions}
        if any(isinstance(found, _Unsure) for found in uses.values()):
            return UNSURE
        candidates = set(functions)
        changed = True
        while changed:
            changed = False
            for name in sorted(candidates):
                if not all(
                    (self._is_call(use) or self._is_callback(use)) and self.in_parent_only(use, candidates, script)
                    for use in uses[name]  # type: ignore[union-attr]
                ):
                    candidates.discard(name)
                    changed = True
        return candidates

    def in_parent_only(self, node: ast.AST, parent_only: set[str], script: bool = False) -> bool:
        """``ModuleReach.runs_in_parent_only`` of the scope of ``node``; with ``script``,
        code at module level (or in its comprehensions) outside definitions and imports is
        the parent's too."""
        top, comprehensions = self.top_scope(node)
        functions = self.functions
        if script and (top is None or comprehensions):
            return not isinstance(self.facts.top_level_of(node), DEFINITIONS)
        return (
            isinstance(top, _FUNCTIONS)
            and top.name in parent_only
            and isinstance(functions, dict)
            and functions.get(top.name) is top
        )

    def _is_call(self, use: ast.Name) -> bool:
        parent = self.parent(use)
        return isinstance(parent, ast.Call) and parent.func is use

    def _is_callback(self, use: ast.Name) -> bool:
        """``use`` hands a function over as a callback, which the parent runs."""
        parent = self.parent(use)
        keyword = parent.arg if isinstance(parent, ast.keyword) else None
        call = self.parent(parent) if isinstance(parent, ast.keyword) else parent
        if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)) or call.func is use:
            return False
        if call.func.attr == "add_done_callback":  # the first argument, by position or as fn=
            if keyword is None:
                return bool(call.args) and call.args[0] is use
            return keyword == "fn" and not call.args and call.keywords[0] is parent
        return call.func.attr in _CALLBACK_METHODS and keyword in _CALLBACK_KEYWORDS


def _below(path: list[ast.AST], i: int) -> list[ast.AST]:
    """The child of ``path[i]`` on ``path`` (a node and its ancestors, the node first),
    and that child's child and grandchild, as far as there are any."""
    return path[i - 1 : i - 4 if i >= 4 else None : -1]


def _inside(scope: ast.AST, below: list[ast.AST]) -> bool:
    """Whether the node reached through ``below`` (the child of ``scope``, its child...)
    is inside the scope that ``scope`` opens."""
    child = below[0]
    if isinstance(scope, (*_FUNCTIONS, ast.Lambda)):
        if child is scope.args:  # a parameter is; its default or its annotation is not
            arg = below[1] if len(below) > 1 else None
            return isinstance(arg, ast.arg) and (len(below) == 2 or below[2] is not arg.annotation)
        return child in scope.body if isinstance(scope.body, list) else child is scope.body
    if isinstance(scope, ast.ClassDef):
        return child in scope.body
    if isinstance(scope, _COMPREHENSIONS):  # all but the first iterable
        first = scope.generators[0]
        return not (child is first and len(below) > 1 and below[1] is first.iter)
    return isinstance(scope, ast.Module)


def _names_bound(node: ast.Import | ast.ImportFrom) -> list[str]:
    return [a.asname or a.name.split(".", 1)[0] for a in node.names if a.name != "*"]


def _last(node: ast.AST) -> str:
    return node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else ""


def _text(node: ast.AST, field: str) -> object:
    return getattr(node, field, None)
