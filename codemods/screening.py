"""Which rules a source text needs the full analysis of: its bytes hold the rules'
needles and their ``ast`` pre-checks pass (mpfix.prechecks). Standard library only, so a
file that no rule needs is settled without importing libcst.
"""

from __future__ import annotations

import ast
import warnings
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field

from . import registry, suppressions
from .analysis.ast_walk import ModuleIndex
from .analysis.prechecks import AstFacts
from .analysis.project.model import ProjectView
from .model import Finding, RuleSpec


@dataclass(frozen=True)
class Screen:
    """A source text's ``ast`` (None when the running interpreter cannot parse it), the
    rules that may find something in it, and what those that decide on ``ast`` found."""

    tree: ast.Module | None
    passed: frozenset[RuleSpec]
    # The findings of the passed rules that decided on ``ast`` (RuleSpec.decide): these
    # need no libcst.
    decided: Mapping[RuleSpec, tuple[Finding, ...]] = field(default_factory=dict)
    # Whether the running interpreter parses the source: ``tree is not None``, but for a
    # screening made in another process (see ``Told``), which leaves its tree there.
    parses: bool | None = None

    def __post_init__(self) -> None:
        if self.parses is None:
            object.__setattr__(self, "parses", self.tree is not None)


@dataclass(frozen=True)
class Told:
    """A screening with nothing that other modules tell, as a summary worker tells it to
    the process that hands the file to its job: the codes of the rules the file passes,
    the findings of those that decided on ``ast``, and, when no rule needs libcst, the
    file's findings (``settled_on_ast``). The job's screening follows from it (see
    ``resume``), so the job need not parse and screen the file again."""

    passed: frozenset[str]
    decided: Mapping[str, tuple[Finding, ...]]
    settled: list[Finding] | None

    @classmethod
    def of(cls, source: str, screened: Screen) -> Told | None:
        """What to tell of ``screened``; None when Python cannot parse ``source``."""
        if screened.tree is None:
            return None
        decided = {spec.code: found for spec, found in screened.decided.items()}
        passed = frozenset(spec.code for spec in screened.passed)
        return cls(passed, decided, settled_on_ast(source, screened))

    def resume(self, specs: Sequence[RuleSpec], project: ProjectView | None) -> Screen | None:
        """The screening of the file with the rules ``specs`` and what other modules tell
        (``project``), as ``screen`` makes it for rules whose needles are those screened
        for and those that ``project`` adds: the rules it adds pass, and do not decide on
        ``ast``; the others are as told. None when a rule is no rule of the registry
        (the rules told of are the registry's)."""
        if any(registry.BY_CODE.get(spec.code) is not spec for spec in specs):
            return None
        across = {spec for spec in specs if project is not None and spec.code in project.rules}
        passed = frozenset(spec for spec in specs if spec in across or spec.code in self.passed)
        decided = {spec: self.decided[spec.code] for spec in passed - across if spec.code in self.decided}
        return Screen(None, passed, decided, parses=True)


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
    facts: AstFacts | None = None,
) -> list[RuleSpec]:
    """The rules of ``specs`` that may find something in ``source`` (whose ``ast`` is
    ``tree``): its bytes hold the rule's needles, and the rule's ``ast`` pre-check passes,
    or what other modules tell (``project``) may give the rule a finding here.
    ``needled``: the rules whose needles the caller already found in the bytes; ``facts``:
    the facts of ``tree``, when the caller has them."""
    across = {spec for spec in specs if project is not None and spec.code in project.rules}
    if needled is None:
        needled = registry.matching(source.encode("utf-8", "surrogatepass"), specs)
    if not needled and not across:
        return []
    facts = facts or AstFacts(tree, source)
    return [spec for spec in specs if spec in across or (spec in needled and spec.may_find(facts))]


def screen(
    source: str,
    specs: Sequence[RuleSpec],
    needled: Collection[RuleSpec] | None = None,
    project: ProjectView | None = None,
    tree: ast.Module | None = None,
    index: ModuleIndex | None = None,
) -> Screen:
    """The ``ast`` of ``source`` (``tree``, when the caller has parsed it), the rules of
    ``specs`` it passes (see ``prefiltered``) and the findings of those that decide on
    ``ast``; every rule, none decided, when Python cannot parse it (libcst may, and
    reports why not). ``index``: the index of ``tree``, when the caller has made it."""
    tree = tree or python_ast(source)
    if tree is None:
        return Screen(None, frozenset(specs))
    facts = AstFacts(tree, source, index)
    try:
        passed = prefiltered(source, tree, specs, needled, project, facts)
        decided = {}
        for spec in passed:
            if project is None or spec.code not in project.rules:  # what other modules tell is libcst's to read
                found = spec.decide(facts)
                if found is not None:
                    decided[spec] = tuple(found)
    finally:
        facts.forget()
    return Screen(tree, frozenset(passed), decided)


def settled_on_ast(source: str, screened: Screen) -> list[Finding] | None:
    """The findings of ``source`` when no rule needs libcst for them: every rule it
    passes decided on ``ast`` (or none passed), less those a suppression comment covers,
    in order; None when some rule must run in full. Unused suppressions are not judged."""
    if not screened.parses or screened.passed - screened.decided.keys():
        return None
    found = sorted((finding for findings in screened.decided.values() for finding in findings), key=Finding.sort_key)
    directives = suppressions.scan(source) if suppressions.may_cover(source, found) else []
    return [finding for finding in found if not any(directive.covers(finding) for directive in directives)]
