"""MP001 missing-main-guard: module-level code starts processes without a main guard."""

from __future__ import annotations

import ast

import libcst as cst
from libcst.metadata import (
    ParentNodeProvider,
    PositionProvider,
    QualifiedNameProvider,
    ScopeProvider,
)

from codemods.guard import is_main_guard
from codemods.guard_plan import GuardPlan, Unfixable
from codemods.names import api_of, spellings
from codemods.prechecks import AstFacts, calls_one_of
from codemods.reachability import reach_of
from codemods.statements import calls_in
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
    def precheck(cls, module: AstFacts | ast.Module) -> bool:
        """A call at module level, outside the guard, of something spelled like a trigger
        (a bare name only when the module does not define it: ``mp.Pool()`` still counts
        next to a ``class Pool``), of a ``Process`` subclass, or of a top-level function
        that leads to one."""
        facts = AstFacts.of(module)
        triggers = facts.aliases(spellings(TRIGGERS))
        names = triggers - facts.locally_defined
        calls = [call for _, call in facts.import_time_calls]
        if any(calls_one_of(call, names, triggers) for call in calls):
            return True
        classes = facts.process_classes
        local = {call.func.id for call in calls if isinstance(call.func, ast.Name)} & (classes | set(facts.functions))
        return bool(local) and bool(local & (classes | facts.top_level_callers(names | classes, triggers)))

    def visit_Module(self, node: cst.Module) -> bool:
        self.module = node
        self.api = api_of(self.facts)
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
        reach = reach_of(self.facts)
        try:
            new_module = GuardPlan(module, triggers, reach, self.api, self._line_of).build()
        except Unfixable as why:
            self.report(call, f"{message}; not fixed: {why}")
            return
        self.report(call, message, fix=(module, new_module), fix_title=f"Move the script part under {GUARD}")

    def _line_of(self, node: cst.CSTNode) -> int:
        return self.get_metadata(PositionProvider, node).start.line


RULE = MissingMainGuard
