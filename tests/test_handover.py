"""The edits that fixes are made of: applied to the module under analysis, only the nodes
that hold an edited one are visited, and the code is the same as a visit of every node gives."""

from __future__ import annotations

from pathlib import Path

import libcst as cst
import pytest
from mpfix.analysis.facts import ModuleFacts, analysing
from mpfix.rewrite.handover import Edits

ROOT = Path(__file__).resolve().parent.parent
PROGRAMS = sorted([*(ROOT / "docs" / "snippets").rglob("*.py"), *(ROOT / "examples").rglob("*.py")])


def _walk(node: cst.CSTNode):
    yield node
    for child in node.children:
        yield from _walk(child)


def _edits(module: cst.Module) -> Edits:
    """Edits of every kind, at every depth: every third statement of a block removed, a
    statement inserted before every fifth, every name ``x`` (or the first name) renamed."""
    edits = Edits()
    blocks = [node for node in _walk(module) if isinstance(node, (cst.Module, cst.IndentedBlock))]
    for block in blocks:
        for number, statement in enumerate(block.body):
            if number % 3 == 2:
                edits.remove(statement)
            elif number % 5 == 4:
                edits.insert_before(statement, [cst.parse_statement("inserted = 1\n")])
    names = [node for node in _walk(module) if isinstance(node, cst.Name)]
    for name in [n for n in names if n.value == "x"] or names[:1]:
        edits.change(name, lambda node: node.with_changes(value=node.value + "_renamed"))
    return edits


@pytest.mark.parametrize("path", PROGRAMS, ids=lambda path: str(path.relative_to(ROOT)))
def test_edits_in_the_module_under_analysis_give_what_a_full_visit_gives(path: Path) -> None:
    module = cst.parse_module(path.read_text(encoding="utf-8"))
    everywhere = _edits(module).apply(module).code  # no module under analysis: every node is visited
    with analysing(ModuleFacts(module)):
        targeted = _edits(module).apply(module).code
    assert targeted == everywhere
    assert targeted != module.code


def test_a_definition_without_an_edit_is_kept_as_it_is() -> None:
    module = cst.parse_module("def untouched(a):\n    return a\n\n\ndef edited():\n    x = 1\n    return x\n")
    edited = module.body[1]
    assert isinstance(edited, cst.FunctionDef) and isinstance(edited.body, cst.IndentedBlock)
    edits = Edits()
    edits.remove(edited.body.body[0])
    with analysing(ModuleFacts(module)):
        fixed = edits.apply(module)
    assert fixed.code == "def untouched(a):\n    return a\n\n\ndef edited():\n    return x\n"
    kept, untouched = fixed.body[0], module.body[0]
    assert isinstance(kept, cst.FunctionDef) and isinstance(untouched, cst.FunctionDef)
    assert kept.body is untouched.body  # its block was not visited, so not rebuilt


def test_edits_of_another_module_visit_it_whole() -> None:
    analysed = cst.parse_module("y = 2\n")
    other = cst.parse_module("def f():\n    x = 1\n    return x\n")
    function = other.body[0]
    assert isinstance(function, cst.FunctionDef) and isinstance(function.body, cst.IndentedBlock)
    edits = Edits()
    edits.insert_before(function.body.body[1], [cst.parse_statement("x += 1\n")])
    with analysing(ModuleFacts(analysed)):
        fixed = edits.apply(other)
    assert fixed.code == "def f():\n    x = 1\n    x += 1\n    return x\n"
