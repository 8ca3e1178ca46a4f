"""Import statements, Python 3.15's ``lazy import`` (PEP 810) among them.

libcst 1.9 parses ``lazy import x`` and ``lazy from x import y`` into node types of their
own, which are no ``cst.Import``/``cst.ImportFrom``; its scope analysis does not bind
their names yet, so rules that must know them look at the statements themselves. Older
libcst has no such nodes and does not parse the syntax at all.
"""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

LAZY_IMPORTS: tuple[type[cst.BaseSmallStatement], ...] = tuple(
    getattr(cst, name) for name in ("LazyImport", "LazyImportFrom") if hasattr(cst, name)
)
FROM_IMPORTS: tuple[type[cst.BaseSmallStatement], ...] = (
    cst.ImportFrom, *(kind for kind in LAZY_IMPORTS if kind.__name__ == "LazyImportFrom")
)  # fmt: skip
IMPORTS: tuple[type[cst.BaseSmallStatement], ...] = (cst.Import, cst.ImportFrom, *LAZY_IMPORTS)


def is_import_line(statement: cst.CSTNode) -> bool:
    """A line of imports only, lazy or not."""
    return isinstance(statement, cst.SimpleStatementLine) and all(isinstance(s, IMPORTS) for s in statement.body)


def lazy_imports(module: cst.Module) -> Iterator[cst.BaseSmallStatement]:
    """The module's top-level ``lazy import`` statements (lazy imports are top-level only)."""
    for statement in module.body:
        if isinstance(statement, cst.SimpleStatementLine):
            yield from (small for small in statement.body if isinstance(small, LAZY_IMPORTS))
