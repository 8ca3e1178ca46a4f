"""mpfix: find and fix multiprocessing code that breaks under spawn, forkserver or fork.

The public API, loaded on first use so that ``import mpfix`` does not import libcst::

    from . import check_source, fix_source
    findings = check_source(source)
    fixed = fix_source(source)

docs/api.md describes each name.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from .api import check_source, fix_edits
    from .edits import Edit, apply_edits
    from .engine import FixError, Result, SourceError, analyze, fix_source
    from .model import Finding, RuleSpec, Safety
    from .registry import RULES, UnknownRuleError

_HOMES = {  # each name's module in this package
    "check_source": "api",
    "fix_edits": "api",
    "fix_source": "engine",
    "analyze": "engine",
    "Result": "engine",
    "SourceError": "engine",
    "FixError": "engine",
    "Edit": "edits",
    "apply_edits": "edits",
    "Finding": "model",
    "RuleSpec": "model",
    "Safety": "model",
    "RULES": "registry",
    "UnknownRuleError": "registry",
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
    return getattr(importlib.import_module(f".{_HOMES[name]}", __name__), name)


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
