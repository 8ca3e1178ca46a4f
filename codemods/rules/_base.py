"""The rule kit: the libcst side of a rule, a batchable visitor that reports findings with
fixes, and the one way a rule says that it leaves a finding unfixed, and why.

The visitor also hands a rule what every rule reads: the module, its shared resolver,
bindings and reachability (each built when first read, once for all rules), its scopes
and parents, a node's parent and line."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import ClassVar

import libcst as cst
from libcst.metadata import (
    CodeRange,
    ParentNodeProvider,
    PositionProvider,
    QualifiedNameProvider,
    Scope,
    ScopeProvider,
)

from ..analysis.bindings import Bindings, bindings_of
from ..analysis.facts import ModuleFacts
from ..analysis.names import ApiResolver, api_of
from ..analysis.reachability import ModuleReach, reach_of
from ..model import Finding, RuleSpec, Safety, TargetVersion, not_fixed_note, unsafe_note

# A test case's methods whose ``with`` block is expected to raise.
EXPECTING_RAISE = frozenset({"assertRaises", "assertRaisesRegex"})


class Unfixable(Exception):
    """Why a finding's fix is out of reach; the user reads it after "not fixed: "."""


def note_of(*, not_fixed: object = None, unsafe: object = None) -> str | None:
    """A finding's note: why it is not fixed, or why its fix is unsafe."""
    if not_fixed is not None:
        return not_fixed_note(not_fixed)
    if unsafe is not None:
        return unsafe_note(unsafe)
    return None


@dataclass(frozen=True)
class Candidate:
    """A finding, plus what the engine needs to apply its fix."""

    finding: Finding
    node: cst.CSTNode | None = None
    replacement: cst.CSTNode | None = None


class RuleVisitor(cst.BatchableCSTVisitor):
    """Base class of every rule; the engine runs all rules in one batched pass."""

    SPEC: ClassVar[RuleSpec]
    METADATA_DEPENDENCIES = (PositionProvider, QualifiedNameProvider, ScopeProvider, ParentNodeProvider)

    def __init_subclass__(cls, **kwargs: object) -> None:
        """A rule's spec is the registry entry named after its module, by convention."""
        super().__init_subclass__(**kwargs)
        from ..registry import BY_NAME

        cls.SPEC = BY_NAME[cls.__module__.rsplit(".", 1)[-1].replace("_", "-")]

    def __init__(self, facts: ModuleFacts, target_version: TargetVersion = TargetVersion.PY310) -> None:
        super().__init__()
        self.facts = facts
        # The oldest Python the code runs on: a fix uses only what it has.
        self.target_version = target_version
        self.candidates: list[Candidate] = []

    @property
    def module(self) -> cst.Module:
        """The module this pass visits."""
        return self.facts.module

    @property
    def api(self) -> ApiResolver:
        """The module's resolver, deaf to the libraries that make this rule moot."""
        return api_of(self.facts, self.SPEC.code)

    @property
    def bindings(self) -> Bindings:
        return bindings_of(self.facts, self.SPEC.code)

    @property
    def reach(self) -> ModuleReach:
        return reach_of(self.facts)

    @property
    def scopes(self) -> Mapping[cst.CSTNode, Scope | None]:
        return self.facts.scopes

    @property
    def parents(self) -> Mapping[cst.CSTNode, cst.CSTNode]:
        return self.facts.parents

    def scope(self, node: cst.CSTNode) -> Scope:
        """The scope that ``node`` is in; libcst's scope analysis gives every node one."""
        scope = self.scopes[node]
        assert scope is not None
        return scope

    def parent(self, node: cst.CSTNode | None) -> cst.CSTNode | None:
        """The node that holds ``node``; None for the module (or for None)."""
        return self.get_metadata(ParentNodeProvider, node, None) if node is not None else None

    def expected_to_raise(self, call: cst.Call) -> bool:
        """``call`` is in the block of ``with pytest.raises(...)`` or of a test case's
        ``assertRaises()``, in the same function: the test wants it to raise, and when
        it raises (on reading the input, or a task's error) is what it tests."""
        node: cst.CSTNode | None = call
        while node is not None and not isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            parent = self.parent(node)
            if isinstance(parent, cst.With) and node is parent.body and any(
                isinstance(item.item, cst.Call) and self._raises(item.item.func) for item in parent.items
            ):
                return True
            node = parent
        return False

    def _raises(self, func: cst.BaseExpression) -> bool:
        if isinstance(func, cst.Attribute) and func.attr.value in EXPECTING_RAISE:
            return True
        return "pytest.raises" in self.api.qualified_names(func)

    def line(self, node: cst.CSTNode) -> int:
        """The line ``node`` starts on."""
        return self.get_metadata(PositionProvider, node).start.line

    @contextmanager
    def resolve(self, wrapper: object) -> Iterator[None]:
        """Metadata comes from the module's shared facts, each table built when first
        read, instead of every declared provider being computed before the pass."""
        self.metadata = self.facts.tables
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
        note = note_of(not_fixed=not_fixed, unsafe=unsafe)
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
        if note is not None:
            finding = finding.noted(note)
        target, replacement = fix if fix is not None else (None, None)
        self.candidates.append(Candidate(finding, target, replacement))
