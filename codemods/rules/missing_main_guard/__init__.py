"""MP001 missing-main-guard: module-level code starts processes without a main guard."""

from __future__ import annotations

import libcst as cst

from ...analysis.guard import is_main_guard, is_script
from ...analysis.project.model import Importer
from ...analysis.reachability import reach_of
from ...analysis.starters import starters_of
from ...analysis.worker_starts import WorkerStarts
from .._base import RuleVisitor, Unfixable
from .guard_plan import GuardPlan, ImporterLoss

GUARD = '`if __name__ == "__main__":`'
# What a module that imports this one no longer runs once the script part is guarded.
SCRIPT_PARTS = {
    "Pool": "the pool",
    "ProcessPoolExecutor": "the pool",
    "Process": "the processes",
    "Manager": "the manager",
}


class MissingMainGuard(RuleVisitor):
    # A module that imports Hugging Face `datasets` starts a pool with `.map(num_proc=N)`,
    # which names no API of the table.


    def visit_Module(self, node: cst.Module) -> bool:
        starters = starters_of(self.facts, self.SPEC.code)
        starts = dict(starters.module_level())
        workers = WorkerStarts(node, self.api)
        first: tuple[cst.CSTNode, str] | None = None
        triggers: list[int] = []
        for index, statement in enumerate(node.body):
            if is_main_guard(statement):
                continue
            found = self._starts_workers(statement, workers)
            if index in starts:
                call = starts[index][0]
                found = (call, starters.starts(call) or "")
            if found is not None:
                triggers.append(index)
                first = first or found
        only_starts = len(triggers) == len(starts)
        if first is not None and not (only_starts and starters.only_a_library_choosing_its_start_method()):
            self._report(node, triggers, *first)
        return False

    def _starts_workers(self, statement: cst.CSTNode, workers: WorkerStarts) -> tuple[cst.CSTNode, str] | None:
        """Where ``statement`` iterates a DataLoader with workers or maps with ``num_proc``."""
        node = workers.starts(statement)
        if node is None:
            return None
        code = self.module.code_for_node(node)
        if isinstance(node, cst.Call) and not workers.consumes(node):
            return node, f"`{self.module.code_for_node(node.func)}(..., num_proc=...)` starts processes"
        return node, f"Iterating `{code}` starts the worker processes of a `DataLoader`"

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
        imported = bool(importers) or not is_script(self.facts)
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


RULE = MissingMainGuard
