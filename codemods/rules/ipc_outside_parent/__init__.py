"""MP003 ipc-outside-parent: a queue, lock or shared value is created where the processes
that use it cannot share it.

Two shapes: created in parent code (at module level, or under the guard) and reached by
workers through a global, which under spawn and forkserver gives every child its own copy
(or none); and created inside the worker, so each call has a private one. The planning and
the rewrites live in ipc_plan, beside it; this module decides and words the findings.
"""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst

from ...analysis.entries import Uses
from ...analysis.ipc import Creation
from ...analysis.project.apis import EXCLUSIVE
from ...analysis.project.model import ChildStart
from ...analysis.reachability import ChildRead
from ...analysis.statements import calls_in, names_in
from ...rewrite.handover import Edits, placeholder
from .._base import RuleVisitor, Unfixable
from .across import advice, shared_across
from .ipc_plan import STARTERS, IpcModule, Placed
from .pool_handover import first_task, hand_to_pools, plan_pools
from .target_handover import check_target, pass_to_target

GUARD = "`__main__` guard"


def _join(names: Sequence[str]) -> str:
    quoted = [f"`{name}`" for name in names]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]


class IpcOutsideParent(RuleVisitor):


    def visit_Module(self, node: cst.Module) -> bool:
        self.ipc = IpcModule(self.facts, self.line)
        for placed in list(self.ipc.parent_creations()):
            self._check_parent(placed)
        for function, creation in list(self.ipc.worker_creations()):
            self._check_worker(function, creation)
        if self.facts.project is not None and self.facts.project.child_starts:
            self._check_across(self.facts.project.child_starts)
        return False

    def _check_across(self, starts: tuple[ChildStart, ...]) -> None:
        """Module-level objects read by functions that other modules run in children."""
        reported = {c.finding.line for c in self.candidates}
        for placed, names, start in shared_across(self.ipc, starts):
            if self.line(placed.creation.call) in reported:
                continue
            message = (
                f"{_join(names)} ({self._what(placed.creation)}) is created at module level but reaches "
                f"`{start.function}` through a global, and `{start.function}` runs in a child process that "
                f"{start.by} starts on line {start.line}: under spawn and forkserver each child that imports this "
                "module creates its own, which no other process shares"
            )
            self.report(placed.creation.call, message, not_fixed=advice(start))

    def _what(self, creation: Creation) -> str:
        return f"`{self.module.code_for_node(creation.call.func)}()`"

    # -- created in parent code ----------------------------------------------------------

    def _check_parent(self, placed: Placed) -> None:
        creation, ipc = placed.creation, self.ipc
        reads = [r for r in ipc.child_reads if r.name in creation.names]
        readers = sorted(
            {r.reader for r in reads}, key=lambda who: min(self.line(r.node) for r in reads if r.reader == who)
        )
        if not any(ipc.entry_reaching(reader) for reader in readers) or ipc.fork_only(readers):
            return
        names = [name for name in creation.names if any(r.name == name for r in reads)]
        where, consequence = (
            (f"under the {GUARD}", "children never run the guard, so it is undefined there")
            if placed.in_guard
            else (
                "at module level",
                "each child that imports the module creates its own, which no other process shares",
            )
        )
        message = (
            f"{_join(names)} ({self._what(creation)}) is created {where} but reaches {_join(readers)} "
            f"through a global: under spawn and forkserver {consequence}"
        )
        try:
            if creation.kind == "Manager":
                raise Unfixable("a manager cannot be sent to another process; share the proxies it creates instead")
            targets, tasks = self._classify(creation, readers, reads)
            ipc.check_assignments(placed)
            for target, read in targets.items():
                check_target(ipc, target, read, placed)
            pools = plan_pools(ipc, tasks, creation.names, placed) if tasks else None
            ipc.check_context(
                creation, [*(c for t in targets for c in ipc.uses[t].targets), *(pools.pools if pools else [])]
            )
            if not targets and not (pools and pools.needed):
                return self._move_to_guard(placed, names, set(tasks))
            edits = Edits()
            for target, read in targets.items():
                pass_to_target(ipc, target, read, edits)
            initializer = hand_to_pools(ipc, pools, edits) if pools else None
            moved = ipc.move(placed, {*creation.names, *targets, *tasks}, edits, keep_name=bool(tasks))
            if tasks:
                keep = (
                    [placeholder(creation.names)]
                    if placed.in_guard and not ipc.placeholder_exists(creation.names)
                    else []
                )
                edits.insert_before(first_task(ipc, pools), [*keep, *([initializer] if initializer else [])])  # type: ignore[arg-type]
        except Unfixable as why:
            self.report(creation.call, message, not_fixed=why)
            return None
        parts = [f"pass {_join(names)} to {_join(list(targets))} as an argument"] if targets else []
        parts += ["hand it to each pool worker through an initializer"] if tasks else []
        parts += [f"create it under the {GUARD}"] if moved == "guard" else []
        title = "; ".join(parts)
        self.report(
            creation.call, message, fix=(self.module, edits.apply(self.module)), fix_title=title[0].upper() + title[1:]
        )
        return None

    def _classify(
        self, creation: Creation, readers: list[str], reads: list[ChildRead]
    ) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
        """Split the readers into process targets and pool tasks (each with the names it
        reads); raises Unfixable for any other reader."""
        targets: dict[str, list[str]] = {}
        tasks: dict[str, list[str]] = {}
        for reader in readers:
            read = [n for n in creation.names if any(r.reader == reader and r.name == n for r in reads)]
            uses = self.ipc.uses.get(reader)
            if uses is None or not uses.runs_in_child:
                entry = self.ipc.entry_reaching(reader)
                who = "a lambda" if reader == "<lambda>" else f"`{reader}`"
                how = (
                    f"runs in a child process through `{entry}`"
                    if entry and entry != reader
                    else "may run in a child process"
                )
                raise Unfixable(f"{who} reads `{read[0]}` and {how}; pass it on by hand")
            if uses.only_target:
                targets[reader] = read
            elif uses.only_task:
                tasks[reader] = read
            else:
                raise Unfixable(self._mixed(reader, uses))
        return targets, tasks

    def _mixed(self, name: str, uses: Uses) -> str:
        if uses.other:
            node = uses.other[0]
            call = self.ipc.parents.get(node)
            if isinstance(call, cst.Call) and call.func is node:
                return f"`{name}` is also called directly (line {self.line(node)})"
            return f"`{name}` is also used on line {self.line(node)}, not as a process target or pool task"
        if uses.initializes:
            return f"`{name}` also runs as a pool initializer (line {self.line(uses.initializes[0])})"
        return f"`{name}` runs both as a process target and as a pool task"

    def _move_to_guard(self, placed: Placed, names: list[str], tasks: set[str]) -> None:
        """The pool workers get the object through their initializer already; what is left
        is the module-level creation that every child repeats. Moved only into a guard
        (without one, MP001 adds the guard first)."""
        edits = Edits()
        if (
            self.ipc.move(placed, {*placed.creation.names, *tasks}, edits, keep_name=True, only_into_guard=True)
            != "guard"
        ):
            return
        message = (
            f"{_join(names)} ({self._what(placed.creation)}) is created at module level, so every child process "
            "that imports the module creates one it never uses; the pool workers get the parent's through their "
            "initializer"
        )
        title = f"Create {_join(names)} under the {GUARD}"
        self.report(placed.creation.call, message, fix=(self.module, edits.apply(self.module)), fix_title=title)

    # -- created inside the worker -----------------------------------------------------

    def _check_worker(self, function: str, creation: Creation) -> None:
        ipc, name = self.ipc, creation.names[0]
        definition = ipc.function(function)
        if any(self.api.call_api(call) in STARTERS for call in calls_in(definition, whole_functions=True)):
            return  # it may create the object for its own children
        scope = ipc.scopes.get(creation.call)
        assignments = list(scope.assignments[name]) if scope is not None else []
        if len(assignments) != 1 or not assignments[0].references:
            return
        if not all(r.scope is scope and self.ipc.local_use(r.node) for r in assignments[0].references):
            return  # passed on, stored or returned: it may be meant for others
        message = (
            f"Each call of `{function}` creates its own `{name}` ({self._what(creation)}), which no other process can "
            "see"
        )
        message += ", so it excludes nothing" if creation.kind in EXCLUSIVE else ""
        try:
            edits = self._share_worker_object(function, creation, scope)
        except Unfixable as why:
            self.report(creation.call, message, not_fixed=why)
            return
        how = "pass it to" if ipc.uses[function].only_target else "hand it to the pool workers that run"
        title = f"Create `{name}` once in the parent and {how} `{function}`"
        self.report(creation.call, message, fix=(self.module, edits.apply(self.module)), fix_title=title)

    def _share_worker_object(self, function: str, creation: Creation, scope) -> Edits:
        ipc, name = self.ipc, creation.names[0]
        if creation.kind not in EXCLUSIVE:
            raise Unfixable(f"sharing one `{name}` between the processes would change what `{function}` computes")
        uses = ipc.uses[function]
        if not (uses.only_target or uses.only_task):
            raise Unfixable(self._mixed(function, uses))
        if ipc.reach.global_scope.assignments[name]:
            raise Unfixable(f"`{name}` is also a module-level name")
        value = creation.statement.body[0].value  # type: ignore[attr-defined]
        local = sorted(names_in(value) & {a.name for a in scope.assignments})
        if local:
            raise Unfixable(f"it is made from `{local[0]}`, which only `{function}` knows")
        found = ipc.first_use(-1, {function})
        if found is None:
            raise Unfixable(f"nothing in this module starts `{function}`, so there is no parent code to create it in")
        anchor, top = found
        if not ipc.constant_inputs(value, top):
            raise Unfixable("its arguments may not have the same value in the parent")
        edits = Edits()
        edits.remove(creation.statement)
        if uses.only_target:
            check_target(ipc, function, [name], None)
            ipc.check_context(creation, uses.targets)
            pass_to_target(ipc, function, [name], edits)
        else:
            pools = plan_pools(ipc, {function: [name]}, [name], None)
            ipc.check_context(creation, pools.pools)
            initializer = hand_to_pools(ipc, pools, edits)
            edits.insert_before(ipc.function(function), [placeholder([name]), *([initializer] if initializer else [])])
        edits.insert_before(anchor, [creation.statement])
        return edits


RULE = IpcOutsideParent
