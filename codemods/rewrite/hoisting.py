"""Moving a lambda or a nested function to module level, where pickle can find it by name.

A function moves without changing what it computes when every name it reads means the
same at module level: its own parameters and locals, builtins, and module globals that a
child process's import of the module binds too (assigned by top-level statements, never
by the ``__main__`` guard or inside a function). Defaults and annotations are evaluated
where the function is defined, so they may read only builtins and module names bound
once, before the place the function moves to; a decorated function does not move. A
nested function may take along what the function around it imports for it (its only
binding of the name): at module level it imports the same module itself, when it runs.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

import libcst as cst
from libcst.metadata import (
    Access,
    Assignment,
    BuiltinScope,
    ComprehensionScope,
    FunctionScope,
    GlobalScope,
    ImportAssignment,
    Scope,
)

from ..analysis import match as m
from ..analysis.facts import ModuleFacts, findall
from ..analysis.guard import is_main_guard
from ..analysis.reachability import ModuleReach, reach_of
from .handover import Edits
from .nodes import leading_lines

# Module attributes that Python sets on import and libcst does not resolve.
_MODULE_DUNDERS = frozenset({"__file__", "__spec__", "__loader__", "__package__", "__builtins__", "__doc__"})

Function = cst.Lambda | cst.FunctionDef


def _chain(scope: Scope) -> list[Scope]:
    chain = [scope]
    while chain[-1].parent is not chain[-1]:
        chain.append(chain[-1].parent)
    return chain


def lambda_as_def(name: str, function: cst.Lambda) -> cst.FunctionDef:
    """``def name(params): return body``; a body that spans lines gets parentheses."""
    body = function.body
    if "\n" in cst.Module([]).code_for_node(body) and not body.lpar:
        body = body.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
    statement = cst.SimpleStatementLine([cst.Return(body)])
    return cst.FunctionDef(cst.Name(name), function.params, cst.IndentedBlock([statement]))


class _Rename(cst.CSTTransformer):
    def __init__(self, ids: set[int], new: str) -> None:
        super().__init__()
        self.ids, self.new = ids, new

    def leave_Name(self, original_node: cst.Name, updated_node: cst.Name) -> cst.Name:
        return updated_node.with_changes(value=self.new) if id(original_node) in self.ids else updated_node


def renamed(function: cst.FunctionDef, new: str, calls: set[int]) -> cst.FunctionDef:
    """``function`` named ``new``, and so are the names in it (by identity) that call it."""
    return cst.ensure_type(function.visit(_Rename(calls, new)), cst.FunctionDef).with_changes(name=cst.Name(new))


def no_blank_first(block: cst.IndentedBlock) -> cst.IndentedBlock:
    """``block`` with its first statement right under the header (comments kept)."""
    first, *rest = block.body
    kept = [line for line in leading_lines(first) if line.comment]
    return block.with_changes(body=[first.with_changes(leading_lines=kept), *rest])


def move_def(
    edits: Edits, moved: cst.FunctionDef, original: cst.FunctionDef, block: cst.IndentedBlock, anchor: cst.BaseStatement
) -> None:
    """Take ``original`` out of ``block`` and define ``moved`` right before ``anchor``, a
    top-level statement; the block's new first statement starts right under its header."""
    edits.remove(original)
    if block.body[0] is original:
        edits.change(block, no_blank_first)
    edits.insert_before(anchor, [moved])


class Hoisting:
    """Answers for one module, from its shared facts."""

    def __init__(self, facts: ModuleFacts) -> None:
        self.reach: ModuleReach = reach_of(facts)
        self.scopes: Mapping[cst.CSTNode, Scope | None] = facts.scopes
        self.parents: Mapping[cst.CSTNode, cst.CSTNode] = facts.parents
        self.star_import = any(
            isinstance(small, cst.ImportFrom) and isinstance(small.names, cst.ImportStar)
            for statement in self.reach.module.body
            if isinstance(statement, cst.SimpleStatementLine)
            for small in statement.body
        )

    def top_index(self, node: cst.CSTNode) -> int:
        """The index of the top-level statement that holds ``node``."""
        return self.reach.owner[id(node)]

    def within(self, node: cst.CSTNode | None, ancestor: cst.CSTNode) -> bool:
        while node is not None and node is not ancestor:
            node = self.parents.get(node)
        return node is ancestor

    def in_function(self, node: cst.CSTNode) -> bool:
        """Whether ``node`` runs only when some function or lambda is called."""
        child, parent = node, self.parents.get(node)
        while parent is not None:
            if isinstance(parent, cst.Lambda) and child is parent.body:
                return True
            if isinstance(parent, cst.FunctionDef) and child is parent.body:
                return True
            child, parent = parent, self.parents.get(parent)
        return False

    def where_bound(self, name: str, in_children: Collection[cst.FunctionDef] = ()) -> str | None:
        """Why a child process's import of the module may not bind the global ``name`` as
        the parent has it (None: every binding is a top-level statement outside the guard,
        or inside one of the functions ``in_children``, which the parent never runs)."""
        for assignment in self.reach.global_scope.assignments[name]:
            assert isinstance(assignment, Assignment)  # the module's own, not a builtin
            node = assignment.node
            if any(self.within(node, function) for function in in_children):
                continue
            if is_main_guard(self.reach.module.body[self.top_index(node)]):
                return f"`{name}`, which is assigned under the `__main__` guard that child processes do not run"
            if self.in_function(node):
                return f"`{name}`, a global that a function assigns"
        return None

    def _defined_before(self, name: str, anchor: int) -> bool:
        assignments = list(self.reach.global_scope.assignments[name])
        return (
            len(assignments) == 1
            and self.where_bound(name) is None
            and isinstance(assignments[0], Assignment)
            and self.top_index(assignments[0].node) < anchor
        )

    def _local(self, referent_scope: Scope, name: str, node: cst.CSTNode | None) -> str:
        if isinstance(referent_scope, ComprehensionScope):
            return f"`{name}`, a variable of the comprehension around it"
        owner = getattr(referent_scope, "node", None)
        if isinstance(owner, cst.ClassDef):
            return f"`{name}`, a name of the class `{owner.name.value}`"
        where = f"`{owner.name.value}`" if isinstance(owner, cst.FunctionDef) else "the lambda around it"
        is_param = isinstance(node, cst.Param) or (node is not None and isinstance(self.parents.get(node), cst.Param))
        return f"`{name}`, {'a parameter' if is_param else 'a local variable'} of {where}"

    def _definition_time(self, function: Function, anchor: int) -> str | None:
        """Why a default value or annotation cannot be evaluated at module level."""
        params = function.params
        every = [*params.posonly_params, *params.params, *params.kwonly_params]
        every += [star for star in (params.star_arg, params.star_kwarg) if isinstance(star, cst.Param)]
        parts = [part for param in every for part in (param.default, param.annotation) if part is not None]
        if isinstance(function, cst.FunctionDef) and function.returns is not None:
            parts.append(function.returns)
        for part in parts:
            for name in findall(part, m.Name()):
                assert isinstance(name, cst.Name)
                scope = self.scopes.get(name)
                for access in (a for a in scope.accesses[name] if a.node is name) if scope is not None else ():
                    referents = access.referents
                    if not referents or not all(
                        isinstance(r.scope, BuiltinScope)
                        or (isinstance(r.scope, GlobalScope) and self._defined_before(r.name, anchor))
                        for r in referents
                    ):
                        return (
                            f"its default value or annotation reads `{name.value}` where it is defined, "
                            "which is not a module-level name bound once before it"
                        )
        return None

    def obstacle(
        self,
        function: Function,
        anchor: int,
        in_children: Collection[cst.FunctionDef] = (),
        passed: Collection[str] = (),
        carried: dict[str, cst.SimpleStatementLine] | None = None,
    ) -> str | None:
        """Why ``function`` cannot move to module level, before the top-level statement
        ``anchor``, and mean the same there; None when it can. ``in_children``: nested
        functions (``function`` may be one) that move with it under their own names and run
        only in child processes, so the globals they assign never change in the parent.
        ``passed``: names of the scope around ``function`` that become its parameters.
        ``carried``, when given, receives the imports of the function around it that the
        moved function must make itself, by the name each binds (see ``local_import``)."""
        if isinstance(function, cst.FunctionDef) and function.decorators:
            return "it is decorated"
        if findall(function, m.Nonlocal()):
            return "it declares a `nonlocal` name"
        found = self._definition_time(function, anchor)
        if found is not None:
            return found
        own = self.scopes[function.body]
        assert own is not None
        inner = {s for s in self.reach.scopes if own in _chain(s)}
        for node in findall(function.body, m.Name()):  # in source order: the first reason wins
            assert isinstance(node, cst.Name)
            scope = self.scopes.get(node)
            if scope not in inner:
                continue
            for access in (a for a in scope.accesses[node] if a.node is node):
                found = self._foreign(function, node.value, access, inner, in_children, passed, carried)
                if found is not None:
                    return found
        return None

    def _foreign(
        self,
        function: Function,
        name: str,
        access: Access,
        inner: set[Scope],
        in_children: Collection[cst.FunctionDef],
        passed: Collection[str],
        carried: dict[str, cst.SimpleStatementLine] | None,
    ) -> str | None:
        """Why a name that ``function`` reads would mean something else at module level."""
        if not access.referents:
            if name in _MODULE_DUNDERS or self.star_import:
                return None
            return f"it reads `{name}`, which this module never defines"
        for referent in access.referents:
            where = referent.scope
            if where in inner or isinstance(where, BuiltinScope):
                continue
            if name in passed and where is self.scopes.get(function):
                continue  # handed to it as an argument
            node = getattr(referent, "node", None)
            if node is function or any(node is other for other in in_children):
                continue  # a nested function that calls itself, or one that moves with it
            if isinstance(where, GlobalScope):
                why = self.where_bound(name, in_children)
                if why is not None:
                    return f"it reads {why}"
                continue
            imported = local_import(where, name, referent) if carried is not None else None
            if imported is not None:
                carried[name] = imported  # type: ignore[index]
                continue
            return f"it reads {self._local(where, name, node)}"
        return None


def local_import(scope: Scope, name: str, referent: object) -> cst.SimpleStatementLine | None:
    """``import m`` (or ``from p import m``, with or without ``as``) alone, when that
    import binds ``name`` in the function ``scope``, and nothing else there binds it."""
    if not (isinstance(scope, FunctionScope) and isinstance(referent, ImportAssignment)):
        return None
    statement = referent.node
    if len(scope.assignments[name]) != 1 or not isinstance(statement, (cst.Import, cst.ImportFrom)):
        return None
    if isinstance(statement.names, cst.ImportStar):
        return None
    for alias in statement.names:
        bound = alias.evaluated_alias or alias.evaluated_name
        if (bound if isinstance(statement, cst.ImportFrom) or alias.asname else bound.split(".")[0]) == name:
            single = alias.with_changes(comma=cst.MaybeSentinel.DEFAULT)
            names: list[cst.ImportAlias] = [single]
            return cst.SimpleStatementLine([statement.with_changes(names=names, semicolon=cst.MaybeSentinel.DEFAULT)])
    return None


def importing_first(function: cst.FunctionDef, imports: Collection[cst.SimpleStatementLine]) -> cst.FunctionDef:
    """``function`` with ``imports`` at the start of its body, after its doc string."""
    if not imports:
        return function
    body = cst.ensure_type(function.body, cst.IndentedBlock)
    statements = list(body.body)
    first = statements[0] if statements else None
    docstring = (
        isinstance(first, cst.SimpleStatementLine)
        and isinstance(first.body[0], cst.Expr)
        and isinstance(first.body[0].value, (cst.SimpleString, cst.ConcatenatedString))
    )
    at = 1 if docstring else 0
    return function.with_changes(body=body.with_changes(body=[*statements[:at], *imports, *statements[at:]]))
