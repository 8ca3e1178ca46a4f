"""The shared module facts answer as libcst's own metadata and matchers would.

Rules read parents, scopes and qualified names through ``mpfix.analysis.facts`` and find nodes
through its index; here every answer is compared with libcst's, over the documentation's
programs and the bundled examples.
"""

from __future__ import annotations

from pathlib import Path

import libcst as cst
import libcst.matchers as lm
import pytest
from libcst.metadata import (
    MetadataWrapper,
    ParentNodeProvider,
    PositionProvider,
    QualifiedNameProvider,
    ScopeProvider,
)
from mpfix.analysis import match as m
from mpfix.analysis.facts import ModuleFacts, analysing, findall
from mpfix.analysis.statements import names_in
from mpfix.rewrite.nodes import swap_nodes

ROOT = Path(__file__).resolve().parent.parent
PROGRAMS = sorted([*(ROOT / "docs" / "snippets").rglob("*.py"), *(ROOT / "examples").rglob("*.py")])
# The rules' matchers, and the same made of libcst's.
MATCHERS = [
    (m.Call(), lm.Call()),
    (m.Name(), lm.Name()),
    (m.Assign() | m.AugAssign() | m.AnnAssign() | m.Del(), lm.Assign() | lm.AugAssign() | lm.AnnAssign() | lm.Del()),
    (m.Call(func=m.Attribute(value=m.Name())), lm.Call(func=lm.Attribute(value=lm.Name()))),
    (m.Global() | m.Nonlocal(), lm.Global() | lm.Nonlocal()),
]


def _walk(node: cst.CSTNode):
    yield node
    for child in node.children:
        yield from _walk(child)


@pytest.fixture(params=PROGRAMS, ids=lambda path: str(path.relative_to(ROOT)))
def module(request: pytest.FixtureRequest) -> cst.Module:
    return cst.parse_module(request.param.read_text(encoding="utf-8"))


def test_the_corpus_is_there() -> None:
    assert len(PROGRAMS) > 50


def test_findall_gives_libcsts_nodes_in_libcsts_order(module: cst.Module) -> None:
    facts = ModuleFacts(module)
    roots = [module, *module.body, *(n for n in _walk(module) if isinstance(n, cst.FunctionDef))]
    with analysing(facts):
        for root in roots:
            for ours, libcsts in MATCHERS:
                assert [id(n) for n in findall(root, ours)] == [id(n) for n in lm.findall(root, libcsts)]


def test_names_in_answers_from_the_index_as_its_visitor_would(module: cst.Module) -> None:
    nodes = list(_walk(module))
    walked = [names_in(node) for node in nodes]  # no module under analysis: the visitor walks
    with analysing(ModuleFacts(module)):
        assert [names_in(node) for node in nodes] == walked
    assert any(walked)


def test_a_tree_outside_the_module_is_walked_as_libcst_would(module: cst.Module) -> None:
    built = cst.parse_module("f(g(x), y)\n")
    with analysing(ModuleFacts(module)):
        assert [id(n) for n in findall(built, m.Call())] == [id(n) for n in lm.findall(built, lm.Call())]


def test_parents_scopes_and_qualified_names_are_libcsts(module: cst.Module) -> None:
    facts = ModuleFacts(module)
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    parents = wrapper.resolve(ParentNodeProvider)
    scopes = wrapper.resolve(ScopeProvider)
    names = wrapper.resolve(QualifiedNameProvider)
    for node in _walk(module):
        assert facts.get_metadata(ParentNodeProvider, node, None) is parents.get(node)
        # Each resolution makes its own scope objects: the same kind of scope, then.
        assert type(facts.get_metadata(ScopeProvider, node, None)) is type(scopes.get(node))
        expected = names[node]
        expected = expected() if callable(expected) else expected
        assert facts.get_metadata(QualifiedNameProvider, node) == expected


def test_names_in_order_are_names_in_source_order(module: cst.Module) -> None:
    facts = ModuleFacts(module)
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    positions = wrapper.resolve(PositionProvider)
    names = [node for node in _walk(module) if isinstance(node, cst.Name)]
    start = {node: (positions[node].start.line, positions[node].start.column) for node in names}
    for first, second in zip(names, names[1:] + names[:1], strict=True):
        assert facts.in_order(first, second) == (start[first] < start[second])
        assert facts.in_order(second, first) == (start[second] < start[first])


# Line endings, a header and a footer of comments, a first line of blanks, decorators,
# a statement on the last line without its newline: what the positions' line count meets.
UNUSUAL = [
    "# header\n\n\nimport os\n\n\n@dec\n# inside\nclass A:\n    def f(self):\n        return (1,\n    2)\n# footer\n",
    "import os\r\nx = 1\r\n\r\nif x:\r\n    y = '''a\r\nb'''\r\n",
    "x = 1\rif x:\r    y = 2\r",
    "\n\n   \nx = [1,\n     2]; y = 3\nz = 4",
    '"""Doc\n\nstring."""\n\\\nx = 1\n',
    # Blocks of their own indentation, a comment that ends a block, one-line bodies.
    "class A:\n  x = 1\n  def f(self):\n        if self:\n         return [1,\n 2]\n        else: return 2\n"
    "  # the end of A\n\nif True: a = 1; b = 2\nelse:\n\tc = 3\n",
    "def f():\r\n    for x in y:\r\n        try:\r\n            pass\r\n        finally:\r\n\r\n"
    "            @dec\r\n            def g(): ...\r\n    # end\r\n",
    "def f(a, b):\n    if a:\n        pass\n    elif b:  # b\n        x = 1\n"
    "    elif a + b: y = 2\n    else:\n        z = 3\n",
]


@pytest.mark.parametrize("text", [*UNUSUAL, *(path.read_text(encoding="utf-8") for path in PROGRAMS)])
def test_positions_are_libcsts_one_statement_at_a_time(text: str) -> None:
    module = cst.parse_module(text)
    expected = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    nodes = list(_walk(module))
    # Backwards, so that a statement's positions are computed before those of the
    # statements around it; then forwards, the other way round.
    for order in (reversed(nodes), nodes):
        facts = ModuleFacts(module)
        for node in order:
            assert facts.positions[node] == expected[node]


def _renamed(module: cst.Module, facts: ModuleFacts) -> cst.Module:
    """``module`` as a fix makes it: a name in every other top-level statement renamed."""
    swaps = {}
    for statement in module.body[::2]:
        name = next((node for node in _walk(statement) if isinstance(node, cst.Name)), None)
        if name is not None:
            swaps[name] = name.with_changes(value=f"{name.value}_renamed")
    return swap_nodes(module, swaps, facts.parents)


@pytest.mark.parametrize("text", [*UNUSUAL, *(path.read_text(encoding="utf-8") for path in PROGRAMS)])
def test_the_code_of_a_fixed_module_is_libcsts(text: str) -> None:
    module = cst.parse_module(text)
    facts = ModuleFacts(module)
    fixed = _renamed(module, facts)
    assert facts.code_of(fixed) == fixed.code
    assert (fixed.code != text) == any(isinstance(node, cst.Name) for node in _walk(module))
    # A statement from within a block brought to the top level, where its indentation goes.
    nested = [node for s in module.body for node in _walk(s) if isinstance(node, cst.BaseStatement) and node is not s]
    if nested:
        hoisted = module.with_changes(body=[*module.body, nested[-1]])
        assert facts.code_of(hoisted) == hoisted.code
    emptied = module.with_changes(body=())
    assert facts.code_of(emptied) == emptied.code
