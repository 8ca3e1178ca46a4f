"""What a callee on Python's ``ast`` resolves to, as libcst's QualifiedNameProvider and
mpfix.analysis.names resolve it, or :data:`UNSURE`.

A rule that decides on ``ast`` (see mpfix.prechecks) must give the findings that its libcst
analysis gives, so this resolver answers only where the answer is sure, in one common
world: a name bound by imports alone, that agree on what they import, in a scope that the
use sees; or a name that no import binds and no library's API begins with (a local, a
parameter, ``self``), which resolves to no API. Everything else (a name both imported and
assigned, imports that disagree, a context's name, a use before its import in the same
scope) is UNSURE, and the rule asks libcst.
"""

from __future__ import annotations

import ast
from functools import cached_property
from typing import TYPE_CHECKING, Final

from ..libraries import BY_QUALIFIED_NAME, CONTEXT_MAKERS, Library, through_context
from .ast_walk import MODULE
from .project.apis import THREAD_CALLS

if TYPE_CHECKING:  # pragma: no cover
    from .prechecks import AstFacts


class _Unsure:
    def __repr__(self) -> str:
        return "UNSURE"


UNSURE: Final = _Unsure()
# The nodes of type parameters (Python 3.12), which bind names too.
_TYPE_PARAMS = tuple(getattr(ast, kind) for kind in ("TypeVar", "ParamSpec", "TypeVarTuple") if hasattr(ast, kind))

# The first part of every qualified name that may resolve to an API: a name bound otherwise
# than by an import can only be one of these by being named so.
_API_HEADS = frozenset(
    name.split(".", 1)[0] for name in [*BY_QUALIFIED_NAME, *CONTEXT_MAKERS, *THREAD_CALLS, "threading.Thread"]
)


def full_name(node: ast.AST) -> str | None:
    """libcst's ``get_full_name_for_node`` on ``ast``: ``a.b.c`` for ``a.b.c``, ``a.b(...)``
    and ``a.b[...]``; an attribute of anything else is ``None.attr``, as libcst has it."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{full_name(node.value)}.{node.attr}"
    if isinstance(node, ast.Call):
        return full_name(node.func)
    if isinstance(node, ast.Subscript):
        return full_name(node.value)
    return None


class AstNames:
    """The qualified names of one module's expressions."""

    def __init__(self, facts: AstFacts) -> None:
        self.facts = facts
        self.scopes = facts.scopes

    @cached_property
    def _bindings(self) -> tuple[dict[str, dict[int, tuple[set[str], int]]], set[str]]:
        """For each name: by scope (the id of its node), what the imports there bind it to
        and the first line of one; and the names bound otherwise anywhere."""
        imports: dict[str, dict[int, tuple[set[str], int]]] = {}
        # An import outside every def, class and lambda is in the module's scope (no
        # statement is in a comprehension): those need no parents to place.
        module_level = {id(node) for node in self.facts.nodes(ast.Import, ast.ImportFrom, levels=(MODULE,))}
        for node in self.facts.nodes(ast.Import, ast.ImportFrom):
            for name, real in _bound(node):
                scope = id(self.facts.tree) if id(node) in module_level else id(self.scopes.scope_of(node))
                reals, line = imports.setdefault(name, {}).setdefault(scope, (set(), node.lineno))
                reals.add(real)
                imports[name][scope] = (reals, min(line, node.lineno))
        nodes = self.facts.nodes
        others = {node.id for node in nodes(ast.Name) if not isinstance(node.ctx, ast.Load)}
        others.update(node.arg for node in nodes(ast.arg))
        others.update(node.name for node in nodes(ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
        others.update(name for node in nodes(ast.Global, ast.Nonlocal) for name in node.names)
        # except ... as name, match captures, type parameters
        for kind in (ast.ExceptHandler, ast.MatchAs, ast.MatchStar, ast.MatchMapping, *_TYPE_PARAMS):
            for node in nodes(kind):
                others.update(v for f in ("name", "rest") if isinstance(v := getattr(node, f, None), str))
        return imports, others

    def qualified_names(self, node: ast.AST) -> set[str] | _Unsure:
        """The qualified names libcst gives the expression ``node``, or UNSURE."""
        name = full_name(node)
        if name is None:
            return set()
        head, dot, rest = name.partition(".")
        imports, others = self._bindings
        contexts, module_names = self._contexts
        if head in contexts and head in module_names:
            return UNSURE  # ApiResolver follows the name as a context: ``ctx.Queue`` is ``Queue``
        if head not in imports:
            if head in others and (head in _API_HEADS or self._outer_names_contexts):
                return UNSURE  # a local named like a library (or under a scope named like a context)
            return set()  # a local's name, or none: no library's API
        if head in others:
            return UNSURE
        reals = {real for found, _ in imports[head].values() for real in found}
        if len(reals) != 1:
            return UNSURE
        scope = self._binding_scope(node, imports[head])
        if scope is UNSURE:
            return UNSURE
        if scope is None:
            return set()  # imported only in scopes that this use does not see
        (real,) = reals
        if real.partition(".")[0] in contexts:
            return UNSURE  # ApiResolver reads the head of the name as the context
        return {real + dot + rest}

    def _binding_scope(self, node: ast.AST, scopes: dict[int, tuple[set[str], int]]) -> int | _Unsure | None:
        """The scope whose import the use ``node`` reads; UNSURE when the use comes before
        that import in the same scope."""
        module = scopes.get(id(self.facts.tree))
        if module is not None and len(scopes) == 1 and getattr(node, "lineno", 0) > module[1]:
            return id(self.facts.tree)  # the module's import, whatever scope the use is in
        current = self.scopes.scope_of(node)
        own = True
        while True:
            found = scopes.get(id(current))
            if found is not None:
                return UNSURE if own and getattr(node, "lineno", 0) <= found[1] else id(current)
            if isinstance(current, ast.Module):
                return None
            current = self.scopes.scope_of(current)
            while isinstance(current, ast.ClassDef):  # a class body is not seen from what it holds
                current = self.scopes.scope_of(current)
            own = False

    @cached_property
    def _contexts(self) -> tuple[frozenset[str], frozenset[str]]:
        """The names assigned, anywhere, a call that may be ``get_context(...)``, which
        ApiResolver follows as contexts when a qualified name begins with one; and the
        names that the module's scope (or a ``global``) may bind, the only ones whose
        qualified names begin with themselves (a function's own are under its name)."""
        makers = {"get_context"} | {
            alias.asname
            for node in self.facts.nodes(ast.ImportFrom)
            for alias in node.names
            if alias.name == "get_context" and alias.asname
        }
        found: set[str] = set()
        for node in self.facts.nodes(ast.Assign, ast.AnnAssign):
            value = node.value
            if isinstance(value, ast.Call) and (full_name(value.func) or "").rsplit(".", 1)[-1] in makers:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                found.update(t.id for t in targets if isinstance(t, ast.Name))
        nodes = self.facts.nodes
        module = {node.id for node in nodes(ast.Name, levels=(MODULE,)) if not isinstance(node.ctx, ast.Load)}
        definitions = nodes(ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, levels=(MODULE,))
        module.update(node.name for node in definitions)
        module.update(name for node in nodes(ast.Import, ast.ImportFrom, levels=(MODULE,)) for name, _ in _bound(node))
        module.update(name for node in nodes(ast.Global) for name in node.names)
        return frozenset(found), frozenset(module)

    @cached_property
    def _outer_names_contexts(self) -> bool:
        """A top-level function or class named as a context is: a local's qualified name
        begins with it."""
        contexts = self._contexts[0]
        return any(
            getattr(node, "name", None) in contexts
            for node in self.facts.tree.body
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
        )


class AstApi:
    """Canonical API names of one module's callees, heard as rule ``rule`` hears them (a
    library that makes the rule moot is not heard)."""

    def __init__(self, names: AstNames, rule: str) -> None:
        self.names = names
        self.rule = rule

    def qualified_names(self, node: ast.AST) -> set[str] | _Unsure:
        return self.names.qualified_names(node)

    def call_api(self, call: ast.Call) -> str | _Unsure | None:
        """The canonical API name that ``call`` calls, as ``ApiResolver.call_api``."""
        names = self.names.qualified_names(call.func)
        if names is UNSURE:
            return UNSURE
        assert isinstance(names, set)
        for name in names:
            found = BY_QUALIFIED_NAME.get(through_context(name))
            if found is not None:
                api, library = found
                backend = _backend(call, library)
                if backend is UNSURE:
                    return UNSURE
                heard = backend or library
                assert isinstance(heard, Library)
                return api if self.rule not in heard.moot else None
        return None


def _bound(node: ast.Import | ast.ImportFrom) -> list[tuple[str, str]]:
    """(name bound, what it stands for) of each alias, as libcst's import assignments
    qualify them: ``import a.b`` binds ``a`` to ``a``, ``import a.b as n`` binds ``n`` to
    ``a.b``, ``from .m import x`` binds ``x`` to ``.m.x``."""
    if isinstance(node, ast.Import):
        return [(a.asname, a.name) if a.asname else (a.name.split(".", 1)[0],) * 2 for a in node.names]
    module = "." * node.level + (node.module or "")
    bound = []
    for alias in node.names:
        if alias.name == "*":
            continue
        real = f"{module}{alias.name}" if module.endswith(".") else f"{module}.{alias.name}" if module else alias.name
        bound.append((alias.asname or alias.name, real))
    return bound


def _backend(call: ast.Call, library: Library) -> Library | _Unsure | None:
    """``names._backend`` on ``ast``: the library that a backend keyword written as one
    string chooses."""
    for keyword in call.keywords:
        if keyword.arg is not None and keyword.arg == library.backend_keyword:
            value = keyword.value
            if isinstance(value, ast.Constant) and isinstance(value.value, str) and value.value in library.backends:
                return UNSURE  # libcst reads one literal only, not "a" "b": which is this?
    return None
