"""The one walk of a module's ``ast`` that the pre-checks and the project model share finds
what Python's own ``ast.walk`` and ``ast.iter_child_nodes`` find, on every Python mpfix
runs on, with each node filed at the depth in definitions it sits at."""

from __future__ import annotations

import ast
import inspect
import sys
import textwrap
from pathlib import Path

import pytest
from mpfix.analysis.ast_index import TopLevel
from mpfix.analysis.ast_scopes import AstScopes
from mpfix.analysis.ast_walk import (
    CLASS,
    FUNCTION,
    MODULE,
    ModuleIndex,
    _read_shape,
    children,
    index_of,
    parents_of,
    walk,
)
from mpfix.analysis.project.summary import summarize

PROGRAM = '''\
"""A module that uses most of the grammar."""
import multiprocessing as mp
from os import path as p, sep

X: int = 1
D = {**{"a": 1}, "b": [i for i in range(3) if i], "c": {k: v for k, v in []}}
S = {*(), f"{X!r:>{p.sep}}"}


@staticmethod
def top(a, /, b=lambda y: y + 1, *args, c, d=2, **kw) -> None:
    global X
    X += 1
    del kw["x"]
    async def inner():
        async with mp.Lock() as lock, open(p) as f:
            async for item in lock:
                await item
        return [x async for x in f]
    try:
        yield from (n for n in args)
    except ValueError as e:
        raise e from None
    finally:
        pass


class Pool(mp.Pool, metaclass=type):
    size = len(sep)

    def run(self, *, key=None):
        nonlocal_free = (yield)
        match key:
            case {"a": 1, **rest}:
                pass
            case [1, *others] | Pool(size=2, x=[_]) if others:
                pass
            case str() as s:
                assert s, s
            case None:
                pass
        while (n := 1) and not -n < n <= 2 or n is not None:
            break
        else:
            for i, j in []:
                continue
        with mp.Pool() as pool:
            pool.map(print, [x[1:2:3] for x in ()] if 0 else ())


if __name__ == "__main__":
    top(1, c=2)[::-1]
'''
# Syntax of the newer Pythons, each parsed where the running one knows it.
NEWER = {
    (3, 11): "try:\n    pass\nexcept* ValueError as e:\n    raise e from None\n",
    (3, 12): "type Alias[T: int, *Ts, **P] = list[T]\n\ndef generic[T](x: T) -> T:\n    return x\n",
    (3, 14): 'name = "x"\nt"{name!r}"\n',
}


def _trees() -> list[ast.Module]:
    sources = [PROGRAM]
    sources += [source for version, source in NEWER.items() if sys.version_info >= version]
    sources += [Path(inspect.getfile(module)).read_text(encoding="utf-8") for module in (ast, inspect, textwrap)]
    return [ast.parse(source) for source in sources]


TREES = _trees()


OPERATORS = (ast.operator, ast.unaryop, ast.cmpop, ast.boolop)


def _no_markers(nodes: object) -> list[int]:
    return [id(node) for node in nodes if not isinstance(node, ast.expr_context)]  # type: ignore[attr-defined]


@pytest.mark.parametrize("tree", TREES, ids=range(len(TREES)))
def test_the_walks_find_what_pythons_own_walks_find(tree: ast.Module) -> None:
    assert _no_markers(walk(tree)) == _no_markers(ast.walk(tree))
    parents = parents_of(tree)
    for node in walk(tree):
        assert [id(child) for child in children(node)] == _no_markers(ast.iter_child_nodes(node))
        for child in children(node):
            # Python makes one operator node of each kind (``+``, ``not``, ``<``), shared.
            assert parents[id(child)] is node or isinstance(child, OPERATORS)
    assert len(parents) == len(set(_no_markers(ast.walk(tree)))) - 1  # every node but the root


@pytest.mark.parametrize("tree", TREES, ids=range(len(TREES)))
def test_the_parent_worked_out_for_one_statement_is_the_parent_of_the_whole_map(tree: ast.Module) -> None:
    # Asked last node first, so that each statement's parents are worked out on their own,
    # decorators and nodes without a position included.
    every = parents_of(tree)
    scopes = AstScopes(tree)
    for node in reversed(list(walk(tree))):
        if not isinstance(node, OPERATORS):
            assert scopes.parent(node) is every.get(id(node))
    assert "_parents" not in vars(scopes)  # the whole module's map was never needed
    # A decorator asked first: its statement starts at the first decorator, above the `def`.
    for statement in tree.body:
        decorators = getattr(statement, "decorator_list", [])
        if decorators:
            alone = AstScopes(tree)
            assert alone.parent(decorators[0]) is statement
            assert "_parents" not in vars(alone)


CLASSES = '''\
import unittest


@unittest.skipIf(False, "never")
class Outer(unittest.TestCase, metaclass=type, flag=[x for x in range(2)]):
    """A test case."""
    limit = 3; other = [limit]

    @staticmethod
    def first(a, b=lambda: 1):
        return a + b()

    class Inner:
        @property
        def value(self): return [y for y in (1, 2)]

        class Deepest(Outer.Inner if False else object): z = 1

    def last(self, *args, **kwargs):
        with open(__file__) as handle:
            return handle.read()


class Empty: ...
'''


@pytest.mark.parametrize("order", ["forward", "backward", "shuffled"])
def test_the_parents_in_a_class_are_worked_out_one_statement_of_its_body_at_a_time(order: str) -> None:
    tree = ast.parse(CLASSES)
    every = parents_of(tree)
    nodes = [node for node in walk(tree) if not isinstance(node, OPERATORS)]
    if order == "backward":
        nodes.reverse()
    elif order == "shuffled":
        nodes = nodes[1::2] + nodes[::2]
    scopes = AstScopes(tree)
    for node in nodes:
        assert scopes.parent(node) is every.get(id(node))
    if order == "backward":  # a node without a position (``arguments``) asked after its statement
        assert "_parents" not in vars(scopes)
    # Asked of one method, the parents of the class's other methods are not worked out.
    outer = tree.body[1]
    assert isinstance(outer, ast.ClassDef)
    alone = AstScopes(tree)
    assert alone.parent(outer.body[-1].body[0]) is outer.body[-1]  # the `with` of `last`
    asked = alone._local[2]
    first = outer.body[3]
    assert isinstance(first, ast.FunctionDef)
    assert id(first.body[0]) not in asked  # the `return` of `first`
    assert alone.parent(outer.decorator_list[0].func) is outer.decorator_list[0]


@pytest.mark.parametrize("tree", TREES, ids=range(len(TREES)))
def test_the_index_files_every_node_once_and_the_module_index_is_the_same(tree: ast.Module) -> None:
    levels = index_of(tree)
    filed = [id(node) for found in levels for nodes in found.values() for node in nodes]
    assert sorted(filed) == sorted(_no_markers(ast.walk(tree)))
    for found in levels:
        assert all(type(node) is kind for kind, nodes in found.items() for node in nodes)
    merged = ModuleIndex(tree).levels
    assert [{k: sorted(map(id, v)) for k, v in found.items()} for found in merged] == [
        {k: sorted(map(id, v)) for k, v in found.items()} for found in levels
    ]


@pytest.mark.parametrize("tree", TREES, ids=range(len(TREES)))
def test_the_nodes_inside_a_statement_are_those_a_walk_of_it_finds(tree: ast.Module) -> None:
    # From the module's index, and from a walk where there is none: the same nodes, of
    # every type or of the types asked for.
    for top in (TopLevel(tree, ModuleIndex(tree)), TopLevel(tree)):
        for statement in tree.body:
            walked = list(walk(statement))
            assert sorted(map(id, top.inside(statement))) == sorted(map(id, walked))
            for types in ((ast.Name,), (ast.Call, ast.Import, ast.ImportFrom)):
                wanted = [node for node in walked if type(node) in types]
                assert sorted(map(id, top.inside(statement, *types))) == sorted(map(id, wanted))


def test_each_node_is_filed_at_its_depth_in_definitions() -> None:
    tree = ast.parse(PROGRAM)
    levels = index_of(tree)

    def level_of(node: ast.AST) -> int:
        return next(level for level, found in enumerate(levels) if node in found.get(type(node), ()))

    top = next(s for s in tree.body if isinstance(s, ast.FunctionDef))
    pool = next(s for s in tree.body if isinstance(s, ast.ClassDef))
    run = pool.body[1]
    assert level_of(top) == MODULE
    assert level_of(top.decorator_list[0]) == FUNCTION  # a def's decorators and defaults count as its inside
    assert level_of(top.args.defaults[0]) == FUNCTION
    assert level_of(pool.bases[0]) == CLASS
    assert level_of(pool.body[0]) == CLASS  # size = len(sep)
    assert level_of(run) == CLASS
    assert level_of(run.body[0]) == FUNCTION
    guard = tree.body[-1]
    assert level_of(guard) == MODULE and level_of(guard.body[0]) == MODULE


def test_every_node_type_has_its_fields_read_from_the_grammar() -> None:
    kinds = [kind for kind in vars(ast).values() if isinstance(kind, type) and issubclass(kind, ast.AST)]
    # But for the aliases of Constant that Python 3.8 deprecated (and 3.12 removed): the
    # parser makes none.
    kinds = [kind for kind in kinds if not (issubclass(kind, ast.Constant) and kind is not ast.Constant)]
    for kind in kinds:
        shape = _read_shape(kind)
        assert all(many is not None for _, many in shape), kind  # none left to be looked at node by node
        assert {name for name, _ in shape} <= set(kind._fields), kind
    assert _read_shape(ast.Name) == ()  # an identifier and the Load/Store/Del marker
    assert _read_shape(ast.Dict) == (("keys", True), ("values", True))
    assert _read_shape(ast.Return) == (("value", False),)


def test_a_node_type_without_a_grammar_has_each_field_looked_at() -> None:
    class Odd(ast.AST):
        _fields = ("items", "one", "text")

    odd = Odd()
    odd.items = [ast.Name("a", ast.Load()), None, "not a node"]  # type: ignore[attr-defined]
    odd.one = ast.Constant(1)  # type: ignore[attr-defined]
    odd.text = "b"  # type: ignore[attr-defined]
    assert [type(child) for child in children(odd)] == [ast.Name, ast.Constant]
    assert sorted(kind.__name__ for found in index_of(odd) for kind in found) == ["Constant", "Name", "Odd"]


def test_a_summary_lists_a_functions_changes_in_the_order_of_the_source() -> None:
    source = textwrap.dedent(
        """\
        RESULTS = []
        SEEN = {}


        def work(n):
            global TOTAL
            RESULTS.append(n)
            SEEN[n] = True
            TOTAL = n
        """
    )
    summary = summarize(source.encode())
    assert summary is not None
    assert summary.changes["work"] == [
        ["RESULTS", 7, "changes"],
        ["SEEN", 8, "stores into"],
        ["TOTAL", 9, "assigns the global"],
    ]
