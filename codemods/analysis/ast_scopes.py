"""Where a node sits on Python's ``ast``, and which names its own scope reads: what a
pre-check needs to tell, without libcst's scope analysis, that a binding is used.

As libcst's scope analysis sees it, a read refers to the bindings of its name in its own
scope that come before it in the source (or, when none does, to the enclosing scope's):
a name read in the same scope as a binding, after it, reads that binding. Reads in nested
functions, classes, lambdas and comprehensions, which may bind the name anew, are left
out, so that an answer of "read" is sure and one of "not read" may be wrong the safe way.
"""

from __future__ import annotations

import ast
import bisect
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from functools import cached_property

from .ast_walk import children, parents_of, walk
from .project.parent import closure

# The nodes that open a scope.
COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
SCOPES = (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda, *COMPREHENSIONS)


# The nodes of a scope's body that bind a name in a way bound_to_others looks at.
_BINDERS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.alias, ast.Assign, ast.With, ast.AsyncWith)

Function = ast.FunctionDef | ast.AsyncFunctionDef
Nodes = Callable[[ast.AST], Iterable[ast.AST]]
Declarations = Callable[[], Iterable[ast.Global | ast.Nonlocal]]
# A block of statements: where each starts, and those whose parents are known (by index).
_Block = tuple[list[tuple[int, int]], set[int]]


class AstScopes:
    """Parents and scopes of one module's ``ast``, worked out when first asked."""

    def __init__(self, tree: ast.Module, declarations: Declarations | None = None) -> None:
        self.tree = tree
        # The module's ``global`` and ``nonlocal`` statements, from an index of the caller's.
        self._declarations = declarations
        self._binders_of: dict[int, list[ast.AST]] = {}  # by the scope's id (see _binders)

    @cached_property
    def _parents(self) -> dict[int, ast.AST]:
        """Every node's parent, for a node whose top-level statement its position cannot tell."""
        return parents_of(self.tree)

    @cached_property
    def _local(self) -> tuple[list[tuple[int, int]], set[int], dict[int, ast.AST], dict[int, _Block]]:
        """Where each top-level statement starts (its decorators included), those whose
        parents are known, the parents known, and the same for each class asked about
        (by id): most pre-checks ask about a few nodes."""
        starts = [_start(statement) for statement in self.tree.body]
        return starts, set(), {}, {}

    def parent(self, node: ast.AST) -> ast.AST | None:
        """The node that holds ``node``; None for the module. Only the parents of the
        statement that holds it are worked out: of the top-level statement, or, in a
        class (a test case of a hundred methods), of the statement of its body."""
        starts, built, known, classes = self._local
        found = known.get(id(node))
        if found is not None or node is self.tree:
            return found
        index = bisect.bisect_right(starts, _start(node)) - 1 if hasattr(node, "lineno") else -1
        holder: ast.AST = self.tree
        while index >= 0 and index not in built:
            statement = holder.body[index]  # type: ignore[attr-defined]
            known[id(statement)] = holder
            if not isinstance(statement, ast.ClassDef):
                known.update(parents_of(statement))
                built.add(index)
                break
            holder = statement  # the parents of its head (decorators, bases, ...), then of its body's statement
            if id(holder) not in classes:
                body = {id(inner) for inner in holder.body}
                for child in children(holder):
                    known[id(child)] = holder
                    if id(child) not in body:
                        known.update(parents_of(child))
                classes[id(holder)] = ([_start(inner) for inner in holder.body], set())
            if id(node) in known:
                break
            starts, built = classes[id(holder)]
            index = bisect.bisect_right(starts, _start(node)) - 1
        return known.get(id(node)) or self._parents.get(id(node))

    def scope_of(self, node: ast.AST) -> ast.AST:
        """The innermost node of :data:`SCOPES` that holds ``node`` (the module at the top)."""
        current = self.parent(node)
        while current is not None and not isinstance(current, SCOPES):
            current = self.parent(current)
        return current if current is not None else self.tree

    def reads(self, scope: ast.AST, name: str, after: ast.AST) -> Iterator[ast.Name]:
        """Each read of ``name`` in ``scope`` itself that comes after the node ``after``.
        ``del name`` counts as a read, as libcst counts it a reference of the binding."""
        end = end_of(after)
        for node in _own_nodes(scope):
            if not (isinstance(node, ast.Name) and node.id == name and isinstance(node.ctx, (ast.Load, ast.Del))):
                continue
            if (node.lineno, node.col_offset) >= end:
                yield node

    def read_in_nested(self, scope: ast.AST, name: str) -> bool:
        """Some scope nested in ``scope`` (a function's or the module's) reads ``name``
        from it: a read in the body of a def, lambda, class or comprehension inside it, where
        no scope on the way binds or declares the name. libcst counts such a read as a
        reference of every binding of the name in ``scope``, wherever it lies. A read in a
        default, a decorator or a comprehension's first iterable is the enclosing scope's
        own, and is left out."""
        if not isinstance(scope, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            return False  # a class's names are not read from the scopes inside it
        return any(
            isinstance(node, ast.Name)
            and node.id == name
            and isinstance(node.ctx, ast.Load)
            and self._read_from_outside(scope, node)
            for node in walk(scope)
        )

    def _read_from_outside(self, scope: ast.AST, read: ast.Name) -> bool:
        child: ast.AST = read
        current = self.parent(read)
        nested = False
        while current is not None and current is not scope:
            if isinstance(current, SCOPES):
                if not _entered_by_body(current, child) or _binds_in(current, read.id):
                    return False
                nested = True
            child, current = current, self.parent(current)
        return current is scope and nested

    def binds_after(self, scope: ast.AST, name: str, after: ast.AST) -> bool:
        """``scope`` may bind ``name`` after the node ``after`` (or anywhere, where a binding
        has no place of its own in the source)."""
        end = end_of(after)
        for node in _own_nodes(scope):
            if _binds(node, name) and (getattr(node, "end_lineno", None) is None or end_of(node) > end):
                return True
        # A := in a comprehension binds in this scope, and so does one in a default or a
        # decorator, which _own_nodes leaves out: each counts, wherever it is.
        return any(isinstance(n, ast.NamedExpr) and _names(n.target, name) and end_of(n) > end for n in walk(scope))

    def not_instance(self, name: ast.Name, callees: Collection[str]) -> bool:
        """mpfix.analysis.bindings' ``is_instance`` cannot prove ``name`` made by one of
        ``callees``: :meth:`bound_to_others`; or an unannotated parameter of a function
        whose calls libcst cannot follow; or a name its own
        function never binds, read from the scope of the module or of an enclosing
        function, where some binding makes it something else or none binds it at all."""
        if self.bound_to_others(name, callees):
            return True
        scope = self.scope_of(name)
        if not isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            return False
        if _is_parameter(scope, name.id):
            return self._unproven_parameter(scope, name.id)
        while isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)) and not _binds_in(scope, name.id):
            scope = self.scope_of(scope)
            while isinstance(scope, ast.ClassDef):  # a class's names are not seen by its methods
                scope = self.scope_of(scope)
        if not isinstance(scope, ast.Module) or name.id in self.declared:
            return False  # a function's own, or a global that some function may assign
        for node in self.module_bindings.get(name.id, ()):
            if not isinstance(node, ast.Name):
                return True  # a def, a class, an import...: libcst's bindings prove nothing of it
            parent = self.parent(node)
            if isinstance(parent, ast.Assign) and node in parent.targets:
                made = parent.value
            elif isinstance(parent, ast.withitem) and parent.optional_vars is node:
                made = parent.context_expr
            else:
                continue
            if _made_otherwise(made, callees):
                return True
        return name.id not in self.module_bindings  # a builtin, or a name bound nowhere

    @cached_property
    def declared(self) -> frozenset[str]:
        """The names that some ``global`` or ``nonlocal`` statement declares."""
        if self._declarations is not None:
            return frozenset(name for node in self._declarations() for name in node.names)
        return frozenset(
            name for node in walk(self.tree) if isinstance(node, (ast.Global, ast.Nonlocal)) for name in node.names
        )

    @cached_property
    def module_bindings(self) -> dict[str, list[ast.AST]]:
        """The nodes of the module's own code that bind each name. A ``:=`` in a
        comprehension, a decorator or a default is left out: libcst proves nothing of a
        name it binds, so a name bound there too is no instance either way."""
        found: dict[str, list[ast.AST]] = {}
        for node in _own_nodes(self.tree):
            if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
                found.setdefault(node.id, []).append(node)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.ExceptHandler)):
                if node.name:
                    found.setdefault(node.name, []).append(node)
            elif isinstance(node, ast.alias):
                found.setdefault(node.asname or node.name.split(".")[0], []).append(node)
            elif isinstance(node, (ast.MatchAs, ast.MatchStar)) and node.name:
                found.setdefault(node.name, []).append(node)
            elif isinstance(node, ast.MatchMapping) and node.rest:
                found.setdefault(node.rest, []).append(node)
        return found

    def _unproven_parameter(self, function: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda, name: str) -> bool:
        """``is_instance`` proves nothing of the parameter ``name`` of ``function``: a
        lambda's, or an unannotated one of a decorated function or of a method whose
        class never names it (no call of it passes anything that libcst follows)."""
        if isinstance(function, ast.Lambda):
            return True
        if any(arg.arg == name and arg.annotation is not None for arg in parameters(function)):
            return False
        if function.decorator_list:
            return True
        owner = self.parent(function)
        return isinstance(owner, ast.ClassDef) and not any(
            isinstance(node, ast.Name) and node.id == function.name for node in walk(owner)
        )

    def local_before(self, function: ast.FunctionDef | ast.AsyncFunctionDef, read: ast.Name) -> bool:
        """``read``, in ``function``'s own scope, reads a local of it: a parameter, or a
        binding of the function's own code in a statement that ends before the read (so
        that libcst, which looks back from a read, finds it), and no ``global`` or
        ``nonlocal`` of the name anywhere in the function."""
        name = read.id
        if self.scope_of(read) is not function or any(
            isinstance(node, (ast.Global, ast.Nonlocal)) and name in node.names for node in walk(function)
        ):
            return False
        if _is_parameter(function, name):
            return True
        start = (read.lineno, read.col_offset)
        for node in _own_nodes(function):
            if _binds(node, name):
                statement = node
                while not isinstance(statement, ast.stmt) and (parent := self.parent(statement)) is not None:
                    statement = parent
                if isinstance(statement, ast.stmt) and end_of(statement) <= start:
                    return True
        return False

    def _binders(self, scope: ast.AST) -> list[ast.AST]:
        """The nodes of ``scope``'s own body that :meth:`bound_to_others` reads, once a scope."""
        found = self._binders_of.get(id(scope))
        if found is None:
            found = self._binders_of[id(scope)] = [node for node in _own_nodes(scope) if isinstance(node, _BINDERS)]
        return found

    def bound_to_others(self, name: ast.Name, callees: Collection[str], none_binds: bool = True) -> bool:
        """A binding of ``name`` in its own scope, before it, assigns it (or binds it by
        ``with``) something other than a name or a call of one of ``callees``: a call of
        another callee, an attribute, an operation; or a ``def``, a ``class`` or an import
        binds it there.

        That binding is among those the read refers to, so libcst's bindings (which follow
        names, and see a call of an API as making it) cannot prove ``name`` to be made by
        one of ``callees``. Unless ``none_binds``, ``name = None`` is no such binding (a
        caller that, as libcst's users may, passes over it).
        """
        start = (name.lineno, name.col_offset)
        for node in self._binders(self.scope_of(name)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.alias)):
                if _binds(node, name.id) and end_of(node) <= start:
                    return True  # a def, a class or an import: libcst's bindings prove nothing of it
                continue
            if isinstance(node, ast.Assign) and end_of(node) <= start:
                made = [node.value] if any(_names(target, name.id) for target in node.targets) else []
            elif isinstance(node, (ast.With, ast.AsyncWith)):
                items = [i for i in node.items if _names(i.optional_vars, name.id)]
                made = [i.context_expr for i in items if end_of(i.context_expr) <= start]
            else:
                continue
            if not none_binds:
                made = [value for value in made if not (isinstance(value, ast.Constant) and value.value is None)]
            if any(_made_otherwise(value, callees) for value in made):
                return True
        return False


def reached_functions(functions: Mapping[str, Function], entries: Collection[str], names_in: Nodes = walk) -> set[str]:
    """The top-level ``functions`` among ``entries`` and those they mention, transitively (as
    mpfix.analysis.parent_writes' ``reached_from``): every function that may run when an
    entry runs, and more. ``names_in``: the ``Name`` nodes in a function, or more."""
    mentions = {
        name: {node.id for node in names_in(function) if isinstance(node, ast.Name)} & functions.keys()
        for name, function in functions.items()
    }
    return closure(entries, lambda name: mentions.get(name, set())) & functions.keys()


def _made_otherwise(value: ast.expr, callees: Collection[str]) -> bool:
    if isinstance(value, ast.Call):
        return _callee(value) not in callees
    return not isinstance(value, ast.Name)


def _callee(call: ast.Call) -> str | None:
    func = call.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None


def end_of(node: ast.AST) -> tuple[int, int]:
    return (node.end_lineno or node.lineno, node.end_col_offset or 0)  # type: ignore[attr-defined]


def _names(node: ast.AST | None, name: str) -> bool:
    return isinstance(node, ast.Name) and node.id == name


def _binds(node: ast.AST, name: str) -> bool:
    """``node`` binds ``name`` in the scope it is in: a store or ``del``, a ``def`` or
    ``class``, an import, ``except ... as``, a capture of ``match``."""
    if isinstance(node, ast.Name):
        return node.id == name and not isinstance(node.ctx, ast.Load)
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.ExceptHandler, ast.MatchAs)):
        return node.name == name
    if isinstance(node, ast.alias):
        return (node.asname or node.name.split(".")[0]) == name
    if isinstance(node, ast.MatchStar):
        return node.name == name
    if isinstance(node, ast.MatchMapping):
        return node.rest == name
    return False


def parameters(function: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> list[ast.arg]:
    """Every parameter of ``function``, ``*args`` and ``**kwargs`` included."""
    arguments = function.args
    every = [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs, arguments.vararg, arguments.kwarg]
    return [arg for arg in every if arg is not None]


def _is_parameter(function: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda, name: str) -> bool:
    return any(arg.arg == name for arg in parameters(function))


def _entered_by_body(scope: ast.AST, child: ast.AST) -> bool:
    """``child`` is part of what runs in ``scope`` itself: a statement of a def's or a
    class's body, a lambda's body, or a comprehension's element or later clauses."""
    if isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return any(child is statement for statement in scope.body)
    if isinstance(scope, ast.Lambda):
        return child is scope.body
    if isinstance(scope, COMPREHENSIONS):
        parts = [scope.key, scope.value] if isinstance(scope, ast.DictComp) else [scope.elt]
        return any(child is part for part in [*parts, *scope.generators[1:]])
    return False


def binds_or_declares(node: ast.AST, name: str) -> bool:
    """``node`` binds ``name`` (see ``_binds``), is a parameter of that name, or declares
    it ``global`` or ``nonlocal``."""
    return (
        _binds(node, name)
        or (isinstance(node, ast.arg) and node.arg == name)
        or (isinstance(node, (ast.Global, ast.Nonlocal)) and name in node.names)
    )


def _binds_in(function: ast.AST, name: str) -> bool:
    """``function`` (or another scope) may bind ``name`` in its own scope (more than that:
    anything inside it that binds the name, a parameter or a ``global`` or ``nonlocal``
    of it counts)."""
    return any(binds_or_declares(node, name) for node in walk(function) if node is not function)


def own_bindings(scope: ast.AST, name: str) -> list[ast.AST]:
    """The nodes of ``scope``'s own body (see ``_own_nodes``) that bind ``name``, or that
    are a parameter, ``global`` or ``nonlocal`` of it."""
    return [node for node in _own_nodes(scope) if binds_or_declares(node, name)]


def _own_nodes(scope: ast.AST) -> Iterator[ast.AST]:
    """The nodes of ``scope``'s own body, and the first iterable of each comprehension in
    it, which is evaluated here. A def's decorators, defaults and annotations and a class's
    bases belong to the enclosing scope: they are left out, so that fewer reads are found
    (the safe way); ``binds_after`` looks for the one binding they may hold, a :=."""
    if isinstance(scope, ast.Lambda):
        pending: list[ast.AST] = [scope.body]
    elif isinstance(scope, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        pending = list(scope.body)
    else:
        return
    while pending:
        node = pending.pop()
        yield node
        if isinstance(node, COMPREHENSIONS):
            pending.append(node.generators[0].iter)
        elif not isinstance(node, SCOPES):
            pending.extend(children(node))


def _start(node: ast.AST) -> tuple[int, int]:
    """Where ``node`` starts in the source: a decorated definition, at its first decorator."""
    decorators = getattr(node, "decorator_list", None)
    first = decorators[0] if decorators else node
    return getattr(first, "lineno", 0), getattr(first, "col_offset", 0)
