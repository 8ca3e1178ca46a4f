"""MP020 parent-pid-assumption: code that runs in a child compares ``os.getppid()`` with a
process id, as if the parent were the process that started it.

Under fork and spawn a child's parent is the process that started it. Under forkserver,
the default on Linux since Python 3.14, it is the fork server: ``os.getppid()`` never
equals the starter's id, and a worker that checks "is my parent still there?" that way
decides at once that it is not. Only reported: ``multiprocessing.parent_process()``
says what the code means, and which check it wants is the program's choice.
"""

from __future__ import annotations

import ast

import libcst as cst

from codemods.analysis.entries import entries_of
from codemods.analysis.prechecks import AstFacts, callee_name
from codemods.rules._base import RuleVisitor

GETPPID = "os.getppid"
ADVICE = (
    "`multiprocessing.parent_process()` is the process that started this one under every start method: compare "
    "with its `pid`, or ask its `is_alive()`"
)


def _ast_getppid(node: ast.expr, names: frozenset[str]) -> bool:
    return isinstance(node, ast.Call) and callee_name(node) in names


class ParentPidAssumption(RuleVisitor):
    @classmethod
    def precheck(cls, facts: AstFacts) -> bool:
        """A comparison of a call spelled like ``getppid()`` inside a function."""
        names = facts.aliases({"getppid"})
        compares = facts.nodes(ast.Compare, levels=(2,))
        return any(_ast_getppid(side, names) for c in compares for side in [c.left, *c.comparators])

    def visit_Comparison(self, node: cst.Comparison) -> None:
        sides = [node.left, *(target.comparator for target in node.comparisons)]
        calls = [side for side in sides if isinstance(side, cst.Call) and self._is_getppid(side)]
        if not calls or any(isinstance(side, (cst.Integer, cst.SimpleString)) for side in sides):
            return  # `os.getppid() == 1` asks whether the process was orphaned, under every method
        worker = self._child_function(node)
        if worker is None:
            return
        message = (
            f"`{self.module.code_for_node(node)}` in `{worker}`, which runs in a child process, takes "
            "`os.getppid()` for the process that started it: under forkserver (the default on Linux since "
            "Python 3.14) a child's parent is the fork server, whose id is never the starter's"
        )
        self.report(node, message, not_fixed=ADVICE)

    def _is_getppid(self, call: cst.Call) -> bool:
        return GETPPID in self.api.qualified_names(call.func)

    def _child_function(self, node: cst.CSTNode) -> str | None:
        """The top-level function around ``node``, when it is handed to a child process
        (a process target, a process pool's task or initializer)."""
        while (parent := self.parent(node)) is not None and not isinstance(parent, cst.Module):
            node = parent
        if not isinstance(node, cst.FunctionDef):
            return None
        uses = entries_of(self.facts).uses.get(node.name.value)
        return node.name.value if uses is not None and uses.runs_in_child else None


RULE = ParentPidAssumption
