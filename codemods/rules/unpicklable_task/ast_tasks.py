"""What the pre-check of unpicklable-task needs, from Python's ``ast``: the names of the
functions, classes and lambdas that pickle cannot find by name."""

from __future__ import annotations

import ast
from dataclasses import dataclass

from codemods.analysis.prechecks import FUNCTION, AstFacts, callee_name, is_main_guard_test, positional_args


@dataclass(frozen=True)
class AstTasks:
    """What the pre-check needs to tell a task that may not pickle (the rule's ``_problem``
    tells it on libcst)."""

    names: set[str]  # defs and classes inside a function or the guard, names bound to a lambda
    classes: set[str]  # the classes among them
    made_by: dict[str, set[str]]  # NAME -> the plain names called in ``NAME = f(...)``
    partial: frozenset[str]

    @classmethod
    def of(cls, facts: AstFacts) -> AstTasks:
        nested = [
            *facts.nodes(ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, levels=(FUNCTION,)),
            *(
                node
                for guard in facts.tree.body
                if isinstance(guard, ast.If) and is_main_guard_test(guard.test)
                for node in ast.walk(guard)
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
        return cls(names, classes, made_by, facts.aliases({"partial"}))

    def may_fail(self, task: ast.expr) -> bool:
        if isinstance(task, ast.Lambda):
            return True
        if isinstance(task, ast.Call):
            given = positional_args(task) if callee_name(task) in self.partial else []
            return bool(given) and self.may_fail(given[0])
        if isinstance(task, ast.Name):
            return task.id in self.names
        # ``Local.method``, ``Local().method``, ``obj.method`` with ``obj = Local()``
        owner = task.value if isinstance(task, ast.Attribute) else None
        owner = owner.func if isinstance(owner, ast.Call) else owner
        if not isinstance(owner, ast.Name):
            return False
        return bool(({owner.id} | self.made_by.get(owner.id, set())) & self.classes)
