"""The rules' matchers match what libcst's matchers match: every matcher that the rules
make while they analyse and fix the documentation's programs, on every node of those
programs and of two standard-library modules, and ``findall`` in the same order."""

from __future__ import annotations

import dataclasses
import inspect
import multiprocessing.pool
import multiprocessing.queues
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import libcst as cst
import libcst.matchers as lm
import pytest
from mpfix import engine
from mpfix.analysis import match as m

SNIPPETS = sorted((Path(__file__).resolve().parent.parent / "docs" / "snippets").rglob("*.py"))
SOURCES = [path.read_text(encoding="utf-8") for path in SNIPPETS]
LIBRARY = (multiprocessing.pool, multiprocessing.queues)
SOURCES += [Path(inspect.getfile(module)).read_text(encoding="utf-8") for module in LIBRARY]


def _nodes(tree: cst.CSTNode) -> Iterator[cst.CSTNode]:
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(node.children)


def _libcsts(matcher: Any) -> Any:
    """The same matcher made of libcst's."""
    if isinstance(matcher, m.Matcher):
        return getattr(lm, matcher.kind)(**{name: _libcsts(value) for name, value in matcher.fields})
    if isinstance(matcher, m.OneOf):
        return lm.OneOf(*map(_libcsts, matcher.options))
    if isinstance(matcher, m.ZeroOrMore):
        return lm.ZeroOrMore() if matcher.matcher is None else lm.ZeroOrMore(_libcsts(matcher.matcher))
    if isinstance(matcher, tuple):
        return [_libcsts(item) for item in matcher]
    return matcher


@pytest.fixture(scope="module")
def made() -> list[m.Matcher | m.OneOf]:
    """Every matcher the rules make while they check and fix the programs."""
    found: dict[str, m.Matcher | m.OneOf] = {}
    inits = {kind: kind.__init__ for kind in (m.Matcher, m.OneOf)}

    def recording(kind: type) -> Any:
        def init(self: Any, *args: Any) -> None:
            inits[kind](self, *args)
            found.setdefault(repr(self), self)

        return init

    with pytest.MonkeyPatch.context() as patch:
        for kind in inits:
            patch.setattr(kind, "__init__", recording(kind))
        for source in SOURCES[: len(SNIPPETS)]:
            engine.analyze(source, unsafe_fixes=True, precheck=False)  # every rule, in full
    for name, module in sorted(sys.modules.items()):  # and those made at import
        if name.startswith("mpfix."):
            for value in vars(module).values():
                if isinstance(value, (m.Matcher, m.OneOf)):
                    found.setdefault(repr(value), value)
    assert len(found) > 100  # fewer when earlier tests made (and cached) some
    return list(found.values())


@pytest.fixture(scope="module")
def nodes() -> dict[str, list[cst.CSTNode]]:
    """The programs' nodes by their type's name."""
    by_kind: dict[str, list[cst.CSTNode]] = {}
    for source in SOURCES:
        for node in _nodes(cst.parse_module(source)):
            by_kind.setdefault(type(node).__name__, []).append(node)
    return by_kind


def test_every_matcher_the_rules_make_matches_what_libcsts_matches(
    made: list[m.Matcher | m.OneOf], nodes: dict[str, list[cst.CSTNode]]
) -> None:
    compared = matched = 0
    others = [kinds[0] for kinds in nodes.values()]  # one node of every other type
    for matcher in made:
        theirs = _libcsts(matcher)
        kinds = {option.kind for option in (matcher.options if isinstance(matcher, m.OneOf) else (matcher,))}
        for node in [node for kind in sorted(kinds) for node in nodes.get(kind, [])] + others:
            ours = m.matches(node, matcher)
            assert ours == lm.matches(node, theirs), (matcher, cst.Module([]).code_for_node(node))
            compared, matched = compared + 1, matched + ours
    assert compared > 100_000 and matched > 1_000


def test_findall_finds_what_libcst_finds_in_its_order(made: list[m.Matcher | m.OneOf]) -> None:
    tree = cst.parse_module(SOURCES[-2])
    for matcher in [*made[:200], m.Name() | m.Attribute(), m.Call(args=[m.ZeroOrMore(), m.Arg(keyword=m.Name())])]:
        assert m.findall(tree, matcher) == lm.findall(tree, _libcsts(matcher)), matcher


def test_a_matcher_takes_the_fields_of_its_node_in_libcsts_order() -> None:
    kinds = [kind for kind in vars(cst).values() if isinstance(kind, type) and dataclasses.is_dataclass(kind)]
    kinds = [kind for kind in kinds if issubclass(kind, cst.CSTNode)]
    kinds = [kind for kind in kinds if dataclasses.is_dataclass(getattr(lm, kind.__name__, None))]
    assert len(kinds) > 150
    for kind in kinds:
        theirs = [field.name for field in dataclasses.fields(getattr(lm, kind.__name__)) if field.name != "metadata"]
        assert [name for name, _ in getattr(m, kind.__name__)(*[None] * len(theirs)).fields] == theirs


def test_a_shape_libcst_would_match_otherwise_is_refused_when_made() -> None:
    for make in (
        lambda: m.Name() | None,  # libcst fails on a bare `return` with this
        lambda: m.Name(value=3),
        lambda: m.Param(star=True),  # bools are not matched here
        lambda: m.Call(args=[m.Arg(), "x"]),
        lambda: m.Call(metadata=1),
        lambda: m.ZeroOrMore("x"),
        lambda: m.Name("a", value="b"),
    ):
        with pytest.raises(TypeError):
            make()
    with pytest.raises(AttributeError):
        m.NotANode()  # type: ignore[attr-defined]
