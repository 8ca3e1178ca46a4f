"""MP014 stale-global-read: code that runs in a child reads a module-level name that the
parent sets at run time.

Under spawn and forkserver the child imports the module again and skips the ``__main__``
guard, so it sees the name as the import leaves it (or not at all), whatever the parent
assigned or appended since. Under fork it inherits the parent's value, which is why the
program seemed to work. The fix hands the parent's value over explicitly (handover.py).
"""

from __future__ import annotations

import libcst as cst

from ...analysis.ipc import StartMethods, creation_of, manager_names
from ...analysis.parent_writes import ParentWrites, Write, parent_writes_of
from ...analysis.project.model import StaleRead
from ...analysis.reachability import ChildRead
from .._base import RuleVisitor, Unfixable
from .across import message
from .handover import Handover
from .order import Order


def _join(names: list[str]) -> str:
    quoted = [f"`{name}`" for name in names]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]


class StaleGlobalRead(RuleVisitor):

    def visit_Module(self, node: cst.Module) -> bool:
        self.reported: set[str] = set()
        self._check_here(node)
        if self.facts.project is not None and self.facts.project.stale_reads:
            self._check_across(self.facts.project.stale_reads)
        return False

    def _check_across(self, stale_reads: tuple[StaleRead, ...]) -> None:
        """The names that another module's parent code sets for a child it starts here."""
        reads = self.reach.child_reads((), ())
        for stale in stale_reads:
            found = [read for read in reads if read.reader == stale.reader and read.name == stale.name]
            if not found or stale.name in self.reported:
                continue
            self.reported.add(stale.name)
            text, why = message(stale)
            self.report(min(found, key=self._line).node, text, not_fixed=why)

    def _check_here(self, node: cst.Module) -> None:
        """The names that this module's parent code sets for the children it starts."""
        self.writes = writes = parent_writes_of(self.facts)
        names = writes.run_time_names() - self._shared_objects(writes)
        if not names:
            return
        self.methods = StartMethods(node, self.api)
        self.order = Order(self.facts, writes)
        reads = self.reach.child_reads(writes.parent_only, writes.guards)
        children = {name: uses for name, uses in writes.entries.uses.items() if uses.runs_in_child}
        reached = {entry: writes.reached_from(entry) for entry in children}
        for name in sorted(names, key=lambda n: self.line(self._first(writes.writes[n]).node)):
            readers = {read.reader for read in reads if read.name == name}
            entries = sorted(entry for entry in children if reached[entry] & readers)
            if not entries or self._fork_only(entries):
                continue
            relevant = self._seen_by_children(writes.writes[name], entries)
            if not relevant:
                continue
            running = set().union(*(reached[entry] for entry in entries))
            first = min((read for read in reads if read.name == name and read.reader in running), key=self._line)
            self.reported.add(name)
            self._check(first, entries, readers & running, relevant)

    def _line(self, read: ChildRead) -> int:
        return self.line(read.node)

    def _first(self, writes: list[Write]) -> Write:
        return min(writes, key=lambda write: self.line(write.node))

    def _shared_objects(self, writes: ParentWrites) -> set[str]:
        """Names bound to a queue, lock, shared value or manager proxy: ipc-outside-parent's."""
        managers = manager_names(self.module, self.api)
        shared = set()
        for name, found in writes.writes.items():
            for write in found:
                if write.value is None:
                    continue
                statement = self.parents[self.parents[self.parents[write.node]]]  # Name, target, Assign
                if creation_of(statement, self.api, managers) is not None:
                    shared.add(name)
        return shared

    def _seen_by_children(self, writes: list[Write], entries: list[str]) -> list[Write]:
        """The writes that some child could have seen under fork: not those that surely
        run once every child that reads the name has its values."""
        uses = [self.writes.entries.uses[entry] for entry in entries]
        starts = [call for use in uses for call in [*use.targets, *use.tasks, *use.initializes]]
        return [write for write in writes if not all(self.order.done_before(call, write.node) for call in starts)]

    def _fork_only(self, entries: list[str]) -> bool:
        """Every process that runs the readers is asked to fork: inheriting is intended."""
        uses = [self.writes.entries.uses[entry] for entry in entries]
        calls = [call for use in uses for call in [*use.targets, *use.tasks, *use.initializes]]
        return bool(calls) and all(self.methods.method(call) == "fork" for call in calls)

    def _check(self, read: ChildRead, entries: list[str], readers: set[str], relevant: list[Write]) -> None:
        name = read.name
        set_at = self._first(relevant)
        where = f"in `{set_at.function}()`" if set_at.function else "under the `__main__` guard"
        how = "changes" if set_at.changed else "assigns"
        who = f"`{read.reader}`" + ("" if read.reader in entries else f", which {_join(entries)} calls,")
        seen = (
            f"sees `{name}` as the module's import leaves it"
            if name in self.writes.import_time
            else f"finds no `{name}`: the module's import never defines it"
        )
        message = (
            f"{who} runs in a child process and reads `{name}`, which the parent {how} at run time "
            f"(line {self.line(set_at.node)}, {where}): under spawn and forkserver the child {seen}"
        )
        try:
            edits, title = Handover(self.facts, self.writes, self.order, self.line, name, relevant).plan(
                entries, readers
            )
        except Unfixable as why:
            self.report(read.node, message, not_fixed=why)
            return
        self.report(read.node, message, fix=(self.module, edits.apply(self.module)), fix_title=title)


RULE = StaleGlobalRead
