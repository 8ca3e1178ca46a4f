"""The ``if __name__ == "__main__":`` guard, recognised in every spelling."""

from __future__ import annotations

from typing import TypeGuard

import libcst as cst
from libcst.helpers import get_full_name_for_node

from . import match as m
from .facts import ModuleFacts, findall
from .names import api_of


def _is_name_dunder(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Name) and node.value == "__name__"


def _string_value(node: cst.BaseExpression) -> str | None:
    if isinstance(node, cst.SimpleString):
        value = node.evaluated_value
        return value if isinstance(value, str) else None
    return None


def _only_main(container: cst.BaseExpression) -> bool:
    """``("__main__",)`` and friends; a container that also holds ``"__mp_main__"``
    (the name a spawned child gives the main module) does not keep children out."""
    if not isinstance(container, (cst.Tuple, cst.List, cst.Set)):
        return False
    values = [_string_value(e.value) for e in container.elements]
    return bool(values) and all(v == "__main__" for v in values)


def is_main_test(test: cst.BaseExpression) -> bool:
    """True for ``__name__ == "__main__"``, ``"__main__" == __name__``,
    ``__name__ in ("__main__",)``, in any quoting or parenthesisation."""
    if not isinstance(test, cst.Comparison) or len(test.comparisons) != 1:
        return False
    target = test.comparisons[0]
    left, right = test.left, target.comparator
    if isinstance(target.operator, cst.Equal):
        return (_is_name_dunder(left) and _string_value(right) == "__main__") or (
            _is_name_dunder(right) and _string_value(left) == "__main__"
        )
    if isinstance(target.operator, cst.In):
        return _is_name_dunder(left) and _only_main(right)
    return False


def is_main_guard(statement: cst.CSTNode | None) -> TypeGuard[cst.If]:
    """A top-level ``if`` whose body runs only in the parent and that has no other branch."""
    return isinstance(statement, cst.If) and statement.orelse is None and is_main_test(statement.test)


def is_script(facts: ModuleFacts) -> bool:
    """Whether the file is evidently run as a program rather than imported: it has a
    ``#!`` line or a main guard already, or it reads its command line (``sys.argv``,
    ``argparse``). Worked out once per module."""
    return facts.memo(is_script, lambda: _is_script(facts))


def _is_script(facts: ModuleFacts) -> bool:
    module = facts.module
    first = module.header[0].comment if module.header else None
    if first is not None and first.value.startswith("#!"):
        return True
    if any(is_main_guard(statement) for statement in module.body):
        return True
    if any(_imports_argparse(statement) for statement in findall(module, m.Import() | m.ImportFrom())):
        return True
    api = api_of(facts)
    for node in facts.index.find(module, (cst.Name, cst.Attribute)) or ():
        spelled = node.value if isinstance(node, cst.Name) else node.attr.value  # type: ignore[attr-defined]
        if spelled == "argv" and "sys.argv" in api.qualified_names(node):
            return True
    return False


def _imports_argparse(statement: cst.CSTNode) -> bool:
    if isinstance(statement, cst.ImportFrom):
        module = statement.module
        return not statement.relative and module is not None and get_full_name_for_node(module) == "argparse"
    assert isinstance(statement, cst.Import)
    return any(get_full_name_for_node(alias.name) == "argparse" for alias in statement.names)
