"""Planning the hand-over of an inter-process object from the parent to its children.

A fix has two parts, and the engine's fixpoint rounds compose them with MP001:

1. *Hand-over*: children stop reaching the object through a global. A process target gets
   it as a new parameter, passed at every start; pool workers get it once each through an
   initializer that binds the module-level name (so their code stays as it was).
2. *Move*: the creation moves to where the parent first needs it: into the ``__main__``
   guard when the first use is there; without a guard, down to the first use at module
   level, where MP001 takes it under the guard with the rest of the script. Pool workers
   still read the module-level name, so a pure placeholder ``name = None`` stays behind.

MP001 keeps at module level every name that code in a child reads and refuses to move a
non-constant assignment of one. After step 1 no child reads a process target's object
through a global, so MP001 can move its creation; a pool's object is still read through
the placeholder's name, so its creation stays at module level until a guard exists, and
then step 2 alone (a later round) moves it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass

import libcst as cst
from libcst.metadata import GlobalScope, Scope

from ...analysis import match as m
from ...analysis.bindings import bound_node
from ...analysis.entries import entries_of
from ...analysis.facts import ModuleFacts, findall
from ...analysis.guard import is_main_guard
from ...analysis.ipc import Creation, StartMethods, creation_of, manager_names
from ...analysis.names import api_of
from ...analysis.reachability import reach_of
from ...analysis.statements import definition_time_parts, is_definition, is_import, names_in, pure_assignment
from ...prechecks.ipc_outside_parent import STARTERS as STARTERS
from ...rewrite.handover import Edits, placeholder
from .._base import Unfixable


@dataclass(frozen=True)
class Placed:
    """A creation in parent code, and where: ``block`` holds it at ``index``; ``top`` is the
    index of the top-level statement that holds it."""

    creation: Creation
    block: cst.Module | cst.IndentedBlock
    index: int
    top: int

    @property
    def in_guard(self) -> bool:
        return not isinstance(self.block, cst.Module)


class IpcModule:
    """What MP003 needs to know about one module, and the edits it makes."""

    def __init__(self, facts: ModuleFacts, line_of: Callable[[cst.CSTNode], int]) -> None:
        self.module = module = facts.module
        self.body = list(module.body)
        self.api = api = api_of(facts)
        self.scopes: Mapping[cst.CSTNode, Scope | None] = facts.scopes
        self.parents: Mapping[cst.CSTNode, cst.CSTNode] = facts.parents
        self.line_of = line_of
        self.reach = reach_of(facts)
        self.script = {i for i, s in enumerate(self.body) if not is_definition(s)}
        self.parent_only = self.reach.parent_only(self.script)
        self.child_reads = self.reach.child_reads(self.parent_only, self.script)
        self.entries = entries_of(facts)
        self.uses = self.entries.uses
        self.taken = names_in(module)
        self.managers = manager_names(module, api)
        self.methods = StartMethods(module, api)
        self.mentions = {s.name.value: names_in(s) for s in self.body if isinstance(s, (cst.FunctionDef, cst.ClassDef))}
        subclasses = {
            s.name.value for s in self.body
            if isinstance(s, cst.ClassDef) and any(api.api(base.value) == "Process" for base in s.bases)
        }  # fmt: skip
        self.starts_children = {name for name, uses in self.uses.items() if uses.runs_in_child} | subclasses
        self.reached_from = {entry: self.closure({entry}, downwards=True) for entry in self.starts_children}

    # -- facts -----------------------------------------------------------------------

    def function(self, name: str) -> cst.FunctionDef:
        return self.body[self.reach.functions[name]]  # type: ignore[return-value]

    def closure(self, names: set[str], downwards: bool = False) -> set[str]:
        """``names`` and the top-level functions and classes that mention them (downwards:
        that they mention), transitively."""
        found = set(names)
        defined = set(self.mentions)
        changed = True
        while changed:
            changed = False
            for name, mentioned in self.mentions.items():
                if downwards:
                    new = (mentioned & defined) - found if name in found else set()
                else:
                    new = {name} if name not in found and mentioned & found else set()
                if new:
                    found |= new
                    changed = True
        return found

    def entry_reaching(self, name: str) -> str | None:
        return next((entry for entry in sorted(self.reached_from) if name in self.reached_from[entry]), None)

    def in_parent(self, node: cst.CSTNode) -> bool:
        """Whether ``node`` runs only in the parent (the script part or parent-only code)."""
        scope = self.scopes.get(node)
        if isinstance(scope, GlobalScope):
            return self.reach.owner.get(id(node)) in self.script
        return scope is not None and self.reach.runs_in_parent_only(scope, self.parent_only, self.script)

    def shadowed(self, node: cst.CSTNode, name: str) -> bool:
        """Whether ``name`` at ``node`` is a local name rather than the module global."""
        scope = self.scopes.get(node)
        while scope is not None and not isinstance(scope, GlobalScope):
            if scope.assignments[name]:
                return True
            scope = scope.parent
        return False

    def after(self, node: cst.CSTNode, placed: Placed) -> bool:
        """Whether ``node`` runs after ``placed``'s statement, by position in its block (a
        function body runs when called, after module-level creations)."""
        ancestor: cst.CSTNode | None = node
        while ancestor is not None and self.parents.get(ancestor) is not placed.block:
            ancestor = self.parents.get(ancestor)
        if ancestor is None:
            # In a function: it runs after the creation when whatever calls it does.
            owner = self.reach.owner.get(id(node))
            function = self.body[owner] if owner is not None else None
            return isinstance(function, cst.FunctionDef) and self._called_after(function.name.value, placed)
        if not placed.in_guard and isinstance(ancestor, (cst.FunctionDef, cst.ClassDef)):
            return True
        return next(i for i, s in enumerate(placed.block.body) if s is ancestor) > placed.index

    def _called_after(self, function: str, placed: Placed) -> bool:
        """Whether all code outside functions that mentions ``function`` (or a function that
        leads to it) comes after ``placed``'s statement in its block."""
        users = self.closure({function})
        for statement in self.body:
            if isinstance(statement, (cst.FunctionDef, cst.ClassDef)):
                continue
            for name in findall(statement, m.Name()):
                if isinstance(name, cst.Name) and name.value in users and not self.after(name, placed):
                    return False
        return True

    def initializer_assignment(self, node: cst.CSTNode) -> bool:
        """Whether ``node`` (an assignment target) is in a function used only as a pool
        initializer: that binding happens in the workers, not in the parent."""
        owner = self.reach.owner.get(id(node))
        statement = self.body[owner] if owner is not None else None
        return (
            isinstance(statement, cst.FunctionDef)
            and self.uses.get(statement.name.value, None) is not None
            and (self.uses[statement.name.value].only_initializer)
        )

    def parent_bindings(self, name: str) -> list[cst.CSTNode]:
        nodes = [bound_node(a) for a in self.reach.global_scope.assignments[name]]
        return [node for node in nodes if node is not None and not self.initializer_assignment(node)]

    def fresh(self, base: str) -> str:
        name, number = base, 2
        while name in self.taken:
            name, number = f"{base}_{number}", number + 1
        self.taken.add(name)
        return name

    # -- where the creation goes -------------------------------------------------------

    def first_use(self, after: int, names: set[str]) -> tuple[cst.BaseStatement, int] | None:
        """The first statement after top-level index ``after`` that may run code using
        ``names`` (directly or through the functions that mention them), with the index of
        its top-level statement; inside a guard, the guard's statement."""
        wanted = self.closure(names)
        for index in range(after + 1, len(self.body)):
            statement = self.body[index]
            if is_main_guard(statement):
                if not isinstance(statement.body, cst.IndentedBlock):
                    return None  # a one-line guard: nowhere to insert
                for inner in statement.body.body:
                    if names_in(inner) & wanted:
                        return inner, index
            elif is_definition(statement):
                if any(names_in(part) & wanted for part in definition_time_parts(statement)):
                    return statement, index
            elif names_in(statement) & wanted:
                return statement, index
        return None

    def constant_inputs(self, value: cst.CSTNode, before: int, between: Sequence[cst.CSTNode] = ()) -> bool:
        """Whether ``value`` reads only builtins, imports and names bound once before
        top-level index ``before`` that nothing in ``between`` mentions: evaluating it
        later gives the same object."""
        for name in names_in(value):
            bindings = self.parent_bindings(name)
            owners = [self.reach.owner.get(id(node)) for node in bindings]
            if any(owner is None or owner >= before for owner in owners):
                return False
            if all(is_import(self.body[owner]) for owner in owners):  # type: ignore[index]
                continue
            if len(bindings) > 1 or any(name in _runs_now(node) for node in between):
                return False
        return True

    def move(
        self, placed: Placed, names: set[str], edits: Edits, keep_name: bool, only_into_guard: bool = False
    ) -> str:
        """Move a module-level creation down to its first use (see the module docstring);
        ``keep_name``: pool workers read its name, so a placeholder stays. Returns where it
        went: "guard", "module", or "" when it stays."""
        found = None if placed.in_guard else self.first_use(placed.index, names)
        if found is None:
            return ""
        anchor, top = found
        in_guard = self.body[top] is not anchor
        if (only_into_guard and not in_guard) or (not in_guard and top == placed.index + 1):
            return ""  # already next to its first use
        between: list[cst.CSTNode] = [*self.body[placed.index + 1 : top]]
        if in_guard:
            guard = self.body[top]
            assert isinstance(guard, cst.If)  # the guard that holds the first use
            guard_body = guard.body.body
            between += guard_body[: next(i for i, s in enumerate(guard_body) if s is anchor)]
        statement = placed.creation.statement
        if not self.constant_inputs(statement.body[0].value, placed.index, between):  # type: ignore[attr-defined]
            return ""
        if keep_name and not self.placeholder_exists(placed.creation.names):
            edits.change(
                statement, lambda s: placeholder(placed.creation.names).with_changes(leading_lines=s.leading_lines)
            )
            edits.insert_before(anchor, [statement.with_changes(leading_lines=[])])
        else:
            edits.remove(statement)
            edits.insert_before(anchor, [statement])
        return "guard" if in_guard else "module"

    # -- checks shared by the hand-overs -------------------------------------------------

    def check_site(self, call: cst.Call, names: Sequence[str], placed: Placed | None, what: str) -> None:
        line = self.line_of(call)
        if not self.in_parent(call):
            raise Unfixable(f"{what} on line {line} may itself run in a child process")
        if placed is not None and not self.after(call, placed):
            raise Unfixable(f"{what} on line {line} does not come after `{names[0]}` is created")
        for name in names:
            if self.shadowed(call, name):
                raise Unfixable(f"`{name}` is a local name where {what} on line {line} is")

    def check_assignments(self, placed: Placed) -> None:
        """The creation must be the only binding in the parent, but for pure placeholders."""
        own = {id(node) for node in findall(placed.creation.statement, m.Name())}
        for name in placed.creation.names:
            for node in self.parent_bindings(name):
                if id(node) in own or self.is_placeholder(node):
                    continue
                raise Unfixable(f"`{name}` is also assigned on line {self.line_of(node)}")

    def is_placeholder(self, node: cst.CSTNode) -> bool:
        owner = self.reach.owner.get(id(node))
        return owner is not None and pure_assignment(self.body[owner])

    def placeholder_exists(self, names: Sequence[str]) -> bool:
        return any(self.is_placeholder(node) for name in names for node in self.parent_bindings(name))

    def check_context(self, creation: Creation, starts: Sequence[cst.Call]) -> None:
        """A lock or queue made in one start method's context cannot go to a process of
        another (a fork-context lock refuses to be pickled for spawn)."""
        if creation.kind == "proxy":
            return  # a proxy talks to its manager over a connection: any context will do
        made = self.methods.method(creation.call)
        for call in starts:
            if self.methods.method(call) != made:
                raise Unfixable(
                    f"it is made in another start method's context than the processes started on line "
                    f"{self.line_of(call)}; create both from the same context"
                )

    def fork_only(self, readers: list[str]) -> bool:
        """Every process that may read the object is started with fork, asked for in the
        code: sharing by inheritance is intended there, and no finding is reported."""
        calls: list[cst.Call] = []
        for entry, reached in self.reached_from.items():
            if reached & set(readers):
                uses = self.uses.get(entry)
                if uses is None:
                    return False  # a Process subclass: its starts are not tracked
                calls += [*uses.targets, *uses.tasks, *uses.initializes]
        return bool(calls) and all(self.methods.method(call) == "fork" for call in calls)

    def local_use(self, node: cst.CSTNode) -> bool:
        """``with lock:`` or ``lock.acquire()``: a use that hands the object to nobody."""
        parent = self.parents.get(node)
        if isinstance(parent, cst.WithItem):
            return parent.item is node
        call = self.parents.get(parent) if isinstance(parent, cst.Attribute) and parent.value is node else None
        return isinstance(call, cst.Call) and call.func is parent

    # -- creations -----------------------------------------------------------------------

    def parent_creations(self) -> Iterator[Placed]:
        """Creations in code only the parent runs: the module's top level (outside guards)
        and the guards' bodies with their nested blocks, but no function bodies."""
        blocks: list[tuple[cst.Module | cst.IndentedBlock, int]] = [(self.module, -1)]
        for top, statement in enumerate(self.body):
            if is_main_guard(statement) and isinstance(statement.body, cst.IndentedBlock):
                blocks += [(block, top) for block in _nested_blocks(statement.body)]
        for block, top in blocks:
            for index, inner in enumerate(block.body):
                creation = creation_of(inner, self.api, self.managers)
                if creation is not None:
                    yield Placed(creation, block, index, index if top < 0 else top)

    def worker_creations(self) -> Iterator[tuple[str, Creation]]:
        """Creations at the top of the body of functions that run in children."""
        for name, uses in self.uses.items():
            body = self.function(name).body
            if uses.runs_in_child and isinstance(body, cst.IndentedBlock):
                for statement in body.body:
                    creation = creation_of(statement, self.api, set())
                    if creation is not None and creation.kind != "Manager" and len(creation.names) == 1:
                        yield name, creation


def _nested_blocks(block: cst.IndentedBlock) -> Iterator[cst.IndentedBlock]:
    yield block
    for statement in block.body:
        if not isinstance(statement, (cst.FunctionDef, cst.ClassDef)):
            for child in _blocks_of(statement):
                yield from _nested_blocks(child)


def _blocks_of(node: cst.CSTNode) -> Iterator[cst.IndentedBlock]:
    for child in node.children:
        if isinstance(child, cst.IndentedBlock):
            yield child
        elif isinstance(child, (cst.Else, cst.ExceptHandler, cst.ExceptStarHandler, cst.Finally, cst.If)):
            yield from _blocks_of(child)


def _runs_now(statement: cst.CSTNode) -> set[str]:
    """The names a statement may read when it runs (a definition: not its body)."""
    if is_definition(statement):
        return set().union(*(names_in(part) for part in definition_time_parts(statement)))
    return names_in(statement)
