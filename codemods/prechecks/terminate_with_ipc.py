"""The `ast` pre-check of terminate-with-ipc: False only when the rule can find nothing."""

from __future__ import annotations

import ast
import re

from ..analysis.ast_api import UNSURE
from ..analysis.ast_walk import walk
from ..analysis.prechecks import AstFacts, positional_args
from ..analysis.project.apis import IPC_FACTORIES
from ..libraries import spellings

# What stops each kind of worker, by its canonical API name.
STOPPING = {
    "Process": frozenset({"terminate", "kill"}),
    "Pool": frozenset({"terminate"}),
    "ProcessPoolExecutor": frozenset({"terminate_workers", "kill_workers"}),  # Python 3.14
}
# The objects that a stopped process can leave broken or locked (raw shared memory has no lock).
SHARED = IPC_FACTORIES - {"RawValue", "RawArray", "Manager"}
# Where each hands objects to its workers: (keyword, position) of the tuple of arguments
# (the rule's HANDED, which imports this module).
_HANDED = {"Process": ("args", 3), "Pool": ("initargs", 2), "ProcessPoolExecutor": ("initargs", 3)}

APIS = SHARED


class _Values:
    """The values assigned to names as a whole target (``w = value``), found where a read
    of the name may see them: in the scope of the read or a scope around it, as
    ``single_value`` finds them (anywhere, for a name that ``global`` or ``nonlocal``
    declares)."""

    def __init__(self, facts: AstFacts) -> None:
        self.scopes = facts.scopes
        # (the target, the value): the target's scope is looked up only for a name read
        self.by_name: dict[str, list[tuple[ast.Name, ast.expr]]] = {}
        for node in facts.nodes(ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    self.by_name.setdefault(target.id, []).append((target, node.value))
        self.declared = {name for node in facts.nodes(ast.Global, ast.Nonlocal) for name in node.names}

    def of(self, read: ast.Name) -> list[ast.expr]:
        found = self.by_name.get(read.id, [])
        seen = self.seen_from(read)
        return [value for target, value in found if seen is None or id(self.scopes.scope_of(target)) in seen]

    def seen_from(self, read: ast.Name) -> set[int] | None:
        """The scopes whose bindings the read may refer to (None: any, and the binding's
        references may be anywhere)."""
        if read.id in self.declared:
            return None
        return {id(scope) for scope in self._around(read)}

    def _around(self, node: ast.AST) -> list[ast.AST]:
        scopes = [self.scopes.scope_of(node)]
        while not isinstance(scopes[-1], ast.Module):
            scopes.append(self.scopes.scope_of(scopes[-1]))
        return scopes


def _made(facts: AstFacts, stop: ast.Call, values: _Values) -> list[ast.Call]:
    """The calls that the rule's ``_made`` may find for a stop ``w.terminate()``: a value
    assigned to ``w``, or the element of a list comprehension assigned to the name that
    a ``for w in name`` loop around the stop walks."""
    worker = stop.func.value  # type: ignore[attr-defined]
    found = [v for v in values.of(worker) if isinstance(v, ast.Call)]
    outer = facts.scopes.parent(stop)
    while outer is not None and not isinstance(outer, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Module)):
        if (
            isinstance(outer, ast.For)
            and isinstance(outer.target, ast.Name)
            and outer.target.id == worker.id
            and isinstance(outer.iter, ast.Name)
        ):
            listed = values.of(outer.iter)
            found += [v.elt for v in listed if isinstance(v, ast.ListComp) and isinstance(v.elt, ast.Call)]
        outer = facts.scopes.parent(outer)
    return found


def _handed(made: ast.Call, kinds: list[str]) -> list[ast.Name]:
    """The names among the arguments that ``made`` hands its workers, for each kind it may be."""
    found: list[ast.expr] = []
    for kind in kinds:
        name, position = _HANDED[kind]
        value = next((k.value for k in made.keywords if k.arg == name), None)
        given = positional_args(made)
        value = value if value is not None else given[position] if len(given) > position else None
        found += value.elts if isinstance(value, (ast.Tuple, ast.List)) else []
        if kind == "Process":
            kwargs = next((k.value for k in made.keywords if k.arg == "kwargs"), None)
            if isinstance(kwargs, ast.Dict):
                found += kwargs.values
            elif isinstance(kwargs, ast.Call):
                found += [k.value for k in kwargs.keywords if k.arg is not None]
    found = [e.value if isinstance(e, ast.Starred) else e for e in found]
    return [e for e in found if isinstance(e, ast.Name)]


def precheck(facts: AstFacts) -> bool:
    """A ``w.terminate()``, ``w.kill()``, ``w.terminate_workers()`` or
    ``w.kill_workers()`` call, where ``w`` is assigned a call (or walks a list
    comprehension of calls) that may resolve to a process, pool or executor stopped so,
    and that hands its workers a name assigned, in a scope it sees, a call spelled like a
    queue, pipe or lock; and a name bound with that one mentioned within that scope on
    the stop's last line or after it, or among the arguments of another call that may
    make a process or pool (``_used_after``'s two ways). Which API a call makes is asked
    of the resolver, as the rule asks it: ``self.Process(...)`` in a test class makes none."""
    stops = [
        call
        for call in facts.method_calls(set().union(*STOPPING.values()))
        if isinstance(call.func.value, ast.Name) and not call.args and not call.keywords  # type: ignore[attr-defined]
    ]
    if not stops:
        return False
    made_shared = {id(call) for call in facts.calls_to(facts.aliases(spellings(SHARED)))}
    # (the scope that binds, the names bound together) of each shared object, by each name
    shared: dict[str, list[tuple[ast.AST, set[str]]]] = {}
    for node in facts.nodes(ast.Assign):
        if id(node.value) in made_shared:
            for target in node.targets:
                bound = _target_names(target)
                for word in bound:
                    shared.setdefault(word, []).append((facts.scopes.scope_of(node), bound))
    if not shared:
        return False
    api = facts.api("MP021")
    values = _Values(facts)
    mentions: dict[str, list[ast.Name | ast.Global | ast.Nonlocal]] = {}
    annotation_words: set[str] = set()
    for stop in stops:
        method = stop.func.attr  # type: ignore[attr-defined]
        made_ids: set[int] = set()
        held: list[tuple[ast.AST, set[str]]] = []
        for made in _made(facts, stop, values):
            kind = api.call_api(made)
            kinds = [k for k, methods in STOPPING.items() if method in methods and kind in (k, UNSURE)]
            for given in _handed(made, kinds):
                seen = values.seen_from(given)
                found = [(facts.tree if seen is None else s, group) for s, group in shared.get(given.id, ())]
                found = [(s, group) for s, group in found if seen is None or id(s) in seen]
                if found:
                    made_ids.add(id(made))
                    held += found
        end = stop.end_lineno or stop.lineno
        if held and not mentions:  # worked out once, for the first stop that holds something
            for name in facts.nodes(ast.Name):
                mentions.setdefault(name.id, []).append(name)
            for declaration in facts.nodes(ast.Global, ast.Nonlocal):  # which libcst may count as uses
                for word in declaration.names:
                    mentions.setdefault(word, []).append(declaration)
            annotation_words = _annotation_words(facts)
        for scope, group in held:
            if group & annotation_words:
                return True  # libcst reads a string that names it: a use this does not see
            first, last = (0, 1 << 30) if isinstance(scope, ast.Module) else _lines(scope)
            for mention in (n for word in group for n in mentions.get(word, ())):
                if first <= mention.lineno <= last and (
                    mention.lineno >= end or _in_another_maker(facts, mention, made_ids)
                ):
                    return True
    return False


def _annotation_words(facts: AstFacts) -> set[str]:
    """Words in the strings that libcst reads as annotations, whose names it counts as
    read (as mpfix.analysis.ast_reach finds them)."""
    roots: list[ast.AST | None] = [n.annotation for n in facts.nodes(ast.arg, ast.AnnAssign)]
    roots += [n.returns for n in facts.nodes(ast.FunctionDef, ast.AsyncFunctionDef)]
    roots += facts.calls_to(("TypeVar", "NewType", "cast"))
    texts = [
        node.value
        for root in roots
        for node in (walk(root) if root is not None else ())
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    ]
    return set(re.findall(r"\w+", " ".join(texts)))


def _lines(node: ast.AST) -> tuple[int, int]:
    return node.lineno, node.end_lineno or node.lineno  # type: ignore[attr-defined]


def _target_names(target: ast.expr) -> set[str]:
    """The names libcst finds in an assignment's target: plain names, and also the
    attributes' names (``a`` of ``self.a``)."""
    return {
        n.id if isinstance(n, ast.Name) else n.attr
        for n in walk(target)
        if isinstance(n, (ast.Name, ast.Attribute))
    }


def _in_another_maker(facts: AstFacts, name: ast.AST, made: set[int]) -> bool:
    """``name`` is among the arguments of a call that may make a process or pool (as the
    rule's ``_in_a_call_that_makes_workers``), other than the call that made the stopped
    worker when ``made`` holds that one only."""
    api = facts.api("MP021")
    outer = facts.scopes.parent(name)
    while outer is not None and not isinstance(outer, ast.stmt):
        if isinstance(outer, ast.Call) and (id(outer) not in made or len(made) > 1):
            kind = api.call_api(outer)
            if kind is UNSURE or kind in STOPPING:
                return True
        outer = facts.scopes.parent(outer)
    return False
