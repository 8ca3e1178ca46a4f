"""MP013 import-side-effects: module-level work that every child process repeats.

Output on a path that ends the program (``except ImportError: print(...); sys.exit(1)``)
is no such work: it runs only when the module cannot go on, in a child as in the parent.
"""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst

from ..analysis import match as m
from ..analysis.facts import findall
from ..analysis.guard import is_main_guard
from ..analysis.import_lines import is_import_line
from ..analysis.ipc import StartMethods, keyword
from ..analysis.names import EXIT_CALLS, TRIGGERS
from ..analysis.project.apis import SIDE_EFFECTS
from ..analysis.reachability import ChildRead, imported_only, reach_of
from ..analysis.statements import (
    calls_in,
    definition_time_parts,
    dotted_defaults,
    dotted_defaults_hold,
    is_definition,
    module_callables,
    mutated_roots,
    names_in,
    pure_assignment,
    pure_definition,
)
from ..analysis.worker_starts import WorkerStarts
from ..prechecks.import_side_effects import _ARGV_METHODS
from ..rewrite.nodes import as_block_statement, leading_lines, one_level_deeper, split_blank_prefix
from ._base import RuleVisitor

GUARD = '`if __name__ == "__main__":`'
# The calls that start processes of the start method in force (or of their context's).
STARTS = frozenset({"Process", "Pool", "Manager", "ProcessPoolExecutor", "spawn"})
_BLOCKS = (cst.IndentedBlock, cst.SimpleStatementSuite)
# Bare calls at module level, whose value nothing keeps (as the project model reads them).
_UNCONDITIONAL = (cst.Expr,)
IMPORTED_ADVICE = (
    "a `__main__` guard never runs when a module is imported, so move the work into a function that the script "
    "calls, by hand"
)


def _bare_call(statement: cst.BaseStatement) -> bool:
    return isinstance(statement, cst.SimpleStatementLine) and all(
        isinstance(small, _UNCONDITIONAL) for small in statement.body
    )


def _is_definition(statement: cst.CSTNode) -> bool:
    """A def, a class or an import, ``lazy import`` included (which libcst's scope
    analysis does not see bind its names, so it must never move under the guard)."""
    return is_definition(statement) or is_import_line(statement)


def _candidates(body: Sequence[cst.BaseStatement], guard: int) -> set[int]:
    """The statements before the guard that could join it: no definitions."""
    return {i for i in range(guard) if not _is_definition(body[i]) and not is_main_guard(body[i])}


class ImportSideEffects(RuleVisitor):


    def visit_Module(self, node: cst.Module) -> bool:
        self._check_in_script(node)
        project = self.facts.project
        if project is not None and project.child_import:
            self._check_imported(node, project.child_import)
        return False

    def _check_imported(self, node: cst.Module, why: str) -> None:
        """Work at import in a module that child processes import, though it is not the
        script that starts them: a guard there would never run, so it is reported only."""
        reported = {c.finding.line for c in self.candidates}
        for statement in node.body:
            if not _bare_call(statement):
                continue
            for call in calls_in(statement):
                effect = self._effect(call)
                if effect is None or self._on_the_way_out(call):
                    continue
                if self.line(call) not in reported:
                    message = (
                        f"`{node.code_for_node(call.func)}()` {effect} at module level, and child processes import "
                        f"this module ({why}); under spawn and forkserver each of them repeats it"
                    )
                    self.report(call, message, not_fixed=IMPORTED_ADVICE)
                break

    def _check_in_script(self, node: cst.Module) -> None:
        body = list(node.body)
        guards = [i for i, statement in enumerate(body) if is_main_guard(statement)]
        # Unguarded process starts are MP001's: its fix moves the script part, this with it.
        if len(guards) != 1 or not self._starts_processes(node) or self._unguarded_start(body):
            return
        if self._forks_only(node):
            return  # a forked child inherits what the module did, and imports it no more
        guard = guards[0]
        child_reads = self._child_reads(body, guard)
        movable = self._movable(body, guard, {read.name for read in child_reads})
        for index, statement in enumerate(body):
            if index == guard or _is_definition(statement):
                continue
            for call in calls_in(statement):
                effect = self._effect(call)
                if effect is None or self._on_the_way_out(call):
                    continue
                message = (
                    f"`{node.code_for_node(call.func)}()` {effect} at module level, in a module that starts "
                    "processes: under spawn and forkserver every child process repeats it"
                )
                if index in movable and isinstance(body[guard].body, cst.IndentedBlock):
                    fix = (node, self._moved(node, movable, guard))
                    self.report(call, message, fix=fix, fix_title=f"Move it under {GUARD}")
                else:
                    self.report(call, message, not_fixed=self._advice(body, index, child_reads))
                break

    def _advice(self, body: Sequence[cst.BaseStatement], index: int, child_reads: list[ChildRead]) -> str:
        """How to fix ``body[index]`` by hand: move it, unless a child needs what it makes."""
        read = self._child_read_of(body, index, child_reads)
        if read is None:
            return f"move it under {GUARD} (or into a function) by hand"
        return (
            f"`{read.reader}`, which may run in a child process, reads `{read.name}`, which comes from this "
            f"statement; moving it under {GUARD} would leave the children without `{read.name}`, so hand "
            "the value to the workers instead (the pool's `initializer=` and `initargs=`, or an argument)"
        )

    def _child_read_of(
        self, body: Sequence[cst.BaseStatement], index: int, child_reads: list[ChildRead]
    ) -> ChildRead | None:
        """A read, by code that may run in a child, of a name that ``body[index]`` binds or
        changes, or that later module-level code computes from those (``root = args.root``)."""
        reach = reach_of(self.facts)
        made = reach.bindings[index] | mutated_roots(body[index], imported_only(body, reach))
        for later in range(index + 1, len(body)):
            if not is_main_guard(body[later]) and reach.module_reads([later]) & made:
                made |= reach.bindings[later]
        return next((read for read in child_reads if read.name in made), None)

    def _effect(self, call: cst.Call) -> str | None:
        for name in self.api.qualified_names(call.func):
            if name in SIDE_EFFECTS:
                return SIDE_EFFECTS[name]
        if isinstance(call.func, cst.Attribute) and call.func.attr.value in _ARGV_METHODS:
            return "parses the command line"
        return None

    def _on_the_way_out(self, node: cst.CSTNode) -> bool:
        """Whether ``node`` is in a block of a top-level statement that always ends the
        program: its last statement is a ``raise`` or a call of ``sys.exit()`` (``exit()``,
        ``quit()``, ``os._exit()``), nothing in it breaks out of a loop first, and no
        ``try`` or ``with`` around it may catch the exit."""
        parents = self.facts.parents
        block = parents.get(node)
        while block is not None and not isinstance(block, cst.Module):
            if isinstance(block, _BLOCKS) and self._ends_the_program(block) and not self._may_be_caught(block):
                return True
            block = parents.get(block)
        return False

    def _ends_the_program(self, block: cst.IndentedBlock | cst.SimpleStatementSuite) -> bool:
        last = block.body[-1]
        if isinstance(last, cst.SimpleStatementLine):
            last = last.body[-1]
        if findall(block, m.Break() | m.Continue()):
            return False
        if isinstance(last, cst.Raise):
            return True
        call = last.value if isinstance(last, cst.Expr) else None
        return isinstance(call, cst.Call) and bool(self.api.qualified_names(call.func) & EXIT_CALLS)

    def _may_be_caught(self, node: cst.CSTNode) -> bool:
        """In the body of a ``try`` or of a ``with`` (a context manager may suppress)."""
        child, parent = node, self.facts.parents.get(node)
        while parent is not None:
            if isinstance(parent, (cst.Try, cst.TryStar, cst.With)) and child is parent.body:
                return True
            child, parent = parent, self.facts.parents.get(parent)
        return False

    def _starts_processes(self, module: cst.Module) -> bool:
        """A process API is called anywhere, or a statement of the module's body starts
        workers (iterates a ``DataLoader`` with workers, maps with ``num_proc``)."""
        return any(self.api.call_api(call) in TRIGGERS for call in findall(module, m.Call())) or any(
            self._workers.starts(statement.body if is_main_guard(statement) else statement) is not None
            for statement in module.body
        )

    def _unguarded_start(self, body: Sequence[cst.BaseStatement]) -> bool:
        return any(
            any(self.api.call_api(call) in TRIGGERS for call in calls_in(statement))
            or self._workers.starts(statement) is not None
            for statement in body
            if not is_main_guard(statement)
        )

    def _forks_only(self, module: cst.Module) -> bool:
        """Every process that the module starts is forked: from a fork context, under
        ``set_start_method("fork")``, or by torch's ``start_processes(start_method="fork")``."""
        if any(self._workers.starts(s.body if is_main_guard(s) else s) is not None for s in module.body):
            return False  # a DataLoader's or a num_proc map's workers: their library's start method
        methods = StartMethods(module, self.api)
        if not self._pinned_for_good(module):
            methods.default = None  # a start method set under a condition may not be set
        subclasses = self._process_subclasses(module)
        found = []
        for call in findall(module, m.Call()):
            assert isinstance(call, cst.Call)
            api = self.api.call_api(call)
            if isinstance(call.func, cst.Name) and call.func.value in subclasses:
                found.append(methods.default)  # the module's own Process: the method in force
            elif api in STARTS:
                found.append(self._method(call, methods))
            elif api in TRIGGERS and api not in ("set_start_method", "freeze_support"):
                found.append(None)  # another library's pool: its own start method
        return bool(found) and all(method == "fork" for method in found)

    def _process_subclasses(self, module: cst.Module) -> set[str]:
        """The module's classes that derive from ``Process``, directly or through another."""
        classes = [c for c in findall(module, m.ClassDef()) if isinstance(c, cst.ClassDef)]
        found: set[str] = set()
        changed = True
        while changed:
            changed = False
            for c in classes:
                bases = [b.value for b in c.bases]
                if c.name.value not in found and any(
                    self.api.api(b) == "Process" or (isinstance(b, cst.Name) and b.value in found) for b in bases
                ):
                    found.add(c.name.value)
                    changed = True
        return found

    def _pinned_for_good(self, module: cst.Module) -> bool:
        """Every ``set_start_method()`` is a statement of the module's body or of its
        guard's, which runs whenever the script does."""
        for call in findall(module, m.Call()):
            if not (isinstance(call, cst.Call) and self.api.call_api(call) == "set_start_method"):
                continue
            expr = self.facts.parents.get(call)
            line = self.facts.parents.get(expr) if isinstance(expr, cst.Expr) else None
            block = self.facts.parents.get(line) if isinstance(line, cst.SimpleStatementLine) else None
            guard = self.facts.parents.get(block) if isinstance(block, cst.IndentedBlock) else None
            if not (block is module or (isinstance(guard, cst.If) and is_main_guard(guard))):
                return False
        return True

    def _method(self, call: cst.Call, methods: StartMethods) -> str | None:
        if self.api.call_api(call) != "spawn":
            return methods.method(call)
        # torch's: spawn() always spawns, start_processes() takes the method it is given
        if not any(name.endswith(".start_processes") for name in self.api.qualified_names(call.func)):
            return "spawn"
        given = keyword(call, "start_method")
        if given is None:
            return "spawn"
        value = given.value.evaluated_value if isinstance(given.value, cst.SimpleString) else None
        return value if isinstance(value, str) else None

    @property
    def _workers(self) -> WorkerStarts:
        return self.facts.memo((WorkerStarts, self.SPEC.code), lambda: WorkerStarts(self.facts.module, self.api))

    def _child_reads(self, body: Sequence[cst.BaseStatement], guard: int) -> list[ChildRead]:
        """Module-level names read by code that may run in a child, were every statement
        before the guard that is no definition to join it."""
        reach = reach_of(self.facts)
        parent = _candidates(body, guard) | {guard}
        return reach.child_reads(reach.parent_only(parent), parent)

    def _movable(self, body: Sequence[cst.BaseStatement], guard: int, needed: set[str]) -> set[int]:
        """Statements before the guard that only the script needs and that can join the
        top of the guard without changing what anything sees: they bind or change no name
        a child may read (``needed``), and pass only over definitions and constants (which
        stay) that neither read what they bind nor define what they read. A constant made
        of what such a statement above it binds (``size = len(data)``) moves with them,
        when it can: left in place, it would keep them in place."""
        reach = reach_of(self.facts)
        candidates = _candidates(body, guard)
        movable: set[int] = set()
        passed_binds: set[str] = set()  # names bound by the definitions passed over
        passed_reads: set[str] = set()  # names those definitions read when they run
        passed_dotted: list[cst.BaseStatement] = []  # those whose defaults read an attribute (``os.sep``)
        imported = imported_only(body, reach)
        local = module_callables(body)
        # Names bound, above each statement, by statements that would have to move to join
        # the guard, and that may: no definitions or constants, and nothing a child reads.
        script_bound: list[set[str]] = [set()]
        for index in range(guard):
            binds = reach.bindings[index]
            staying = pure_definition(body[index], dotted=True) or pure_assignment(body[index])
            moving = index in candidates and not staying and not binds & needed
            script_bound.append(script_bound[-1] | (binds if moving else set()))
        for index in range(guard - 1, -1, -1):
            statement = body[index]
            binds = reach.bindings[index]
            may_join = (
                index in candidates
                and not (binds | mutated_roots(statement)) & needed
                and not names_in(statement) & passed_binds
                and not binds & passed_reads
                and all(dotted_defaults_hold(passed, [statement], imported, local) for passed in passed_dotted)
            )
            if pure_assignment(statement) and may_join and names_in(statement) & script_bound[index]:
                movable.add(index)
            elif pure_definition(statement, dotted=True) or pure_assignment(statement):
                # Without side effects it may stay where it is: the moved code passes it.
                passed_binds |= binds
                passed_dotted += [statement] if dotted_defaults(statement) else []
                passed_reads |= set().union(*map(names_in, definition_time_parts(statement))) | (
                    names_in(statement) if pure_assignment(statement) else set()
                )
            elif may_join:
                movable.add(index)
            else:
                break
        return movable

    def _moved(self, module: cst.Module, movable: set[int], guard: int) -> cst.Module:
        body = list(module.body)
        guard_node = body[guard]
        assert isinstance(guard_node, cst.If) and isinstance(guard_node.body, cst.IndentedBlock)
        moved = [as_block_statement(one_level_deeper(body[i], module.default_indent)) for i in sorted(movable)]
        moved[0] = moved[0].with_changes(leading_lines=[line for line in leading_lines(moved[0]) if line.comment])
        inner = list(guard_node.body.body)
        # The blank lines that parted the statement right above the guard from it, when it
        # moves, now part it from the guard's first statement: one blank line in the block.
        parted = guard - 1 in movable and split_blank_prefix(guard_node.leading_lines)[0]
        if parted and not split_blank_prefix(leading_lines(inner[0]))[0]:
            blank_line = cst.EmptyLine(indent=False)
            inner[0] = inner[0].with_changes(leading_lines=[blank_line, *leading_lines(inner[0])])
        new_guard = guard_node.with_changes(body=guard_node.body.with_changes(body=[*moved, *inner]))
        # A removed statement's blank lines pass to the next statement that stays.
        kept: list[cst.BaseStatement] = []
        blank: list[cst.EmptyLine] = []
        for index, statement in enumerate([*body[:guard], new_guard]):
            own, _ = split_blank_prefix(statement.leading_lines)
            if index in movable:
                blank = max(blank, own, key=len)
                continue
            if len(blank) > len(own):
                statement = statement.with_changes(leading_lines=[*blank, *statement.leading_lines[len(own) :]])
            blank = []
            kept.append(statement)
        return module.with_changes(body=[*kept, *body[guard + 1 :]])


RULE = ImportSideEffects
