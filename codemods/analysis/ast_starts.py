"""Which start method a call that starts processes asks for, on Python's ``ast``: the twin
of mpfix.analysis.ipc's ``StartMethods``, exact or UNSURE."""

from __future__ import annotations

import ast

from ..libraries import spellings
from .ast_api import UNSURE, AstApi, _Unsure, full_name
from .ast_findings import one_string
from .prechecks import AstFacts, keyword_value, positional_args


class AstStartMethods:
    """The contexts that the module binds to names and the start method it sets, as
    ``StartMethods`` finds them."""

    def __init__(self, facts: AstFacts, api: AstApi) -> None:
        self.facts = facts
        self.api = api
        self.contexts: dict[str, str | None] = {}
        self.unsure: set[str] = set()  # names assigned a call that may be get_context()
        assigns = sorted(facts.nodes(ast.Assign), key=lambda node: (node.lineno, node.col_offset))
        for assign in assigns:
            if not isinstance(assign.value, ast.Call):
                continue
            called = api.call_api(assign.value)
            for target in assign.targets:
                if not isinstance(target, ast.Name):
                    continue
                if called is UNSURE:
                    self.unsure.add(target.id)
                elif called == "get_context":
                    self.contexts[target.id] = self._requested(assign.value)
        self.default: str | _Unsure | None = self._default()

    def _default(self) -> str | _Unsure | None:
        names = self.facts.aliases(spellings({"set_start_method"}))
        chosen: set[str | None] = set()
        for call in self.facts.nodes(ast.Call):
            if (full_name(call.func) or "").rsplit(".", 1)[-1] not in names:
                continue
            called = self.api.call_api(call)
            if called is UNSURE:
                return UNSURE
            if called == "set_start_method":
                chosen.add(self._requested(call))
        return chosen.pop() if len(chosen) == 1 else None

    def _requested(self, call: ast.Call) -> str | None:
        """``requested_method``: the method a call names as one string literal."""
        given = positional_args(call)
        value = given[0] if given else keyword_value(call, "method")
        return one_string(self.facts.source, value)

    def _of_context(self, node: ast.expr) -> tuple[bool, str | None] | _Unsure:
        if isinstance(node, ast.Call):
            called = self.api.call_api(node)
            if called is UNSURE:
                return UNSURE
            return (True, self._requested(node)) if called == "get_context" else (False, None)
        if isinstance(node, ast.Name):
            if node.id in self.unsure:
                return UNSURE
            if node.id in self.contexts:
                return True, self.contexts[node.id]
        return False, None

    def method(self, call: ast.Call) -> str | _Unsure | None:
        """The start method of the processes a ``Process(...)`` call starts (None: the
        platform's default); not for an executor, whose workers the rule tells apart."""
        context = keyword_value(call, "mp_context") or keyword_value(call, "context")
        base = context if context is not None else call.func.value if isinstance(call.func, ast.Attribute) else None
        found = self._of_context(base) if base is not None else (False, None)
        if isinstance(found, _Unsure):
            return UNSURE
        is_context, method = found
        return method if is_context else self.default
