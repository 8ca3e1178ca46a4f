"""Syntactic facts about statements and expressions that several rules need."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence

import libcst as cst

from . import match as m
from .facts import findall, indexed
from .guard import is_main_test
from .project.apis import MUTATING_METHODS as MUTATING_METHODS

# Builtins whose calls have no side effect worth keeping in order.
PURE_BUILTINS = frozenset(
    {
        "abs", "bool", "bytes", "dict", "enumerate", "float", "frozenset", "int", "len",
        "list", "max", "min", "range", "repr", "reversed", "round", "set", "sorted", "str",
        "sum", "tuple", "zip",
    }
)  # fmt: skip

# Decorators that only wrap or mark a function, so defining it earlier changes nothing.
PURE_DECORATORS = frozenset({"staticmethod", "classmethod", "property"})

_LITERALS = (
    cst.Integer, cst.Float, cst.Imaginary, cst.SimpleString, cst.ConcatenatedString, cst.Ellipsis,
)  # fmt: skip


def is_import(statement: cst.CSTNode) -> bool:
    return isinstance(statement, cst.SimpleStatementLine) and all(
        isinstance(small, (cst.Import, cst.ImportFrom)) for small in statement.body
    )


def is_definition(statement: cst.CSTNode) -> bool:
    """Functions, classes and imports: what a child's import of the module must see."""
    return isinstance(statement, (cst.FunctionDef, cst.ClassDef)) or is_import(statement)


class _Names(cst.CSTVisitor):
    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()

    def visit_Name(self, node: cst.Name) -> None:
        self.names.add(node.value)

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        node.value.visit(self)  # ``a.b`` mentions ``a``; ``b`` is no variable
        return False

    def visit_Arg(self, node: cst.Arg) -> bool:
        node.value.visit(self)  # ``f(key=v)`` mentions ``v``; ``key`` is no variable
        return False


def names_in(node: cst.CSTNode | None) -> set[str]:
    """Every variable name mentioned under ``node``, bound or read, at any depth."""
    if node is None:
        return set()
    found = indexed(node, (cst.Name,))
    if found is not None:  # what _Names visits, answered from the module's index
        names, parents = found
        return {
            name.value  # type: ignore[attr-defined]
            for name in names
            if name is node
            or not (
                ((parent := parents[name]).__class__ is cst.Attribute and parent.attr is name)
                or (parent.__class__ is cst.Arg and parent.keyword is name)
            )
        }
    visitor = _Names()
    node.visit(visitor)
    return visitor.names


def root_name(node: cst.BaseExpression) -> str | None:
    """``a`` for ``a.b[c].d(e)``: the name an attribute, subscript or call chain starts at."""
    while isinstance(node, (cst.Attribute, cst.Subscript, cst.Call)):
        node = node.func if isinstance(node, cst.Call) else node.value
    return node.value if isinstance(node, cst.Name) else None


# Methods of dict, list, set and str that read their object without changing it.
READ_ONLY_METHODS = frozenset(
    {
        "copy", "count", "index", "items", "keys", "values", "__contains__", "__getitem__", "__len__",
        "difference", "intersection", "isdisjoint", "issubset", "issuperset", "symmetric_difference", "union",
        "endswith", "find", "rfind", "startswith",
    }
)  # fmt: skip



def reads_only(call: cst.Call) -> bool:
    """A method call that only reads its object, as the methods of dict, list, set and str
    do: ``d.get(k, default)`` (but not ``queue.get()``, ``queue.get(True)`` or
    ``queue.get(timeout=1)``, which take an item out), ``s.count(x)``, ``d.keys()``."""
    func = call.func
    if not isinstance(func, cst.Attribute):
        return False
    if func.attr.value == "get":
        first = call.args[0] if call.args else None
        return (
            first is not None
            and all(arg.keyword is None and not arg.star for arg in call.args)
            and not m.matches(first.value, m.Name("True") | m.Name("False"))
        )
    return func.attr.value in READ_ONLY_METHODS


def _changes_receiver(call: cst.Call, imported: Collection[str]) -> bool:
    """Whether a method call may change the object it is called on. Calling a function of
    an imported module (``time.time()``, ``os.path.join(...)``) changes nothing of the
    module that code elsewhere could see, as far as the syntax tells; a container method
    such as ``mod.registry.append(x)`` still does."""
    func = call.func
    assert isinstance(func, cst.Attribute)
    if reads_only(call):
        return False
    return root_name(func) not in imported or func.attr.value in MUTATING_METHODS


def mutated_roots(statement: cst.CSTNode, imported: Collection[str] = ()) -> set[str]:
    """Names whose objects ``statement`` may change: assigned into (``a.x = 1``,
    ``a[k] += 1``, ``del a[k]``, ``setattr(a, ...)``) or called a method of that may
    change it (``a.append(x)``; not ``a.get(k)``, nor ``mod.f()`` when ``mod`` is one of
    the ``imported`` names, those bound by imports only)."""
    targets: list[cst.BaseExpression] = []
    for node in findall(statement, m.Assign() | m.AugAssign() | m.AnnAssign() | m.Del()):
        if isinstance(node, cst.Assign):
            targets.extend(t.target for t in node.targets)
        elif isinstance(node, (cst.AugAssign, cst.AnnAssign, cst.Del)):
            targets.append(node.target)
    # Not ``a = 1``.
    changed: list[cst.BaseExpression] = [t for t in targets if isinstance(t, (cst.Attribute, cst.Subscript))]
    for call in findall(statement, m.Call()):
        assert isinstance(call, cst.Call)
        if isinstance(call.func, cst.Attribute) and _changes_receiver(call, imported):
            changed.append(call.func)
        elif m.matches(call.func, m.Name("setattr") | m.Name("delattr")) and call.args:
            changed.append(call.args[0].value)
    return {root for node in changed if (root := root_name(node)) is not None}


def pure_expression(node: cst.BaseExpression) -> bool:
    """True when evaluating ``node`` cannot have a side effect: literals, names, containers,
    operators and calls of :data:`PURE_BUILTINS` on such."""
    if isinstance(node, (*_LITERALS, cst.Name)):
        return True
    if isinstance(node, (cst.Tuple, cst.List, cst.Set)):
        return all(pure_expression(e.value) for e in node.elements)
    if isinstance(node, cst.Dict):
        return all(
            isinstance(e, cst.DictElement) and pure_expression(e.key) and pure_expression(e.value)
            for e in node.elements
        )
    if isinstance(node, cst.UnaryOperation):
        return pure_expression(node.expression)
    if isinstance(node, (cst.BinaryOperation, cst.BooleanOperation)):
        return pure_expression(node.left) and pure_expression(node.right)
    if isinstance(node, cst.Comparison):
        return pure_expression(node.left) and all(pure_expression(c.comparator) for c in node.comparisons)
    if isinstance(node, cst.Call):
        return (
            isinstance(node.func, cst.Name)
            and node.func.value in PURE_BUILTINS
            and all(pure_expression(arg.value) for arg in node.args)
        )
    return False


def pure_assignment(statement: cst.CSTNode) -> bool:
    """``NAME = <pure expression>`` (also annotated), the shape of a module constant."""
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
        return False
    small = statement.body[0]
    if isinstance(small, cst.Assign):
        return all(isinstance(t.target, cst.Name) for t in small.targets) and pure_expression(small.value)
    if isinstance(small, cst.AnnAssign):
        return isinstance(small.target, cst.Name) and (small.value is None or pure_expression(small.value))
    return False


def definition_time_parts(statement: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """The parts of a def or class evaluated when it is defined (not its function body)."""
    if isinstance(statement, cst.FunctionDef):
        yield from (d.decorator for d in statement.decorators)
        yield statement.params
        if statement.returns is not None:
            yield statement.returns
    elif isinstance(statement, cst.ClassDef):
        yield from (d.decorator for d in statement.decorators)
        yield from statement.bases
        yield from statement.keywords
        yield statement.body


# ``@pytest.mark.NAME`` and ``@pytest.fixture``: each records what it is given, for pytest
# to read when it collects the tests.
_PYTEST_MARKERS = m.Attribute(value=m.Attribute(value=m.Name("pytest"), attr=m.Name("mark"))) | m.Attribute(
    value=m.Name("pytest"), attr=m.Name("fixture")
)


def _pure_decorator(decorator: cst.Decorator) -> bool:
    node = decorator.decorator
    if isinstance(node, cst.Name):
        return node.value in PURE_DECORATORS
    # ``@name.setter`` / ``@name.deleter`` on properties
    if m.matches(node, m.Attribute(value=m.Name(), attr=m.Name("setter") | m.Name("deleter"))):
        return True
    if isinstance(node, cst.Call):  # ``@pytest.mark.parametrize("n", [1, 2])``
        if not all(pure_expression(arg.value) for arg in node.args):
            return False
        node = node.func
    return m.matches(node, _PYTEST_MARKERS)


def _pure_params(params: cst.Parameters, dotted: bool = False) -> bool:
    every = [*params.posonly_params, *params.params, *params.kwonly_params]
    return all(
        p.default is None or pure_expression(p.default) or (dotted and _root(p.default) is not None) for p in every
    )


def _root(node: cst.BaseExpression) -> str | None:
    """``os`` of ``os.sep``: the name under an attribute of an attribute ... of it."""
    if not isinstance(node, cst.Attribute):
        return None
    while isinstance(node, cst.Attribute):
        node = node.value
    return node.value if isinstance(node, cst.Name) else None


def dotted_defaults_hold(
    statement: cst.CSTNode, moved: Sequence[cst.CSTNode], imported: Collection[str], local: Collection[str]
) -> bool:
    """Whether the defaults of ``statement`` that read an attribute (``sep=os.sep``) read
    the same before the code ``moved`` runs as after it: each reads an attribute of a name
    that imports alone bind (``imported``), and that code neither names it nor calls a
    function or class of the module (``local``), which could change it; as elsewhere, the
    functions that imports bind are taken to change nothing of another module's."""
    roots = dotted_defaults(statement)
    if not roots:
        return True
    if not roots <= set(imported):
        return False
    for node in moved:
        calls = calls_in(node, whole_functions=True)
        if roots & names_in(node) or any(isinstance(c.func, cst.Name) and c.func.value in local for c in calls):
            return False
    return True


def module_callables(body: Sequence[cst.CSTNode]) -> set[str]:
    """The names of a module's own top-level functions and classes: code that calls one
    may change anything (see ``dotted_defaults_hold``)."""
    return {s.name.value for s in body if isinstance(s, (cst.FunctionDef, cst.ClassDef))}


def dotted_defaults(statement: cst.CSTNode) -> set[str]:
    """The names under the defaults of a def that read an attribute of them (``os`` of
    ``sep=os.sep``): such a default is evaluated alike wherever the def sits, as long as
    nothing changes that name or its attributes in between (see ``dotted_defaults_hold``)."""
    if not isinstance(statement, cst.FunctionDef):
        return set()
    params = statement.params
    defaults = [p.default for p in [*params.posonly_params, *params.params, *params.kwonly_params] if p.default]
    return {root for default in defaults if (root := _root(default)) is not None}


def pure_definition(statement: cst.CSTNode, dotted: bool = False) -> bool:
    """A def or class whose definition has no side effect, so it may be defined earlier:
    only pure decorators and defaults; a class body of such defs, constants and docs.
    ``dotted``: a def's default may read an attribute of a name too (see ``dotted_defaults``)."""
    if isinstance(statement, cst.FunctionDef):
        return all(_pure_decorator(d) for d in statement.decorators) and _pure_params(statement.params, dotted)
    if isinstance(statement, cst.ClassDef):
        if statement.decorators or not all(
            isinstance(a.value, (cst.Name, cst.Attribute)) for a in [*statement.bases, *statement.keywords]
        ):
            return False
        body = statement.body.body if isinstance(statement.body, cst.IndentedBlock) else [statement.body]
        return all(_pure_class_member(s) for s in body)
    return False


def _pure_class_member(statement: cst.CSTNode) -> bool:
    if isinstance(statement, (cst.FunctionDef, cst.ClassDef)):
        return pure_definition(statement)
    if pure_assignment(statement):
        return True
    small = statement.body if isinstance(statement, (cst.SimpleStatementLine, cst.SimpleStatementSuite)) else None
    return small is not None and all(
        isinstance(s, cst.Pass) or (isinstance(s, cst.Expr) and isinstance(s.value, _LITERALS)) for s in small
    )


class _Calls(cst.CSTVisitor):
    """Calls that run when a statement runs: not in function bodies, lambdas or guards."""

    def __init__(self, whole_functions: bool) -> None:
        super().__init__()
        self.whole_functions = whole_functions
        self.calls: list[cst.Call] = []

    def visit_Call(self, node: cst.Call) -> None:
        self.calls.append(node)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        if self.whole_functions:
            return True
        for decorator in node.decorators:
            decorator.visit(self)
        node.params.visit(self)
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return self.whole_functions

    def visit_If(self, node: cst.If) -> bool:
        if is_main_test(node.test):
            if node.orelse is not None:
                node.orelse.visit(self)
            return False
        return True


def calls_in(node: cst.CSTNode, *, whole_functions: bool = False) -> list[cst.Call]:
    """The calls under ``node`` that run when it runs (``whole_functions``: also those in
    the bodies of functions and lambdas it defines)."""
    visitor = _Calls(whole_functions)
    node.visit(visitor)
    return visitor.calls


def is_docstring(statement: cst.CSTNode) -> bool:
    return (
        isinstance(statement, cst.SimpleStatementLine)
        and len(statement.body) == 1
        and isinstance(statement.body[0], cst.Expr)
        and isinstance(statement.body[0].value, (cst.SimpleString, cst.ConcatenatedString))
    )


def declared_names(function: cst.FunctionDef) -> set[str]:
    """The names that ``function`` or a function nested in it declares global or nonlocal."""
    found = findall(function, m.Global() | m.Nonlocal())
    return {item.name.value for node in found if isinstance(node, (cst.Global, cst.Nonlocal)) for item in node.names}


def plain_positional(params: cst.Parameters) -> bool:
    """Positional parameters without defaults and no ``*args``: one may be appended."""
    return all(p.default is None for p in [*params.posonly_params, *params.params]) and not isinstance(
        params.star_arg, cst.Param
    )
