"""MP001 missing-main-guard: module-level code starts processes without a main guard."""

from __future__ import annotations

import ast

import libcst as cst

from codemods.analysis.guard import is_script
from codemods.analysis.names import TRIGGERS, spellings
from codemods.analysis.prechecks import AstFacts, calls_one_of
from codemods.analysis.reachability import reach_of
from codemods.analysis.starters import starters_of
from codemods.rules._base import RuleVisitor, Unfixable
from codemods.rules.missing_main_guard.guard_plan import GuardPlan, ImporterLoss

GUARD = '`if __name__ == "__main__":`'
# What a module that imports this one no longer runs once the script part is guarded.
SCRIPT_PARTS = {
    "Pool": "the pool",
    "ProcessPoolExecutor": "the pool",
    "Process": "the processes",
    "Manager": "the manager",
}


class MissingMainGuard(RuleVisitor):
    @classmethod
    def precheck(cls, facts: AstFacts) -> bool:
        """A call at module level, outside the guard, of something spelled like a trigger
        (a bare name only when the module does not define it: ``mp.Pool()`` still counts
        next to a ``class Pool``), of a ``Process`` subclass, or of a top-level function
        that leads to one."""
        triggers = facts.aliases(spellings(TRIGGERS))
        names = triggers - facts.locally_defined
        calls = [call for _, call in facts.import_time_calls]
        if any(calls_one_of(call, names, triggers) for call in calls):
            return True
        classes = facts.process_classes
        local = {call.func.id for call in calls if isinstance(call.func, ast.Name)} & (classes | set(facts.functions))
        return bool(local) and bool(local & (classes | facts.top_level_callers(names | classes, triggers)))

    def visit_Module(self, node: cst.Module) -> bool:
        starters = starters_of(self.facts)
        triggers = starters.module_level()
        if triggers and not starters.only_a_library_choosing_its_start_method():
            first = triggers[0][1][0]
            self._report(node, [index for index, _ in triggers], first, starters.starts(first))  # type: ignore[arg-type]
        return False

    def _report(self, module: cst.Module, triggers: list[int], call: cst.Call, what: str) -> None:
        message = (
            f"{what} at module level, outside {GUARD}; "
            "under spawn and forkserver every child process re-runs it"
        )
        reach = reach_of(self.facts)
        try:
            plan = GuardPlan(module, triggers, reach, self.api, self.line)
            new_module = plan.build()
        except Unfixable as why:
            self.report(call, message, not_fixed=why)
            return
        title = f"Move the script part under {GUARD}"
        captured = None if is_script(module, self.api) else plan.captured_for_importers()
        if captured is None:
            self.report(call, message, fix=(module, new_module), fix_title=title)
            return
        unsafe = self._importer_loss(call, captured)
        self.report(call, message, fix=(module, new_module), unsafe=unsafe, fix_title=title)

    def _importer_loss(self, call: cst.Call, captured: ImporterLoss) -> str:
        part = SCRIPT_PARTS.get(self.api.call_api(call) or "", "the script part")
        value = f"`{captured.name}`"
        if captured.rebound_on is not None:
            value += f" from line {captured.rebound_on}"
        return f"a module that imports this one would no longer run {part} and get {value}"



RULE = MissingMainGuard
