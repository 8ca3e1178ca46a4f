"""Threads that a module makes and starts in its module-level code."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import libcst as cst

from .names import ApiResolver
from .project.apis import THREAD_CALLS as THREAD_CALLS
from .statements import calls_in, is_definition, names_in

THREAD_CLASS = "threading.Thread"
# Calls that make a thread and start it at once.
_STARTING_CALLS = frozenset({"_thread.start_new_thread", "_thread.start_new"})


class ModuleThreads:
    """The threads made by calls to ``threading.Thread``, ``threading.Timer``, a
    ``Thread`` subclass that the module defines, or ``_thread.start_new_thread``."""

    def __init__(self, body: Sequence[cst.BaseStatement], api: ApiResolver) -> None:
        self.body = body
        self.api = api
        self.classes = {s.name.value for s in body if isinstance(s, cst.ClassDef) and self.is_thread_class(s)}

    def is_thread_class(self, node: cst.ClassDef) -> bool:
        return any(THREAD_CLASS in self.api.qualified_names(base.value) for base in node.bases)

    def makes_thread(self, call: cst.Call) -> bool:
        local = isinstance(call.func, cst.Name) and call.func.value in self.classes
        return local or bool(THREAD_CALLS & self.api.qualified_names(call.func))

    def target_of(self, call: cst.Call) -> cst.Arg | None:
        """The argument that names the function the thread made by ``call`` runs."""
        names = self.api.qualified_names(call.func)
        if _STARTING_CALLS & names:
            return _argument(call, "function", 0)
        if "threading.Timer" in names:
            return _argument(call, "function", 1)
        return _argument(call, "target", 1) if self.makes_thread(call) else None

    def first_started_before(self, stop: int, bindings: Mapping[int, set[str]]) -> int | None:
        """The first top-level statement, of those before ``stop``, in a sequence that
        starts a thread: the statement that makes the thread (``t = Thread(...)``) when
        a later one starts it (``t.start()``). ``bindings``: the module-level names that
        each top-level statement binds."""
        makers: list[int] = []
        firsts: list[int] = []
        for index in range(stop):
            if is_definition(self.body[index]):
                continue
            calls = calls_in(self.body[index])
            if any(map(self.makes_thread, calls)):
                makers.append(index)
            if any(map(self._starts_made_thread, calls)):
                firsts.append(index)
            elif any(map(_calls_start, calls)):
                mentioned = names_in(self.body[index])
                firsts.extend(j for j in makers if bindings[j] & mentioned)
        return min(firsts, default=None)

    def _starts_made_thread(self, call: cst.Call) -> bool:
        """``Thread(...).start()`` or ``_thread.start_new_thread(...)``."""
        if _STARTING_CALLS & self.api.qualified_names(call.func):
            return True
        receiver = call.func.value if isinstance(call.func, cst.Attribute) else None
        return _calls_start(call) and isinstance(receiver, cst.Call) and self.makes_thread(receiver)


def _calls_start(call: cst.Call) -> bool:
    return isinstance(call.func, cst.Attribute) and call.func.attr.value == "start"


def _argument(call: cst.Call, keyword: str, position: int) -> cst.Arg | None:
    positional = [arg for arg in call.args if arg.keyword is None and not arg.star]
    named = [arg for arg in call.args if arg.keyword is not None and arg.keyword.value == keyword]
    return named[0] if named else (positional[position] if len(positional) > position else None)
