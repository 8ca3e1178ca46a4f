"""What every rule shares: fix safety, the finding a user sees, and the rule spec.

This module is imported by the CLI, so it must not import libcst.
"""

from __future__ import annotations

import dataclasses
import enum
import importlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from codemods.visitor import RuleVisitor


class Safety(str, enum.Enum):
    """How far a fix may be trusted, as in ruff."""

    SAFE = "safe"  # applied by `mpfix fix`
    UNSAFE = "unsafe"  # applied only with --unsafe-fixes; the rule's page says what may change
    NONE = "none"  # reported only

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class Finding:
    """One problem in one source text; positions are 1-based lines and columns."""

    code: str
    name: str
    message: str
    line: int
    column: int
    end_line: int
    end_column: int
    fix: Safety = Safety.NONE
    fix_title: str | None = None

    def sort_key(self) -> tuple[int, int, str]:
        return (self.line, self.column, self.code)

    def to_dict(self) -> dict[str, object]:
        return {**dataclasses.asdict(self), "fix": self.fix.value}

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Finding:
        return cls(**{**data, "fix": Safety(data["fix"])})  # type: ignore[arg-type]

    def fixable(self, unsafe_fixes: bool = False) -> bool:
        """Whether `mpfix fix` (with or without --unsafe-fixes) applies this finding's fix."""
        return self.fix is Safety.SAFE or (unsafe_fixes and self.fix is Safety.UNSAFE)


@dataclass(frozen=True)
class RuleSpec:
    """A rule's identity, cheap to import: the CLI lists and selects rules from these."""

    code: str
    name: str
    summary: str
    safety: Safety
    # The prefilter: a file can produce a finding only if its bytes hold every byte string
    # of at least one of these groups.
    needles: tuple[tuple[bytes, ...], ...] = field(default=())

    @property
    def module_name(self) -> str:
        return "codemods.rules." + self.name.replace("-", "_")

    def load(self) -> type[RuleVisitor]:
        """The rule's visitor class: the one class its module defines with this code."""
        module = importlib.import_module(self.module_name)
        return module.RULE
