"""mpfix: find and fix multiprocessing code that breaks under spawn, forkserver or fork.

The public API, loaded on first use so that ``import codemods`` does not import libcst::

    from codemods import check_source, fix_source
    findings = check_source(source)
    fixed = fix_source(source)

docs/api.md describes each name.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from codemods.api import check_source, fix_edits
    from codemods.edits import Edit, apply_edits
    from codemods.engine import FixError, Result, SourceError, analyze, fix_source
    from codemods.model import Finding, RuleSpec, Safety
    from codemods.registry import RULES, UnknownRuleError

_HOMES = {
    "check_source": "codemods.api",
    "fix_edits": "codemods.api",
    "fix_source": "codemods.engine",
    "analyze": "codemods.engine",
    "Result": "codemods.engine",
    "SourceError": "codemods.engine",
    "FixError": "codemods.engine",
    "Edit": "codemods.edits",
    "apply_edits": "codemods.edits",
    "Finding": "codemods.model",
    "RuleSpec": "codemods.model",
    "Safety": "codemods.model",
    "RULES": "codemods.registry",
    "UnknownRuleError": "codemods.registry",
}
__all__ = [
    "RULES",
    "Edit",
    "Finding",
    "FixError",
    "Result",
    "RuleSpec",
    "Safety",
    "SourceError",
    "UnknownRuleError",
    "analyze",
    "apply_edits",
    "check_source",
    "fix_edits",
    "fix_source",
]


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_HOMES[name]), name)


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
