"""mpfix: find and fix multiprocessing code that breaks under spawn, forkserver or fork.

The public API, loaded on first use so that ``import codemods`` does not import libcst::

    from codemods import fix_source
    fixed = fix_source(source)
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from codemods.engine import analyze, fix_source
    from codemods.rule import Finding, Safety
    from codemods.rules import RULES

_HOMES = {
    "analyze": "codemods.engine",
    "fix_source": "codemods.engine",
    "Finding": "codemods.rule",
    "Safety": "codemods.rule",
    "RULES": "codemods.rules",
}
__all__ = ["RULES", "Finding", "Safety", "analyze", "fix_source"]


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_HOMES[name]), name)


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
