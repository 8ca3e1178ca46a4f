"""The rule's question asked of Python's ``ast`` first: is there a ``Process(...)`` call
that hands over something made like a lock, queue or shared value, and that the rule
could find unjoined? A large file that starts and joins its processes in the same
function (a test suite's usual shape) is then never parsed with libcst for this rule.

It over-approximates the rule (see mpfix.analysis.prechecks): a call it lets through may
be found clean, a call it drops never has a finding.
"""

from __future__ import annotations

import ast
from collections.abc import Collection, Iterator

from ..analysis.ast_api import UNSURE
from ..analysis.prechecks import AstFacts, callee_name, keyword_value, positional_args
from ..libraries import spellings

RULE = "MP015"

# What reaches a child as a named semaphore: the objects that hold a lock or a semaphore.
SEMAPHORED = frozenset(
    {
        "Queue", "JoinableQueue", "SimpleQueue", "Lock", "RLock", "Semaphore", "BoundedSemaphore",
        "Condition", "Event", "Barrier", "Value", "Array",
    }
)  # fmt: skip
APIS = SEMAPHORED
# What a parent may ask of a process that waits for it, or stops it: nothing to report then.
MANAGED = frozenset({"join", "terminate", "kill", "close", "is_alive", "exitcode", "sentinel"})


def precheck(facts: AstFacts) -> bool:
    """A call spelled like ``Process``, a ``start()`` call, a name spelled like one of
    :data:`SEMAPHORED` (a factory, or an annotation), and a ``Process(...)`` call that
    hands one over in a shape this rule reports (see ``may_find``)."""
    processes = facts.aliases(spellings({"Process"}))
    if not facts.calls_to(processes) or not facts.method_calls(["start"]):
        return False
    kinds = facts.aliases(spellings(SEMAPHORED))
    names = {n.id for n in facts.nodes(ast.Name)} | {n.attr for n in facts.nodes(ast.Attribute)}
    return bool(names & kinds) and may_find(facts, processes, kinds)


def may_find(facts: AstFacts, processes: Collection[str], kinds: Collection[str]) -> bool:
    """Some call of ``processes`` that may make a ``Process`` (see :class:`_Instances`)
    hands over an expression that may be one of :data:`SEMAPHORED`, in a shape whose
    processes the rule can find unjoined: ``Process(...).start()``, a list comprehension
    of them, or ``name = Process(...)`` where the same scope does not, after it, ask
    ``name`` to join, terminate or say whether it is alive."""
    instances = _Instances(facts)
    handing = [
        call
        for call in facts.calls_to(processes)
        if instances.makes(call, {"Process"}) and any(instances.may_be(v, SEMAPHORED) for v in _handed(call))
    ]
    return any(_unjoined_shape(facts, call) for call in handing)


class _Instances:
    """The ``ast`` twin of mpfix.analysis.bindings' ``makes`` and ``is_instance``, a
    superset: a name's bindings are gathered over the whole module, by its spelling, and
    the name may be an instance when one of them may bind one (libcst asks that every
    binding that reaches the read does, and that there is one)."""

    def __init__(self, facts: AstFacts) -> None:
        self.facts = facts
        self.api = facts.api(RULE)
        self._binds: dict[str, list[ast.AST]] | None = None
        self._calls_of: dict[tuple[str, int | None], bool] = {}
        self._contexts: dict[str, bool] = {}  # name -> whether some binding may be ``get_context()``

    def makes(self, call: ast.Call, apis: Collection[str]) -> bool:
        """``Bindings.makes``: the call may resolve to one of ``apis``, or is ``ctx.<api>(...)``
        where ``ctx`` is assigned somewhere a call that may be ``get_context()`` (a
        parameter such as ``self`` of ``self.Process`` never is)."""
        if callee_name(call) not in self.facts.aliases(spellings(apis)):
            return False  # the old spelling check, which every call these resolve to passes
        found = self.api.call_api(call)
        if found is UNSURE or found in apis:
            return True
        func = call.func
        if not (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.attr in apis):
            return False
        name = func.value.id
        if name not in self._contexts:
            self._contexts[name] = any(
                isinstance(node, ast.Assign)
                and isinstance(node.value, ast.Call)
                and self._may_call(node.value, "get_context")
                for node in self.bindings().get(name, ())
            )
        return self._contexts[name]

    def _may_call(self, call: ast.Call, api: str) -> bool:
        found = self.api.call_api(call)
        return found is UNSURE or found == api

    def may_be(self, expr: ast.expr, apis: Collection[str], seen: frozenset[str] = frozenset()) -> bool:
        """``Bindings.is_instance``: made right there, or a name that some binding in the
        module may bind to one of ``apis``."""
        if isinstance(expr, ast.Call):
            return self.makes(expr, apis)
        if not isinstance(expr, ast.Name) or expr.id in seen:
            return False
        seen = seen | {expr.id}
        return any(self._may_bind(node, expr.id, apis, seen) for node in self.bindings().get(expr.id, ()))

    def _may_bind(self, node: ast.AST, name: str, apis: Collection[str], seen: frozenset[str]) -> bool:
        """``Bindings._binds`` of one binding of ``name``: an assignment, an annotated one,
        a ``with ... as``, or a parameter (annotated, or of an undecorated function that
        the module calls by its bare name)."""
        if isinstance(node, ast.Assign):
            return self.may_be(node.value, apis, seen)
        if isinstance(node, ast.AnnAssign):
            return True  # its annotation may name one
        if isinstance(node, ast.withitem):
            return self.may_be(node.context_expr, apis, seen)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            params = node.args
            every = [*params.posonlyargs, *params.args, *params.kwonlyargs, params.vararg, params.kwarg]
            if any(a is not None and a.arg == name and a.annotation is not None for a in every):
                return True
            if node.decorator_list:
                return False
            owner = self.facts.scopes.parent(node)
            return self._called(node.name, id(owner) if isinstance(owner, ast.ClassDef) else None)
        return False

    def bindings(self) -> dict[str, list[ast.AST]]:
        """Each name's bindings that ``_binds`` may accept: the assignment or ``with`` item
        that binds it as a plain name, or the function that has it as a parameter."""
        if self._binds is None:
            found: dict[str, list[ast.AST]] = {}
            for node in self.facts.nodes(ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        found.setdefault(target.id, []).append(node)
            for ann in self.facts.nodes(ast.AnnAssign):
                if isinstance(ann.target, ast.Name):
                    found.setdefault(ann.target.id, []).append(ann)
            for item in self.facts.nodes(ast.withitem):
                if isinstance(item.optional_vars, ast.Name):
                    found.setdefault(item.optional_vars.id, []).append(item)
            for function in self.facts.nodes(ast.FunctionDef, ast.AsyncFunctionDef):
                params = function.args
                every = [*params.posonlyargs, *params.args, *params.kwonlyargs, params.vararg, params.kwarg]
                for arg in every:
                    if arg is not None:
                        found.setdefault(arg.arg, []).append(function)
            self._binds = found
        return self._binds

    def _called(self, name: str, owner: int | None) -> bool:
        """``name`` is called bare: a function whose parameter is followed to its callers'
        arguments must be called so where its binding is seen. Any such call counts for
        any function of that name (``owner`` None); for a method of a class (``owner``,
        the class's id), only one that runs in the class's body (not in a method's or
        lambda's body)."""
        key = (name, owner)
        if key not in self._calls_of:
            calls = [call for call in self.facts.calls_to([name]) if isinstance(call.func, ast.Name)]
            self._calls_of[key] = bool(calls) and (owner is None or any(self._class_body_of(c) == owner for c in calls))
        return self._calls_of[key]

    def _class_body_of(self, node: ast.AST) -> int | None:
        """The id of the class in whose body's scope ``node`` runs (comprehensions counted
        in), or None."""
        parent = self.facts.scopes.parent
        child, current = node, parent(node)
        while current is not None:
            if isinstance(current, (ast.FunctionDef, ast.AsyncFunctionDef)) and child in current.body:
                return None
            if isinstance(current, ast.Lambda) and child is current.body:
                return None
            if isinstance(current, ast.ClassDef) and child in current.body:
                return id(current)
            child, current = current, parent(current)
        return None


def _unjoined_shape(facts: AstFacts, call: ast.Call) -> bool:
    scopes = facts.scopes
    parent = scopes.parent(call)
    if isinstance(parent, ast.Assign) and len(parent.targets) == 1 and isinstance(parent.targets[0], ast.Name):
        # The rule follows a name bound once: each of these reads reads this binding.
        reads = scopes.reads(scopes.scope_of(parent), parent.targets[0].id, after=parent)
        return not any(_asks(scopes.parent(read), MANAGED) for read in reads)
    started = isinstance(parent, ast.Attribute) and parent.attr == "start"
    return started or (isinstance(parent, ast.ListComp) and parent.elt is call)


def _handed(call: ast.Call) -> Iterator[ast.expr]:
    """The elements of a literal ``args`` tuple or list, or ``kwargs`` dict, as the rule reads them."""
    given = [keyword_value(call, "args"), keyword_value(call, "kwargs")]
    given += [arg for index, arg in enumerate(positional_args(call)) if index in (3, 4)]
    for value in given:
        if isinstance(value, (ast.Tuple, ast.List)):
            yield from (e.value if isinstance(e, ast.Starred) else e for e in value.elts)
        elif isinstance(value, ast.Dict):
            yield from (v for k, v in zip(value.keys, value.values, strict=True) if k is not None)


def _asks(node: ast.AST | None, attributes: Collection[str]) -> bool:
    return isinstance(node, ast.Attribute) and node.attr in attributes
