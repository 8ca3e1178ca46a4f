"""The rule kit: the libcst side of a rule, a batchable visitor that reports findings with
fixes, and the one way a rule says that it leaves a finding unfixed, and why."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import ClassVar

import libcst as cst
from libcst.metadata import CodeRange, PositionProvider

from codemods.analysis.facts import ModuleFacts
from codemods.analysis.prechecks import AstFacts
from codemods.model import Finding, RuleSpec, Safety


class Unfixable(Exception):
    """Why a finding's fix is out of reach; the user reads it after "not fixed: "."""


def worded(message: str, *, not_fixed: object = None, unsafe: object = None) -> str:
    """A finding's message, with why it is not fixed or why its fix is unsafe."""
    if not_fixed is not None:
        return f"{message}; not fixed: {not_fixed}"
    if unsafe is not None:
        return f"{message}; the fix is unsafe: {unsafe}"
    return message


@dataclass(frozen=True)
class Candidate:
    """A finding, plus what the engine needs to apply its fix."""

    finding: Finding
    node: cst.CSTNode | None = None
    replacement: cst.CSTNode | None = None


class RuleVisitor(cst.BatchableCSTVisitor):
    """Base class of every rule; the engine runs all rules in one batched pass."""

    SPEC: ClassVar[RuleSpec]
    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init_subclass__(cls, **kwargs: object) -> None:
        """A rule's spec is the registry entry named after its module, by convention."""
        super().__init_subclass__(**kwargs)
        from codemods.registry import BY_NAME

        cls.SPEC = BY_NAME[cls.__module__.rsplit(".", 1)[-1].replace("_", "-")]

    @classmethod
    def precheck(cls, facts: AstFacts) -> bool:
        """False only when this rule can find nothing in a module with these ``ast``
        facts (see codemods.analysis.prechecks); the default lets every module through."""
        return True

    def __init__(self, facts: ModuleFacts) -> None:
        super().__init__()
        self.facts = facts
        self.candidates: list[Candidate] = []

    @contextmanager
    def resolve(self, wrapper: object) -> Iterator[None]:
        """Metadata comes from the module's shared facts, each table built when first
        read, instead of every declared provider being computed before the pass."""
        self.metadata = self.facts.tables  # type: ignore[assignment]
        yield
        self.metadata = {}

    def report(
        self,
        node: cst.CSTNode,
        message: str,
        *,
        fix: tuple[cst.CSTNode, cst.CSTNode] | None = None,
        safety: Safety | None = None,
        fix_title: str | None = None,
        not_fixed: object = None,
        unsafe: object = None,
    ) -> None:
        """Report ``message`` at ``node``; ``fix`` is (node to replace, replacement).

        ``safety`` lowers the rule's declared safety for this one finding; without a fix
        the finding is reported only. ``not_fixed`` says why there is no fix (an
        :class:`Unfixable`); ``unsafe`` why the fix is unsafe, which makes it so.
        """
        where: CodeRange = self.get_metadata(PositionProvider, node)
        message = worded(message, not_fixed=not_fixed, unsafe=unsafe)
        if unsafe is not None and safety is None:
            safety = Safety.UNSAFE
        if fix is None:
            safety = Safety.NONE
        elif safety is None:
            safety = self.SPEC.safety
        finding = Finding(
            code=self.SPEC.code,
            name=self.SPEC.name,
            message=message,
            line=where.start.line,
            column=where.start.column + 1,
            end_line=where.end.line,
            end_column=where.end.column + 1,
            fix=safety,
            fix_title=fix_title if fix is not None else None,
        )
        target, replacement = fix if fix is not None else (None, None)
        self.candidates.append(Candidate(finding, target, replacement))
