"""What the pre-check of unpicklable-task needs, from Python's ``ast``: the names of the
functions, classes and lambdas that pickle cannot find by name."""

from __future__ import annotations

import ast
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..analysis.ast_api import UNSURE, _Unsure
from ..analysis.ast_hoisting import enclosing_function, lambda_obstacle, passed_parameters
from ..analysis.ast_starts import AstStartMethods
from ..analysis.ast_walk import FUNCTION, walk
from ..analysis.prechecks import (
    AstFacts,
    callee_name,
    is_main_guard_test,
    keyword_value,
    may_be_instance,
    positional_args,
)
from ..analysis.project.apis import LOADER_CALLBACKS, POOLS, TASK_METHODS, WORKER_CLASSES
from ..libraries import EVERY_API, THREAD_SIDE, spellings

if TYPE_CHECKING:  # pragma: no cover
    from ..model import Finding, RuleSpec

APIS: frozenset[str] | None = EVERY_API - THREAD_SIDE
LAMBDA = "pickle refers to a function by its module and name, and a lambda has none"
ADVICE = (
    "make it a module-level function and pass the values it needs as arguments (`functools.partial` of a module-level "
    "function pickles)"
)


def precheck(facts: AstFacts) -> bool:
    """A task, target or initializer handed to a pool or process that may be a lambda, a
    def or class inside a function or the guard, or a method or ``partial()`` of one."""
    return may_find(facts, POOLS)


@dataclass(frozen=True)
class AstTasks:
    """What the pre-check needs to tell a task that may not pickle (the rule's ``_problem``
    tells it on libcst)."""

    names: set[str]  # defs and classes inside a function or the guard, names bound to a lambda
    classes: set[str]  # the classes among them
    made_by: dict[str, set[str]]  # NAME -> the plain names called in ``NAME = f(...)``
    partial: frozenset[str]
    mangled: set[str]  # methods named ``__name``, which multiprocessing cannot send bound

    @classmethod
    def of(cls, facts: AstFacts) -> AstTasks:
        nested = [
            *facts.nodes(ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, levels=(FUNCTION,)),
            *(
                node
                for guard in facts.tree.body
                if isinstance(guard, ast.If) and is_main_guard_test(guard.test)
                for node in walk(guard)
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
            ),
        ]
        names = {node.name for node in nested}
        made_by: dict[str, set[str]] = {}
        for node in facts.nodes(ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name) and isinstance(node.value, ast.Lambda):
                    names.add(target.id)
                elif (
                    isinstance(target, ast.Name)
                    and isinstance(node.value, ast.Call)
                    and isinstance(node.value.func, ast.Name)
                ):
                    made_by.setdefault(target.id, set()).add(node.value.func.id)
        classes = {node.name for node in nested if isinstance(node, ast.ClassDef)}
        return cls(names, classes, made_by, facts.aliases({"partial"}), mangled_methods(facts))

    def may_fail(self, task: ast.expr) -> bool:
        if isinstance(task, ast.Lambda):
            return True
        if isinstance(task, ast.Call):
            given = positional_args(task) if callee_name(task) in self.partial else []
            return bool(given) and self.may_fail(given[0])
        if isinstance(task, ast.Name):
            return task.id in self.names
        if isinstance(task, ast.Attribute) and task.attr in self.mangled:
            return True
        # ``Local.method``, ``Local().method``, ``obj.method`` with ``obj = Local()``
        owner = task.value if isinstance(task, ast.Attribute) else None
        owner = owner.func if isinstance(owner, ast.Call) else owner
        if not isinstance(owner, ast.Name):
            return False
        return bool(({owner.id} | self.made_by.get(owner.id, set())) & self.classes)


def may_find(facts: AstFacts, pools_spelled: frozenset[str]) -> bool:
    """The question of :func:`precheck`: may some task, target or initializer not pickle?"""
    return any(True for _ in risky_sites(facts, pools_spelled))


def risky_sites(facts: AstFacts, pools_spelled: frozenset[str]) -> Iterator[tuple[str, ast.Call, ast.expr]]:
    """(what the call names it, the call, the task) for each call that may send a task,
    target or initializer that may not pickle: the only calls where the rule may report."""
    tasks = AstTasks.of(facts)
    if not (tasks.names or tasks.mangled or facts.nodes(ast.Lambda)):
        return
    # Each place a task goes needs its API: a name that may resolve to it (to a library
    # that pickles with pickle).
    made_here = {api for api in (*pools_spelled, "Process", "spawn", "DataLoader") if facts.refers_to({api}, "MP009")}
    pools = facts.aliases(spellings(pools_spelled & made_here))
    for call in facts.method_calls(TASK_METHODS) if pools else ():
        given = positional_args(call)
        task = given[0] if given else keyword_value(call, "func") or keyword_value(call, "fn")
        receiver = call.func.value if isinstance(call.func, ast.Attribute) else None  # a method call
        if task is None or receiver is None or not may_be_instance(receiver, pools):
            continue
        if isinstance(receiver, ast.Call) and not may_make(facts, receiver, POOLS):
            continue  # made by no pool that the rule hears (one of a library that pickles with dill)
        if isinstance(receiver, ast.Name) and facts.scopes.not_instance(receiver, pools):
            continue  # a thread pool, say: the rule proves its receivers to be process pools
        if tasks.may_fail(task):
            yield "task", call, task
    for call in facts.calls_to(facts.aliases(spellings({"Process"} & made_here))):
        if not may_make(facts, call, {"Process"}):
            continue
        given = positional_args(call)
        target = keyword_value(call, "target") or (given[1] if len(given) > 1 else None)
        if target is not None and tasks.may_fail(target):
            yield "target", call, target
    for call in facts.calls_to(facts.aliases(spellings({"spawn"} & made_here))):
        if facts.api("MP009").call_api(call) not in (UNSURE, "spawn"):
            continue
        function = keyword_value(call, "fn") or next(iter(positional_args(call)), None)
        if function is not None and tasks.may_fail(function):
            yield "function", call, function
    for call in facts.calls_to(facts.aliases(WORKER_CLASSES)) if "DataLoader" in made_here else ():
        if facts.api("MP009").call_api(call) not in (UNSURE, "DataLoader"):
            continue
        for name in LOADER_CALLBACKS:
            if (value := keyword_value(call, name)) and tasks.may_fail(value):
                yield name, call, value
    for call in facts.calls_to(pools):
        if not may_make(facts, call, POOLS):
            continue
        initializer = keyword_value(call, "initializer")
        given = [initializer] if initializer is not None else positional_args(call)[1:3]
        for value in given:
            if tasks.may_fail(value):
                yield "initializer", call, value


def decide(facts: AstFacts, spec: RuleSpec) -> list[Finding] | None:
    """The rule's findings, as its libcst side makes them, when every call where it may
    report (:func:`risky_sites`) is a ``Process`` whose target is a lambda that reads a
    name of the function around it, so that there is no fix to build; None otherwise."""
    api, source = facts.api(spec.code), facts.source
    found = []
    starts = AstStartMethods(facts, api)
    for noun, call, task in risky_sites(facts, POOLS):
        if noun != "target" or not isinstance(task, ast.Lambda) or api.call_api(call) != "Process":
            return None
        method = starts.method(call)
        if method is UNSURE:
            return None
        if method == "fork":
            continue  # fork copies the parent: the target is never pickled
        function = enclosing_function(facts, task)
        if function is None:
            return None
        passed = passed_parameters(facts, task, call, noun, function)
        why = UNSURE if isinstance(passed, _Unsure) else lambda_obstacle(facts, task, function, passed)
        func = source.code(call.func)
        if why is UNSURE or why is None or func is None or source.parenthesised(task):
            return None  # unsure, or a lambda that moves: the fix is libcst's to build
        message = (
            f"`{func}(target=...)` pickles its target under spawn and forkserver, and cannot pickle a lambda: {LAMBDA}"
        )
        found.append(source.finding(spec, task, message, f"{why}: {ADVICE}"))
    return found


def may_make(facts: AstFacts, call: ast.Call, apis: Collection[str]) -> bool:
    """mpfix.analysis.bindings' ``makes``, as the rule hears it, may say yes: the call may
    resolve to one of ``apis`` (``facts.api``, deaf to the libraries that make the rule
    moot), or it is ``ctx.API(...)`` on a name that some assignment binds (a
    ``ctx = get_context()`` of a function's own)."""
    if (found := facts.api("MP009").call_api(call)) is UNSURE or found in apis:
        return True
    func = call.func
    if not (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.attr in apis):
        return False
    return func.value.id in facts.stored


def is_mangled(name: str) -> bool:
    """Python mangles ``__name`` inside a class body, but not ``__name__``."""
    return name.startswith("__") and not name.endswith("__")


def mangled_methods(facts: AstFacts) -> set[str]:
    """The pre-check's twin: the mangled names of the methods defined in any class."""
    return {
        statement.name
        for node in facts.nodes(ast.ClassDef)
        for statement in node.body
        if isinstance(statement, ast.FunctionDef) and is_mangled(statement.name)
    }
