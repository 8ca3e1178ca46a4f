"""Which rules a source text needs the full analysis of: its bytes hold the rules'
needles and their ``ast`` pre-checks pass (mpfix.prechecks). Standard library only, so a
file that no rule needs is settled without importing libcst.
"""

from __future__ import annotations

import ast
import warnings
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from . import registry
from .analysis.prechecks import AstFacts
from .analysis.project.model import ProjectView
from .model import RuleSpec


@dataclass(frozen=True)
class Screen:
    """A source text's ``ast`` (None when the running interpreter cannot parse it) and the
    rules that may find something in it."""

    tree: ast.Module | None
    passed: frozenset[RuleSpec]


def python_ast(source: str) -> ast.Module | None:
    """The module as the running interpreter parses it; None when it cannot."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return ast.parse(source, "<mpfix>")
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return None


def prefiltered(
    source: str,
    tree: ast.Module,
    specs: Sequence[RuleSpec],
    needled: Collection[RuleSpec] | None = None,
    project: ProjectView | None = None,
) -> list[RuleSpec]:
    """The rules of ``specs`` that may find something in ``source`` (whose ``ast`` is
    ``tree``): its bytes hold the rule's needles, and the rule's ``ast`` pre-check passes,
    or what other modules tell (``project``) may give the rule a finding here.
    ``needled``: the rules whose needles the caller already found in the bytes."""
    across = {spec for spec in specs if project is not None and spec.code in project.rules}
    if needled is None:
        needled = registry.matching(source.encode("utf-8", "surrogatepass"), specs)
    if not needled and not across:
        return []
    facts = AstFacts(tree)
    return [spec for spec in specs if spec in across or (spec in needled and spec.may_find(facts))]


def screen(
    source: str,
    specs: Sequence[RuleSpec],
    needled: Collection[RuleSpec] | None = None,
    project: ProjectView | None = None,
) -> Screen:
    """The ``ast`` of ``source`` and the rules of ``specs`` it passes (see ``prefiltered``);
    every rule when Python cannot parse it (libcst may, and reports why not)."""
    tree = python_ast(source)
    if tree is None:
        return Screen(None, frozenset(specs))
    return Screen(tree, frozenset(prefiltered(source, tree, specs, needled, project)))
