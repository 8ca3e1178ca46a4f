"""MP001 missing-main-guard: module-level code starts processes without a main guard."""

from __future__ import annotations

import ast

import libcst as cst
import libcst.matchers as m
from libcst.helpers import get_full_name_for_node

from codemods.analysis.facts import findall
from codemods.analysis.guard import is_main_guard
from codemods.analysis.names import TRIGGERS, spellings
from codemods.analysis.prechecks import AstFacts, callee_name, calls_one_of
from codemods.analysis.project.model import Importer
from codemods.analysis.reachability import reach_of
from codemods.analysis.statements import calls_in
from codemods.analysis.worker_starts import WORKER_CLASSES, WORKER_KEYWORDS, WorkerStarts
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
        if any(_may_start_workers(call) for call in calls):
            return True
        classes = facts.process_classes
        local = {call.func.id for call in calls if isinstance(call.func, ast.Name)} & (classes | set(facts.functions))
        return bool(local) and bool(local & (classes | facts.top_level_callers(names | classes, triggers)))

    def visit_Module(self, node: cst.Module) -> bool:
        starters = self._starters(node)
        workers = WorkerStarts(node, self.api)
        first: tuple[cst.CSTNode, str] | None = None
        triggers: list[int] = []
        for index, statement in enumerate(node.body):
            if is_main_guard(statement):
                continue
            found = next(
                ((call, what) for call in calls_in(statement) if (what := self._starts(call, starters)) is not None),
                None,
            ) or self._starts_workers(statement, workers)
            if found is not None:
                triggers.append(index)
                first = first or found
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

    def _starts_workers(self, statement: cst.CSTNode, workers: WorkerStarts) -> tuple[cst.CSTNode, str] | None:
        """Where ``statement`` iterates a DataLoader with workers or maps with ``num_proc``."""
        node = workers.starts(statement)
        if node is None:
            return None
        code = self.module.code_for_node(node)
        if isinstance(node, cst.Call) and not workers.consumes(node):
            return node, f"`{self.module.code_for_node(node.func)}(..., num_proc=...)` starts processes"
        return node, f"iterating `{code}` starts the worker processes of a `DataLoader`"

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

    def _report(self, module: cst.Module, triggers: list[int], call: cst.CSTNode, what: str) -> None:
        message = f"{what} at module level, outside {GUARD}; under spawn and forkserver every child process re-runs it"
        reach = reach_of(self.facts)
        try:
            plan = GuardPlan(module, triggers, reach, self.api, self.line)
            new_module = plan.build()
        except Unfixable as why:
            self.report(call, message, not_fixed=why)
            return
        title = f"Move the script part under {GUARD}"
        importers = self.facts.project.importers if self.facts.project is not None else ()
        lost = _lost_by_importers(importers, plan.moved_names())
        if lost is not None:
            self.report(call, message, not_fixed=lost)
            return
        imported = bool(importers) or not self._is_script(module)
        captured = plan.captured_for_importers() if imported else None
        if captured is None:
            self.report(call, message, fix=(module, new_module), fix_title=title)
            return
        unsafe = self._importer_loss(call, captured)
        self.report(call, message, fix=(module, new_module), unsafe=unsafe, fix_title=title)

    def _importer_loss(self, call: cst.CSTNode, captured: ImporterLoss) -> str:
        part = SCRIPT_PARTS.get(self.api.call_api(call) or "", "the script part")
        value = f"`{captured.name}`"
        if captured.rebound_on is not None:
            value += f" from line {captured.rebound_on}"
        return f"a module that imports this one would no longer run {part} and get {value}"

    def _is_script(self, module: cst.Module) -> bool:
        """Whether the file is evidently run as a program rather than imported: it has a
        ``#!`` line or a main guard already, or it reads its command line (``sys.argv``,
        ``argparse``)."""
        first = module.header[0].comment if module.header else None
        if first is not None and first.value.startswith("#!"):
            return True
        if any(is_main_guard(statement) for statement in module.body):
            return True
        if any(_imports_argparse(statement) for statement in findall(module, m.Import() | m.ImportFrom())):
            return True
        argv = findall(module, m.Name("argv") | m.Attribute(attr=m.Name("argv")))
        return any("sys.argv" in self.api.qualified_names(node) for node in argv)


def _may_start_workers(call: ast.Call) -> bool:
    """A call spelled like a ``DataLoader``, or given ``num_proc``: one that may make what
    codemods.analysis.worker_starts finds."""
    return callee_name(call) in WORKER_CLASSES or any(k.arg in WORKER_KEYWORDS for k in call.keywords)


def _lost_by_importers(importers: tuple[Importer, ...], moved: set[str]) -> str | None:
    """Why the guard would break a module that imports this one: it takes a name that
    only the moved code binds. None when no importer takes one."""
    for importer in importers:
        taken = sorted(moved if "*" in importer.names else moved & set(importer.names))
        if taken:
            return (
                f"{importer.by} imports this module on line {importer.line} and uses `{taken[0]}`, which only the "
                f"code that would move under the guard binds; start the processes in a function that {importer.by} "
                "calls instead"
            )
    return None


def _calls_when_called(function: cst.FunctionDef) -> list[cst.Call]:
    """The calls that run when ``function`` is called: those of its own body and of the
    nested functions that it calls, not of those it only returns (a decorator factory's
    ``def wrapper(f): ... return wrapper`` starts nothing when the factory is called)."""
    defs = findall(function.body, m.FunctionDef())
    nested = {node.name.value: node for node in defs if isinstance(node, cst.FunctionDef)}
    calls = calls_in(function.body)
    entered: set[str] = set()
    for call in calls:  # grows while it is walked: the nested functions' calls join it
        name = call.func.value if isinstance(call.func, cst.Name) else None
        if name is not None and name in nested and name not in entered:
            entered.add(name)
            calls.extend(calls_in(nested[name].body))
    return calls


def _imports_argparse(statement: cst.CSTNode) -> bool:
    if isinstance(statement, cst.ImportFrom):
        module = statement.module
        return not statement.relative and module is not None and get_full_name_for_node(module) == "argparse"
    assert isinstance(statement, cst.Import)
    return any(get_full_name_for_node(alias.name) == "argparse" for alias in statement.names)


RULE = MissingMainGuard
