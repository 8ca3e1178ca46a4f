"""MP001 missing-main-guard: module-level code starts processes without a main guard."""

from __future__ import annotations

import ast

import libcst as cst
import libcst.matchers as m

from codemods.analysis.facts import findall
from codemods.analysis.guard import is_main_guard, is_script
from codemods.analysis.names import TRIGGERS, spellings
from codemods.analysis.prechecks import AstFacts, calls_one_of
from codemods.analysis.reachability import reach_of
from codemods.analysis.statements import calls_in
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
        starters = self._starters(node)
        first: tuple[cst.Call, str] | None = None
        triggers: list[int] = []
        calls: list[cst.Call] = []
        for index, statement in enumerate(node.body):
            if is_main_guard(statement):
                continue
            found = [call for call in calls_in(statement) if self._starts(call, starters) is not None]
            if found:
                triggers.append(index)
                first = first or (found[0], self._starts(found[0], starters))  # type: ignore[assignment]
                calls += found
        if first is not None and not self._library_choosing_start_method(node, calls):
            self._report(node, triggers, *first)
        return False

    def _library_choosing_start_method(self, module: cst.Module, triggers: list[cst.Call]) -> bool:
        """A module that is imported rather than run, whose only trigger is setting the
        start method: a guard would keep the setting from its importers, and
        library-sets-start-method (MP017) gives it a context of its own instead."""
        only_start_method = all(self.api.call_api(call) == "set_start_method" for call in triggers)
        return only_start_method and not is_script(module, self.api)

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
                bodies[statement.name.value] = _calls_when_called(statement)
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


def _calls_when_called(function: cst.FunctionDef) -> list[cst.Call]:
    """The calls that run when ``function`` is called: those of its own body and of the
    nested functions that it calls, not of those it only returns (a decorator factory's
    ``def wrapper(f): ... return wrapper`` starts nothing when the factory is called)."""
    nested = {node.name.value: node for node in findall(function.body, m.FunctionDef())}
    calls = calls_in(function.body)
    entered: set[str] = set()
    for call in calls:  # grows while it is walked: the nested functions' calls join it
        name = call.func.value if isinstance(call.func, cst.Name) else None
        if name in nested and name not in entered:
            entered.add(name)
            calls.extend(calls_in(nested[name].body))
    return calls


RULE = MissingMainGuard
