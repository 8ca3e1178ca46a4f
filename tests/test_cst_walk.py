"""The read-only walk of libcst trees finds what libcst's own visit and ``children`` find:
the same nodes, the same callbacks in the same order, the same scopes and expression
contexts, and the same result of the rules' batched pass."""

from __future__ import annotations

import ast
import inspect
import json
import multiprocessing.connection
import multiprocessing.pool
import sys
import textwrap
import types
from collections.abc import Iterator
from pathlib import Path

import libcst as cst
import pytest
from libcst.metadata import ExpressionContextProvider, MetadataWrapper, ScopeProvider, scope_provider
from mpfix import engine
from mpfix.analysis import cst_walk
from mpfix.analysis.cst_walk import Batched, children, walking
from mpfix.analysis.facts import ModuleFacts
from test_ast_walk import NEWER, PROGRAM

MORE = """\
x = f"{a!r:>{width}.{precision}} {b=} {c:{d}} {e}"
y = rf"{x}" f"{x:%Y-%m-%d}" "plain"
from . import (a as b, c)
from .. import *
lambda *, k=1: k
print(*[1], **{}, sep="")
@decorator(1)
class C(B, metaclass=M):
    def __init__(self, a, /, b: int = 2, *c, d, **e) -> None:
        nonlocal_ = [i async for i in aiter() if i]
        super().__init__()
"""


def _sources() -> list[str]:
    sources = [PROGRAM, MORE]
    sources += [source for version, source in NEWER.items() if sys.version_info >= version]
    package = Path(engine.__file__).parent
    sources += [path.read_text(encoding="utf-8") for path in sorted(package.rglob("*.py"))[:15]]
    modules = (inspect, textwrap, json.decoder, multiprocessing.pool, multiprocessing.connection)
    sources += [Path(inspect.getfile(module)).read_text(encoding="utf-8") for module in modules]
    return sources


MODULES = [cst.parse_module(source) for source in _sources()]
IDS = [f"{i}" for i in range(len(MODULES))]


def _nodes(module: cst.Module) -> Iterator[cst.CSTNode]:
    stack: list[cst.CSTNode] = [module]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(node.children)


@pytest.mark.parametrize("module", MODULES, ids=IDS)
def test_children_are_libcsts_children(module: cst.Module) -> None:
    for node in _nodes(module):
        assert [id(child) for child in children(node)] == [id(child) for child in node.children], type(node)


def _recording_visitor() -> type[cst.CSTVisitor]:
    """A visitor with a visit and a leave method for every node type that logs each call,
    hooks on some fields, and skips the children of functions and lambdas."""
    kinds = [k for k in vars(cst).values() if isinstance(k, type) and issubclass(k, cst.CSTNode)]
    methods: dict[str, object] = {}
    for kind in kinds:
        name = kind.__name__

        def visit(self: Recorder, node: cst.CSTNode, name: str = name) -> bool:
            self.log.append(("visit", name, id(node)))
            return name not in ("FunctionDef", "Lambda")

        def leave(self: Recorder, node: cst.CSTNode, name: str = name) -> None:
            self.log.append(("leave", name, id(node)))

        methods[f"visit_{name}"], methods[f"leave_{name}"] = visit, leave
    for kind, field in (("ClassDef", "bases"), ("Call", "args"), ("FormattedStringExpression", "format_spec")):

        def visit_field(self: Recorder, node: cst.CSTNode, key: str = f"{kind}.{field}") -> None:
            self.log.append(("visit field", key, id(node)))

        def leave_field(self: Recorder, node: cst.CSTNode, key: str = f"{kind}.{field}") -> None:
            self.log.append(("leave field", key, id(node)))

        methods[f"visit_{kind}_{field}"], methods[f"leave_{kind}_{field}"] = visit_field, leave_field

    class Recorder(cst.CSTVisitor):
        def __init__(self) -> None:
            super().__init__()
            self.log: list[tuple[str, str, int]] = []

    for name, method in methods.items():
        setattr(Recorder, name, method)
    return Recorder


RECORDER = _recording_visitor()


class OwnDispatch(cst.CSTVisitor):
    """A visitor with its own ``on_visit`` and ``on_leave``, which sees every field."""

    def __init__(self) -> None:
        super().__init__()
        self.log: list[tuple[str, str, int]] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        self.log.append(("visit", type(node).__name__, id(node)))
        return not isinstance(node, cst.ClassDef)

    def on_leave(self, original_node: cst.CSTNode) -> None:
        self.log.append(("leave", type(original_node).__name__, id(original_node)))

    def on_visit_attribute(self, node: cst.CSTNode, attribute: str) -> None:
        self.log.append(("visit field", attribute, id(node)))

    def on_leave_attribute(self, original_node: cst.CSTNode, attribute: str) -> None:
        self.log.append(("leave field", attribute, id(original_node)))


class OwnLeave(RECORDER):  # type: ignore[misc,valid-type]
    """Typed methods, and an ``on_leave`` of its own that calls libcst's, as libcst's scope
    analysis has."""

    def on_leave(self, original_node: cst.CSTNode) -> None:
        self.log.append(("left", type(original_node).__name__, id(original_node)))
        super().on_leave(original_node)


@pytest.mark.parametrize("module", MODULES, ids=IDS)
@pytest.mark.parametrize(
    "kind", [RECORDER, OwnDispatch, OwnLeave], ids=["typed methods", "own dispatch", "typed methods, own on_leave"]
)
def test_the_walk_makes_libcsts_callbacks_in_libcsts_order(module: cst.Module, kind: type) -> None:
    libcst_visitor, walked = kind(), kind()
    assert module.visit(libcst_visitor) is module
    with walking():
        assert module.visit(walked) is module
    assert walked.log == libcst_visitor.log
    assert len(walked.log) > 10


def _scope_facts(module: cst.Module) -> list[object]:
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    scopes = wrapper.resolve(ScopeProvider)
    contexts = wrapper.resolve(ExpressionContextProvider)
    facts: list[object] = []
    for node in _nodes(module):
        scope = scopes.get(node)
        facts.append((id(node), type(scope).__name__, contexts.get(node)))
        if isinstance(node, (cst.Name, cst.Attribute)) and scope is not None:
            facts.append(sorted((q.name, q.source.name) for q in scope.get_qualified_names_for(node)))
            if isinstance(node, cst.Name):
                # An assignment's and an access's index: how many assignments their scope
                # had seen, which decides what an access reads.
                facts.append(sorted((id(a.node), a._index) for a in scope.assignments[node.value]))
                facts.append(sorted((id(a.node), a._index) for a in scope.accesses[node.value]))
    return facts


@pytest.mark.parametrize("module", MODULES, ids=IDS)
def test_scopes_and_expression_contexts_are_libcsts(module: cst.Module) -> None:
    libcsts = _scope_facts(module)
    with walking():
        assert _scope_facts(module) == libcsts


class Counts(cst.BatchableCSTVisitor):
    """A batchable visitor of a few types, with a property that counts its reads."""

    def __init__(self, tag: str, log: list[str]) -> None:
        super().__init__()
        self.tag, self.log, self.reads = tag, log, 0

    @property
    def expensive(self) -> int:
        self.reads += 1
        return 0

    def visit_Call(self, node: cst.Call) -> bool:
        self.log.append(f"{self.tag} call {cst.Module([]).code_for_node(node.func)}")
        return False  # a batched pass visits the children all the same

    def leave_Call(self, original_node: cst.Call) -> None:
        self.log.append(f"{self.tag} left call")

    def visit_Name(self, node: cst.Name) -> None:
        self.log.append(f"{self.tag} name {node.value}")

    def visit_ClassDef_bases(self, node: cst.ClassDef) -> None:
        self.log.append(f"{self.tag} bases of {node.name.value}")


@pytest.mark.parametrize("module", MODULES[:2] + MODULES[-3:], ids=IDS[:2] + IDS[-3:])
def test_a_batched_pass_calls_each_visitors_methods_as_libcst_does(module: cst.Module) -> None:
    libcsts: list[str] = []
    cst.visit_batched(module, [Counts("a", libcsts), Counts("b", libcsts)])
    ours: list[str] = []
    visitors = [Counts("a", ours), Counts("b", ours)]
    with walking():
        module.visit(Batched(visitors))
    assert ours == libcsts
    assert any(" call " in entry for entry in ours)
    assert [v.reads for v in visitors] == [0, 0]  # libcst's reads every property of each visitor


class Plain(Counts):
    """Counts, without the hook of a field, and with a leave method of a nested type."""

    visit_ClassDef_bases = None  # type: ignore[assignment]

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self.log.append(f"{self.tag} left def {original_node.name.value}")


@pytest.mark.parametrize("module", MODULES, ids=IDS)
def test_a_batched_pass_from_the_index_calls_what_libcst_calls(module: cst.Module) -> None:
    libcsts: list[str] = []
    cst.visit_batched(module, [Plain("a", libcsts), Plain("b", libcsts)])
    ours: list[str] = []
    facts = ModuleFacts(module)
    with walking():
        assert facts.index.visit(Batched([Plain("a", ours), Plain("b", ours)]))
        assert not facts.index.visit(Batched([Counts("a", [])]))  # a field's hook: the caller walks
    assert ours == libcsts
    assert ours or not any(isinstance(node, cst.Name) for node in _nodes(module))


class ModuleOnly(cst.BatchableCSTVisitor):
    """A batchable visitor of the module alone, and one that hooks the module's body."""

    def __init__(self, log: list[str]) -> None:
        super().__init__()
        self.log = log

    def visit_Module(self, node: cst.Module) -> None:
        self.log.append(f"module of {len(node.body)}")

    def leave_Module(self, original_node: cst.Module) -> None:
        self.log.append("left module")


class ModuleBody(ModuleOnly):
    def leave_Module_body(self, node: cst.Module) -> None:
        self.log.append("left body")


@pytest.mark.parametrize("kind", [ModuleOnly, ModuleBody])
def test_a_batched_pass_of_the_module_alone_calls_what_libcst_calls(kind: type[ModuleOnly]) -> None:
    module = MODULES[0]
    libcsts: list[str] = []
    cst.visit_batched(module, [kind(libcsts), Counts("a", libcsts)])
    cst.visit_batched(module, [kind(libcsts)])
    ours: list[str] = []
    with walking():
        module.visit(Batched([kind(ours), Counts("a", ours)]))
        module.visit(Batched([kind(ours)]))
        module.visit(Batched([]))
    assert ours == libcsts
    last = ["left body", "left module"] if kind is ModuleBody else [f"module of {len(module.body)}", "left module"]
    assert ours[-2:] == last


def test_walking_ends_with_libcsts_visit_back_and_leaves_transformers_alone() -> None:
    libcsts = cst.CSTNode.visit

    class Rename(cst.CSTTransformer):
        def leave_Name(self, original_node: cst.Name, updated_node: cst.Name) -> cst.Name:
            return updated_node.with_changes(value=updated_node.value.upper())

    module = cst.parse_module("pool = make(size)\n")
    with walking():
        with walking():
            assert cst.CSTNode.visit is not libcsts
        assert cst.CSTNode.visit is not libcsts  # the outer walk is still open
        assert module.visit(Rename()).code == "POOL = MAKE(SIZE)\n"
    assert cst.CSTNode.visit is libcsts
    with pytest.raises(ZeroDivisionError), walking():
        1 / 0  # noqa: B018
    assert cst.CSTNode.visit is libcsts


def test_within_a_walk_a_node_is_assignment_like_where_libcst_says_it_is() -> None:
    libcsts = scope_provider._ASSIGNMENT_LIKE_NODES
    assert isinstance(libcsts, tuple)
    kinds = [kind for kind in vars(cst).values() if isinstance(kind, type) and issubclass(kind, cst.CSTNode)]
    module = MODULES[-1]
    with walking():
        ours = scope_provider._ASSIGNMENT_LIKE_NODES
        assert ours is not libcsts
        for node in _nodes(module):
            assert isinstance(node, ours) == isinstance(node, libcsts), type(node).__name__
        for kind in kinds:
            if not inspect.isabstract(kind) and kind.__subclasses__() == []:
                assert ours.__instancecheck__(object.__new__(kind)) == issubclass(kind, libcsts), kind.__name__
    assert scope_provider._ASSIGNMENT_LIKE_NODES is libcsts


def _helper(self: object, node: cst.CSTNode) -> None:
    pass


def visit_Pass(self: object, node: cst.Pass) -> None:  # libcst names its visit methods so
    pass


class Named(cst.BatchableCSTVisitor):
    """A batchable visitor with a static and a class method among its visit methods, and
    one whose function has another name (libcst goes by the function's name)."""

    visit_Del = _helper

    def visit_Name(self, node: cst.Name) -> None:
        pass

    @classmethod
    def visit_Call(cls, node: cst.Call) -> None:
        pass

    @staticmethod
    def leave_Call(original_node: cst.Call) -> None:
        pass


_LIBCST_GET_VISITORS = cst.BatchableCSTVisitor.get_visitors


@pytest.mark.parametrize("kind", [ScopeProvider, ExpressionContextProvider, Named])
def test_within_a_walk_a_batchable_visitor_names_the_methods_libcst_names(kind: type) -> None:
    visitor = kind()
    libcsts = visitor.get_visitors()
    with walking():
        assert visitor.get_visitors() == libcsts
        other = kind()
        assert other.get_visitors() == _LIBCST_GET_VISITORS(other)  # the names found once serve another
        own = kind()
        own.visit_Pass = types.MethodType(visit_Pass, own)
        assert "visit_Pass" in own.get_visitors()  # a method set on the instance: libcst's reading
    assert visitor.get_visitors.__func__ is _LIBCST_GET_VISITORS  # type: ignore[attr-defined]


def test_a_node_whose_optional_field_the_first_record_missed_is_walked_libcsts_way() -> None:
    """libcst visits an f-string's format spec only when there is one: a type recorded
    from a node without it still gives the children of one with it."""
    cst_walk._FIELDS.pop(cst.FormattedStringExpression, None)
    module = cst.parse_module('f"{a}"\nf"{b:>{width}}"\n')
    found = [n for n in _nodes(module) if isinstance(n, cst.FormattedStringExpression)]
    plain = next(n for n in found if n.format_spec is None)
    spec = next(n for n in found if n.format_spec is not None)
    assert [id(c) for c in children(plain)] == [id(c) for c in plain.children]
    assert [id(c) for c in children(spec)] == [id(c) for c in spec.children]
    libcst_visitor, walked = RECORDER(), RECORDER()
    module.visit(libcst_visitor)
    with walking():
        module.visit(walked)
    assert walked.log == libcst_visitor.log


def _visited_fields(tree: ast.AST) -> set[str]:
    """The fields that the ``visit_*(self, "field", ...)`` calls in ``tree`` visit."""
    return {
        call.args[1].value
        for call in ast.walk(tree)
        if isinstance(call, ast.Call) and getattr(call.func, "id", "").startswith("visit_") and len(call.args) > 1
        if isinstance(call.args[1], ast.Constant)
    }


def test_the_types_libcst_visits_on_a_condition_are_known() -> None:
    """libcst's own code decides which node types offer a field only when it holds
    something (a conditional whose branches visit different fields): each such type is
    visited the libcst way."""
    conditional = set()
    for path in sorted((Path(cst.__file__).parent / "_nodes").glob("*.py")):
        for kind in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            for method in kind.body if isinstance(kind, ast.ClassDef) else ():
                if isinstance(method, ast.FunctionDef) and method.name == "_visit_and_replace_children":
                    for test in ast.walk(method):
                        if isinstance(test, ast.IfExp) and _visited_fields(test.body) != _visited_fields(test.orelse):
                            conditional.add(kind.name)
                        if isinstance(test, ast.If):
                            body, orelse = ast.Module(test.body, []), ast.Module(test.orelse, [])
                            if _visited_fields(body) != _visited_fields(orelse):
                                conditional.add(kind.name)
    assert "FormattedStringExpression" in conditional
    assert conditional <= cst_walk.CONDITIONAL


def test_a_visit_method_set_on_the_instance_is_called() -> None:
    class Names(cst.CSTVisitor):
        pass

    module = cst.parse_module("pool = make(size)\n")
    seen: list[str] = []
    visitor = Names()
    visitor.visit_Name = lambda node: seen.append(node.value)  # type: ignore[attr-defined]
    with walking():
        module.visit(visitor)
    assert seen == ["pool", "make", "size"]


def test_a_type_whose_annotations_do_not_resolve_has_every_field_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    """Should libcst annotate a node type in a way that does not resolve, each field the
    recording did not see may hold a node: a node that has one there is walked the libcst
    way, so none of its children is missed."""

    def unresolved(kind: object) -> dict[str, object]:
        raise NameError("an annotation that does not resolve")

    monkeypatch.setattr(cst_walk.typing, "get_type_hints", unresolved)
    monkeypatch.setattr(cst_walk, "_FIELDS", {})
    module = cst.parse_module("pool.map(work, [1, 2])\n")
    for node in _nodes(module):
        assert [id(c) for c in children(node)] == [id(c) for c in node.children]
    assert cst_walk._FIELDS[cst.Name][1] == ("value",)  # a str field: looked at, and found to hold none


def test_a_visitor_with_its_own_on_leave_has_its_visit_methods_found_by_type(monkeypatch: pytest.MonkeyPatch) -> None:
    """Not through libcst's ``on_visit``, which formats and looks up a name on every node."""
    module = cst.parse_module("def f(x):\n    return g(x)\n")
    libcst_visitor = OwnLeave()
    module.visit(libcst_visitor)

    def no_dispatch(self: cst.CSTVisitor, node: cst.CSTNode) -> bool:
        raise AssertionError("dispatched through on_visit")

    monkeypatch.setattr(cst.CSTVisitor, "on_visit", no_dispatch)
    walked = OwnLeave()
    with walking():
        module.visit(walked)
    assert walked.log == libcst_visitor.log
