"""The library API beside ``engine.fix_source``: checking a source text, and fixes as edits.

For editors and tools that hold a file's text in memory. Suppression comments are
honoured as on the command line; configuration files are not read (pass ``select`` and
``ignore``, or use the settings of ``mpfix.cli.config`` yourself).
"""

from __future__ import annotations

from collections.abc import Iterable

from . import engine, registry
from .edits import Edit, text_edits
from .model import Finding


def check_source(
    source: str,
    *,
    select: Iterable[str] | None = None,
    ignore: Iterable[str] | None = None,
    report_unused_suppressions: bool = False,
) -> list[Finding]:
    """The findings in ``source``, in order, as `mpfix check` reports them.

    Raises ``SourceError`` when ``source`` does not parse and ``UnknownRuleError`` for a
    selector that names no rule.
    """
    specs = registry.select(select, ignore)
    result = engine.analyze(source, rules=specs, fix=False, report_unused_suppressions=report_unused_suppressions)
    return result.findings


def fix_edits(
    source: str,
    *,
    select: Iterable[str] | None = None,
    ignore: Iterable[str] | None = None,
    unsafe_fixes: bool = False,
) -> list[Edit]:
    """What `mpfix fix` would change in ``source``, as minimal edits (none when nothing):
    apply them all, in order, to get ``fix_source(source, ...)``."""
    return text_edits(source, engine.fix_source(source, select=select, ignore=ignore, unsafe_fixes=unsafe_fixes))
