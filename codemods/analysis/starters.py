"""What module-level code starts: the calls that belong in the parent only (processes,
pools, managers, the start method), directly or through the module's own functions and
``Process`` subclasses."""

from __future__ import annotations

import libcst as cst

from . import match as m
from .facts import ModuleFacts, findall
from .guard import is_main_guard, is_script
from .ipc import keyword
from .names import TRIGGERS, ApiResolver, api_of
from .statements import calls_in


class Starters:
    def __init__(self, facts: ModuleFacts, api: ApiResolver) -> None:
        self.facts = facts
        self.module = facts.module
        self.api = api
        self.names: dict[str, str] = {}  # top-level functions and classes whose call starts processes
        self._find_starters()

    def starts(self, call: cst.Call) -> str | None:
        """What ``call`` does that belongs in the parent only, in words, or None."""
        if self.api.call_api(call) == "set_start_method" and _forced(call):
            return None  # a child that runs it again sets its own start method, and nothing fails
        return self._triggers(call)

    def _triggers(self, call: cst.Call) -> str | None:
        """What ``call`` does, forced start methods included."""
        api = self.api.call_api(call)
        if api in TRIGGERS:
            return f"`{self.module.code_for_node(call.func)}()` {TRIGGERS[api]}"
        func = call.func
        if isinstance(func, cst.Name) and func.value in self.names and func.value in self.api.qualified_names(func):
            return f"`{func.value}()` ({self.names[func.value]}) starts processes"
        return None

    def module_level(self, forced: bool = False) -> list[tuple[int, list[cst.Call]]]:
        """(index, calls) of the top-level statements outside the main guard whose calls start
        something (``forced``: ``set_start_method(..., force=True)`` too)."""
        starts = self._triggers if forced else self.starts
        found = []
        for index, statement in enumerate(self.module.body):
            if not is_main_guard(statement):
                calls = [call for call in calls_in(statement) if starts(call) is not None]
                if calls:
                    found.append((index, calls))
        return found

    def only_a_library_choosing_its_start_method(self) -> bool:
        """A module that is imported rather than run, whose only module-level trigger is
        setting the start method: a guard would keep the setting from its importers;
        library-sets-start-method (MP017) gives it a context of its own instead."""
        calls = [call for _, found in self.module_level(forced=True) for call in found]
        only_start_method = all(self.api.call_api(call) == "set_start_method" for call in calls)
        return bool(calls) and only_start_method and not is_script(self.facts)

    def _find_starters(self) -> None:
        """Top-level functions and classes whose call starts processes, transitively."""
        bodies = {}
        for statement in self.module.body:
            if isinstance(statement, cst.ClassDef):
                if any(self.api.api(base.value) == "Process" for base in statement.bases):
                    self.names[statement.name.value] = "a `Process` subclass"
            elif isinstance(statement, cst.FunctionDef):
                bodies[statement.name.value] = _calls_when_called(statement)
        changed = True
        while changed:
            changed = False
            for name, calls in bodies.items():
                if name in self.names:
                    continue
                for call in calls:
                    what = self.starts(call)
                    if what is not None:
                        self.names[name] = "which calls " + what.split(" ")[0]
                        changed = True
                        break


def _forced(call: cst.Call) -> bool:
    """``set_start_method(..., force=True)``: it replaces a method set before instead of
    raising ``RuntimeError``, as a child (which has its method set) would raise."""
    force = keyword(call, "force")
    return force is not None and isinstance(force.value, cst.Name) and force.value.value == "True"


def _calls_when_called(function: cst.FunctionDef) -> list[cst.Call]:
    """The calls that run when ``function`` is called: those of its own body and of the
    nested functions that it calls, not of those it only returns (a decorator factory's
    ``def wrapper(f): ... return wrapper`` starts nothing when the factory is called)."""
    nested = {
        node.name.value: node for node in findall(function.body, m.FunctionDef()) if isinstance(node, cst.FunctionDef)
    }
    calls = calls_in(function.body)
    entered: set[str] = set()
    for call in calls:  # grows while it is walked: the nested functions' calls join it
        if not isinstance(call.func, cst.Name):
            continue
        name = call.func.value
        if name in nested and name not in entered:
            entered.add(name)
            calls.extend(calls_in(nested[name].body))
    return calls


def starters_of(facts: ModuleFacts, rule: str | None = None) -> Starters:
    """The module's starters, shared by every rule; ``rule``: as the resolver that rule hears
    finds them (a library that makes the rule moot starts nothing for it)."""
    return facts.memo((Starters, rule), lambda: Starters(facts, api_of(facts, rule)))
