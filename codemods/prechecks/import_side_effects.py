"""The `ast` pre-check of import-side-effects: False only when the rule can find nothing."""

from __future__ import annotations

import ast

from ..analysis.prechecks import AstFacts, callee_name
from ..analysis.project.apis import SIDE_EFFECTS, TRIGGERS
from ..libraries import spellings
from .missing_main_guard import may_start_workers

# Methods that parse the command line, whatever the parser's name.
_ARGV_METHODS = frozenset({"parse_args", "parse_known_args"})
_SIDE_EFFECT_SPELLINGS = frozenset({name.rsplit(".", 1)[-1] for name in SIDE_EFFECTS} | _ARGV_METHODS)
# What mpfix.analysis.statements.is_definition skips.
_AST_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom)

APIS = None  # as missing-main-guard: a `datasets` import can start a pool


def precheck(facts: AstFacts) -> bool:
    """One ``__main__`` guard, some call spelled like a process start (or like a
    ``DataLoader``, or given ``num_proc``), and a call
    spelled like a side effect that runs at import: in a top-level statement that is no
    definition, import or guard."""
    surely, maybe = facts.guards
    if surely > 1 or maybe < 1:
        return False
    if not (facts.calls_to(facts.aliases(spellings(TRIGGERS))) or any(map(may_start_workers, facts.nodes(ast.Call)))):
        return False
    effects = facts.aliases(_SIDE_EFFECT_SPELLINGS)
    return any(
        (isinstance(call.func, ast.Attribute) and call.func.attr in _ARGV_METHODS)
        or (callee_name(call) in effects and facts.may_resolve_to(call.func, SIDE_EFFECTS))
        for statement, call in facts.import_time_calls
        if not isinstance(statement, _AST_DEFINITIONS)
    )
