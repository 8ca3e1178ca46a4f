"""MP001 missing-main-guard: module-level code starts processes without a main guard."""

from __future__ import annotations

import ast

import libcst as cst
from libcst.metadata import ParentNodeProvider, PositionProvider, QualifiedNameProvider, ScopeProvider

from codemods.guard import is_main_guard
from codemods.names import ApiResolver, spellings
from codemods.prechecks import (
    aliases_of,
    base_name,
    callee_name,
    import_time_calls,
    locally_defined,
    top_level_callers,
)
from codemods.reachability import ModuleReach
from codemods.statements import calls_in
from codemods.guard_plan import GuardPlan, Unfixable
from codemods.visitor import RuleVisitor

# Calls that must run only in the parent, and what they do there.
TRIGGERS = {
    "Process": "starts processes",
    "Pool": "starts processes",
    "Manager": "starts processes",
    "ProcessPoolExecutor": "starts processes",
    "set_start_method": "sets the start method",
    "freeze_support": "prepares a frozen executable",
}
GUARD = '`if __name__ == "__main__":`'


class MissingMainGuard(RuleVisitor):
    METADATA_DEPENDENCIES = (PositionProvider, QualifiedNameProvider, ScopeProvider, ParentNodeProvider)

    @classmethod
    def precheck(cls, tree: ast.Module) -> bool:
        """A module-level call whose callee is spelled like a trigger (and not defined by
        the module itself), a ``Process`` subclass, or a local function leading to one."""
        names = aliases_of(tree, spellings(TRIGGERS)) - locally_defined(tree)
        process = aliases_of(tree, spellings({"Process"}))
        names |= {
            node.name
            for node in tree.body
            if isinstance(node, ast.ClassDef) and any(base_name(base) in process for base in node.bases)
        }
        names |= top_level_callers(tree, names)
        return any(
            callee_name(call) in names for statement in tree.body for call in import_time_calls(statement)
        )

    def visit_Module(self, node: cst.Module) -> bool:
        self.module = node
        self.api = ApiResolver(self, node)
        starters = self._starters(node)
        first: tuple[cst.Call, str] | None = None
        triggers: list[int] = []
        for index, statement in enumerate(node.body):
            if is_main_guard(statement):
                continue
            for call in calls_in(statement):
                what = self._starts(call, starters)
                if what is not None:
                    triggers.append(index)
                    first = first or (call, what)
                    break
        if first is not None:
            self._report(node, triggers, *first)
        return False

    def _starts(self, call: cst.Call, starters: dict[str, str]) -> str | None:
        """What ``call`` does that belongs in the parent only, in words, or None."""
        api = self.api.call_api(call)
        if api in TRIGGERS:
            return f"`{self.module.code_for_node(call.func)}()` {TRIGGERS[api]}"
        func = call.func
        if isinstance(func, cst.Name) and func.value in starters and func.value in self.api.qualified_names(func):
            return f"`{func.value}()` ({starters[func.value]}) starts processes"
        return None

    def _starters(self, module: cst.Module) -> dict[str, str]:
        """Top-level functions and classes whose call starts processes, transitively."""
        starters: dict[str, str] = {}
        bodies = {}
        for statement in module.body:
            if isinstance(statement, cst.ClassDef):
                if any(self.api.api(base.value) == "Process" for base in statement.bases):
                    starters[statement.name.value] = "a `Process` subclass"
            elif isinstance(statement, cst.FunctionDef):
                bodies[statement.name.value] = calls_in(statement.body, whole_functions=True)
        changed = True
        while changed:
            changed = False
            for name, calls in bodies.items():
                if name in starters:
                    continue
                for call in calls:
                    what = self._starts(call, starters)
                    if what is not None:
                        starters[name] = "which calls " + what.split(" ")[0]
                        changed = True
                        break
        return starters

    def _report(self, module: cst.Module, triggers: list[int], call: cst.Call, what: str) -> None:
        message = (
            f"{what} at module level, outside {GUARD}; "
            "under spawn and forkserver every child process re-runs it"
        )
        reach = ModuleReach(module, self.metadata[ScopeProvider], self.metadata[ParentNodeProvider])  # type: ignore[arg-type]
        try:
            new_module = GuardPlan(module, triggers, reach, self.api, self._line_of).build()
        except Unfixable as why:
            self.report(call, f"{message}; not fixed: {why}")
            return
        self.report(call, message, fix=(module, new_module), fix_title=f"Move the script part under {GUARD}")

    def _line_of(self, node: cst.CSTNode) -> int:
        return self.get_metadata(PositionProvider, node).start.line


RULE = MissingMainGuard
