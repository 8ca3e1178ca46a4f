"""Planning the move of a module's script part under ``if __name__ == "__main__":``.

The region from the first process start (or an earlier guard) to the end of the module is
split: definitions a child needs stay at module level, in order; everything else moves
into one guard at the end, in order. Statements just before the region move too when they
are provably script-only, and so do imports in the region that only the parent uses. A
definition that would end up above moved code is allowed only when defining it earlier
provably changes nothing; otherwise the plan is Unfixable.

What follows the last statement that may start a process cannot change what a child sees:
under fork the children exist already, under spawn they import the module afresh. So it
moves under the guard as it is.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import TypeVar

import libcst as cst
from libcst.metadata import Access, Assignment, GlobalScope

from ...analysis import match as m
from ...analysis.facts import findall
from ...analysis.guard import is_main_guard
from ...analysis.names import ApiResolver
from ...analysis.reachability import ModuleReach, imported_only
from ...analysis.statements import (
    PURE_BUILTINS,
    calls_in,
    definition_time_parts,
    dotted_defaults_hold,
    is_definition,
    is_docstring,
    is_import,
    module_callables,
    mutated_roots,
    names_in,
    pure_assignment,
    pure_definition,
    root_name,
)
from ...analysis.threads import ModuleThreads
from ...rewrite.guard import DEFAULT_TEST, guard_body, make_guard
from ...rewrite.nodes import as_block_statement, leading_lines, one_level_deeper, split_blank_prefix
from .._base import Unfixable

Statement = TypeVar("Statement", bound=cst.BaseStatement)

# Calls that script-only preamble code may make (``args = parser.parse_args()``).
_SCRIPT_CALLS = frozenset({"print", "input", *PURE_BUILTINS})
_SCRIPT_MODULES = ("argparse.",)


@dataclass(frozen=True)
class ImporterLoss:
    """A module-level name that a module importing this one would no longer get from the
    moved code."""

    name: str
    rebound_on: int | None  # code that stays binds it too: the line of the value lost


class GuardPlan:
    def __init__(
        self,
        module: cst.Module,
        triggers: Collection[int],
        reach: ModuleReach,
        api: ApiResolver,
        line_of: Callable[[cst.CSTNode], int],
    ) -> None:
        """``triggers``: indices of the top-level statements that start processes."""
        self.module = module
        self.body = list(module.body)
        self.triggers = set(triggers)
        self.reach = reach
        self.api = api
        self.line_of = line_of
        self.globals = {assignment.name for assignment in reach.global_scope.assignments}
        self.import_names = set().union(*(reach.bindings[i] for i, s in enumerate(self.body) if is_import(s)))
        self.imported = imported_only(self.body, reach)
        first_trigger = min(self.triggers)
        guards_before = [i for i in range(first_trigger) if is_main_guard(self.body[i])]
        # Under fork no child runs a thread that the parent started before it: the thread
        # belongs to the script part, and the code from its start on moves with it (left
        # behind, it would run in every child, waiting there for what only the script does).
        threads = ModuleThreads(self.body, api)
        self.thread = threads.first_started_before(first_trigger, reach.bindings)
        self.first_trigger = first_trigger
        self.start = min([first_trigger, *guards_before, *([] if self.thread is None else [self.thread])])
        region = range(self.start, len(self.body))
        self.moving = {i for i in region if not is_definition(self.body[i])}
        self.last_start = self._last_start()
        self.parent_only = reach.parent_only(self.moving, threads.target_of)
        self.child_reads = reach.child_reads(self.parent_only, self.moving)
        self.needed = {read.name for read in self.child_reads}
        self.moving |= {i for i in region if is_import(self.body[i]) and self._used_by_parent_only(i)}
        self._extend_backwards()

    # -- which statements move -------------------------------------------------------

    def _reader_of(self, name: str) -> str:
        return next(r.reader for r in self.child_reads if r.name == name)

    def _mutates_needed(self, statement: cst.CSTNode) -> str | None:
        """A child-needed name that ``statement`` assigns into or calls a method of."""
        return next(iter(sorted(mutated_roots(statement, self.imported) & self.needed)), None)

    def _last_start(self) -> int:
        """The last statement of the region that may start a process: one that starts
        them, an existing guard, or one that mentions a function or class of the module or
        a name bound by such a statement (``pool``, ``procs``, before ``p.start()``)."""
        defined = set().union(
            *(self.reach.bindings[i] for i, s in enumerate(self.body) if isinstance(s, (cst.FunctionDef, cst.ClassDef)))
        )
        handles: set[str] = set()
        last = self.start
        for index in range(self.start, len(self.body)):
            statement = self.body[index]
            is_def = isinstance(statement, (cst.FunctionDef, cst.ClassDef))
            mentioned = set().union(*map(names_in, definition_time_parts(statement) if is_def else [statement]))
            if index in self.triggers or is_main_guard(statement) or mentioned & (defined | handles):
                handles |= self.reach.bindings[index]
                last = index
        return last

    def _used_by_parent_only(self, index: int) -> bool:
        """An import whose names are read, and only by code that runs in the parent alone
        (the moving statements and parent-only functions): it may stay in its place, under
        the guard, rather than move above the code before it."""
        accesses = [
            access
            for name in self.reach.bindings[index]
            for assignment in self.reach.global_scope.assignments[name]
            for access in assignment.references
        ]
        return bool(accesses) and all(map(self._in_parent, accesses))

    def _in_parent(self, access: Access) -> bool:
        if isinstance(access.scope, GlobalScope):
            return self.reach.owner.get(id(access.node)) in self.moving
        return self.reach.runs_in_parent_only(access.scope, self.parent_only, self.moving)

    def _script_only(self, index: int) -> bool:
        statement = self.body[index]
        if is_definition(statement) or is_main_guard(statement) or (index == 0 and is_docstring(statement)):
            return False
        if self.reach.bindings[index] & self.needed or self._mutates_needed(statement):
            return False
        return all(self._script_call(call) for call in calls_in(statement))

    def _script_call(self, call: cst.Call) -> bool:
        if self.api.call_api(call) is not None:
            return True
        func = call.func
        if isinstance(func, cst.Name):
            return func.value in _SCRIPT_CALLS and func.value not in self.globals
        if any(name.startswith(_SCRIPT_MODULES) for name in self.api.qualified_names(func)):
            return True
        root = root_name(func)
        return root is not None and root not in self.import_names and root not in self.reach.functions

    def _extend_backwards(self) -> None:
        while self.start > 0 and self._script_only(self.start - 1):
            self.start -= 1
            self.moving.add(self.start)

    # -- checks ----------------------------------------------------------------------

    def _check_moving(self, index: int) -> None:
        statement = self.body[index]
        clash = sorted(self.reach.bindings[index] & self.needed)
        if clash:
            name = clash[0]
            raise Unfixable(
                f"`{name}` is read by `{self._reader_of(name)}`, which may run in a child process, "
                f"but is assigned by module-level code (line {self.line_of(statement)}) that would move "
                f"under the guard, where children never see it{self._moved_with_thread(index)}"
            )
        mutated = self._mutates_needed(statement)
        if mutated:
            raise Unfixable(
                f"`{mutated}` is read by `{self._reader_of(mutated)}`, which may run in a child process, "
                f"but is changed by module-level code (line {self.line_of(statement)}) that would move under the guard"
                + self._moved_with_thread(index)
            )

    def _moved_with_thread(self, index: int) -> str:
        """Why code before the first process start moves: a thread started before it."""
        if self.thread is None or index >= self.first_trigger:
            return ""
        line = self.line_of(self.body[self.thread])
        return f"; it moves because it follows the thread started on line {line}, which no child runs under fork"

    def _check_hoist(self, index: int, moved_before: list[int]) -> None:
        """``body[index]`` stays at module level but ends up above ``moved_before``."""
        if not moved_before:
            return
        statement = self.body[index]
        line = self.line_of(statement)
        moved_names = set().union(*(names_in(self.body[j]) for j in moved_before))
        moved_bindings = set().union(*(self.reach.bindings[j] for j in moved_before))
        used_early = sorted(self.reach.bindings[index] & moved_names)
        if used_early:
            raise Unfixable(f"`{used_early[0]}` (line {line}) is used by code above it that would move under the guard")
        if isinstance(statement, (cst.FunctionDef, cst.ClassDef)):
            parts = set().union(*(names_in(p) for p in definition_time_parts(statement)))
            moved = [self.body[j] for j in moved_before]
            holds = dotted_defaults_hold(statement, moved, self.imported, module_callables(self.body))
            if not pure_definition(statement, dotted=True) or not holds or parts & moved_bindings or (
                parts & PURE_BUILTINS & self.globals
            ):
                raise Unfixable(
                    f"code above the definition of `{statement.name.value}` (line {line}) would move below it, into "
                    "the guard, and its decorators, defaults or class body may depend on that code running first"
                )
        elif is_import(statement):
            if not all(self._import_neutral(j) for j in moved_before):
                raise Unfixable(
                    f"code above the import on line {line} would move below it, into the guard, and may change what "
                    "it imports"
                )
        else:  # a constant that children read
            names = names_in(statement)
            if names & moved_bindings or names & PURE_BUILTINS & self.globals:
                raise Unfixable(
                    f"code above the assignment on line {line} would move below it, into the guard, and the "
                    "assignment depends on it"
                )
            rebound = sorted(self.reach.bindings[index] & set().union(*(self.reach.bindings[j] for j in range(index))))
            if rebound:
                raise Unfixable(
                    f"`{rebound[0]}` is assigned again on line {line}; moving that above code that runs "
                    "before it would change what that code and the children see"
                )

    def _import_neutral(self, index: int) -> bool:
        """Code that cannot change what an import finds: only multiprocessing calls, pure
        builtins and methods of objects the script made (``sys.path.insert`` is none; an
        import that stays under the guard may change anything)."""
        if is_import(self.body[index]):
            return False
        for call in calls_in(self.body[index], whole_functions=True):
            if self.api.call_api(call) is not None:
                continue
            func = call.func
            if isinstance(func, cst.Name):
                if func.value in _SCRIPT_CALLS and func.value not in self.globals:
                    continue
                return False
            root = root_name(func)
            if root is None or root in self.import_names or root in self.reach.functions:
                return False
        return True

    def _moves(self, index: int) -> bool:
        """Whether ``body[index]`` goes under the guard (a constant that children read
        stays, unless it follows the last start, which no child sees)."""
        return index in self.moving and not (
            index <= self.last_start and self.reach.bindings[index] & self.needed and pure_assignment(self.body[index])
        )

    def moved_names(self) -> set[str]:
        """The module-level names that the moved code binds."""
        moves = [i for i in range(self.start, len(self.body)) if self._moves(i) and not is_main_guard(self.body[i])]
        return set().union(*(self.reach.bindings[i] for i in moves))

    def captured_for_importers(self) -> ImporterLoss | None:
        """What a module that imports this one would lose: a module-level value that the
        moved code binds and that the module's functions read or ``__all__`` lists, such
        as the ``pool`` a function uses. A name that the moved code binds only as a loop
        variable or ``with`` target holds one item or a closed resource, none an importer
        would use; a name nothing outside the moved code reads belongs to the script."""
        moves = {i for i in range(self.start, len(self.body)) if self._moves(i) and not is_main_guard(self.body[i])}
        exported = _listed_in_all(self.body)
        for name in sorted(set().union(*(self.reach.bindings[i] for i in moves))):
            assignments = self.reach.global_scope.assignments[name]
            moved = [
                a.node for a in assignments if isinstance(a, Assignment) and self.reach.owner.get(id(a.node)) in moves
            ]
            values = [node for node in moved if not self._holds_an_item(node)]
            references = (access for a in assignments for access in a.references)
            if values and (name in exported or any(self._read_by_function(access, moves) for access in references)):
                still_bound = len(moved) < len(assignments)
                return ImporterLoss(name, max(map(self.line_of, values)) if still_bound else None)
        return None

    def _holds_an_item(self, node: cst.CSTNode) -> bool:
        """``node`` is bound as (part of) a ``for`` loop's or a ``with`` statement's target."""
        target = node
        parent = self.reach.parents.get(target)
        while isinstance(parent, (cst.Element, cst.StarredElement, cst.Tuple, cst.List)):
            target, parent = parent, self.reach.parents.get(parent)
        if isinstance(parent, cst.For):
            return parent.target is target
        return isinstance(parent, cst.AsName) and isinstance(self.reach.parents.get(parent), cst.WithItem)

    def _read_by_function(self, access: Access, moves: Collection[int]) -> bool:
        """A read from inside a function, class or lambda that stays outside the guard."""
        return not isinstance(access.scope, GlobalScope) and self.reach.owner.get(id(access.node)) not in moves

    # -- the new module --------------------------------------------------------------

    def build(self) -> cst.Module:
        stays: list[cst.BaseStatement] = []
        moved: list[cst.BaseStatement] = []
        moved_indices: list[int] = []
        from_module_level: set[int] = set()  # ids of the moved statements that gain a level
        test: cst.BaseExpression | None = None
        header: cst.TrailingWhitespace | None = None
        footer: list[cst.EmptyLine] = []
        first_leading_lines: Sequence[cst.EmptyLine] = ()
        for index in range(self.start, len(self.body)):
            statement = self.body[index]
            if is_main_guard(statement):
                assert isinstance(statement, cst.If)
                inner = guard_body(statement)
                carried = list(statement.leading_lines)
                if test is None:
                    test = statement.test
                    if isinstance(statement.body, cst.IndentedBlock):
                        header = statement.body.header
                elif isinstance(statement.body, cst.IndentedBlock) and statement.body.header.comment:
                    carried.append(cst.EmptyLine(comment=statement.body.header.comment))
                if isinstance(statement.body, cst.IndentedBlock):
                    footer.extend(statement.body.footer)
                inner[0] = inner[0].with_changes(leading_lines=[*carried, *leading_lines(inner[0])])
                first_leading_lines = first_leading_lines if moved else leading_lines(inner[0])
                moved.extend(as_block_statement(s) for s in inner)
                moved_indices.append(index)
            elif not self._moves(index):
                if index in self.triggers:
                    raise Unfixable(
                        f"processes start while line {self.line_of(statement)} is being defined; "
                        "move that call into a function or the guard by hand"
                    )
                self._check_hoist(index, moved_indices)
                stays.append(_spaced(statement, self._previous(stays), self.body[index - 1]))
            else:
                if index <= self.last_start:
                    self._check_moving(index)
                first_leading_lines = first_leading_lines if moved else statement.leading_lines
                moved.append(as_block_statement(statement))
                from_module_level.add(id(moved[-1]))
                moved_indices.append(index)
        blank, comments = split_blank_prefix(list(first_leading_lines))
        moved[0] = moved[0].with_changes(leading_lines=comments)
        moved = self._freeze_support_first(moved)
        indent = self.module.default_indent
        moved = [one_level_deeper(s, indent) if id(s) in from_module_level else s for s in moved]
        guard = make_guard(moved, test=test or DEFAULT_TEST, leading_lines=blank, header=header)
        guard = _spaced(guard, self._previous(stays), self.body[moved_indices[0] - 1] if moved_indices[0] else None)
        if footer:
            guard = guard.with_changes(body=guard.body.with_changes(footer=footer))
        return self.module.with_changes(body=[*self.body[: self.start], *stays, guard])

    def _previous(self, stays: list[cst.BaseStatement]) -> cst.BaseStatement | None:
        """The statement that comes before the next one placed in the new module."""
        return stays[-1] if stays else (self.body[self.start - 1] if self.start else None)

    def _freeze_support_first(self, moved: list[cst.BaseStatement]) -> list[cst.BaseStatement]:
        """``freeze_support()`` must run first in a frozen Windows executable."""

        def is_freeze(statement: cst.BaseStatement) -> bool:
            return (
                isinstance(statement, cst.SimpleStatementLine)
                and len(statement.body) == 1
                and isinstance(statement.body[0], cst.Expr)
                and self.api.call_api(statement.body[0].value) == "freeze_support"
            )

        return [s for s in moved if is_freeze(s)] + [s for s in moved if not is_freeze(s)]


def _listed_in_all(body: Sequence[cst.BaseStatement]) -> set[str]:
    """The names that module-level assignments to ``__all__`` list."""
    all_name = m.Name("__all__")
    assignments = m.Assign(targets=[m.AssignTarget(all_name)]) | m.AugAssign(target=all_name)
    listed: set[str] = set()
    for statement in body:
        for small in statement.body if isinstance(statement, cst.SimpleStatementLine) else ():
            if isinstance(small, (cst.Assign, cst.AugAssign)) and m.matches(small, assignments):
                strings = [s for s in findall(small.value, m.SimpleString()) if isinstance(s, cst.SimpleString)]
                listed.update(string.evaluated_value for string in strings if isinstance(string.evaluated_value, str))
    return listed


def _spaced(statement: Statement, previous: cst.CSTNode | None, previous_before: cst.CSTNode | None) -> Statement:
    """Two blank lines after a def or class (PEP 8) where the rewrite made them neighbours
    (``previous_before`` came before the statement in the original order)."""
    blank, rest = split_blank_prefix(leading_lines(statement))
    if previous is not previous_before and isinstance(previous, (cst.FunctionDef, cst.ClassDef)) and len(blank) < 2:
        return statement.with_changes(leading_lines=[cst.EmptyLine(), cst.EmptyLine(), *rest])
    return statement
