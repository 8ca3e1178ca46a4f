"""MP020 parent-pid-assumption: code that runs in a child compares ``os.getppid()`` with a
process id, or lists the children of its parent process (``psutil``), as if the parent
were the process that started it.

Under fork and spawn a child's parent is the process that started it. Under forkserver,
the default on Linux since Python 3.14, it is the fork server: ``os.getppid()`` never
equals the starter's id, and a worker that checks "is my parent still there?" that way
decides at once that it is not; a worker that counts its siblings as its parent's
children counts the fork server's. Only reported: ``multiprocessing.parent_process()``
says what the code means, and which check it wants is the program's choice.

``multiprocessing.active_children()`` is no such assumption: a child starts with no
children of its own under every start method.
"""

from __future__ import annotations

import libcst as cst
from libcst.metadata import Assignment, GlobalScope

from ..analysis.entries import entries_of
from ._base import RuleVisitor

GETPPID = "os.getppid"
GETPID = "os.getpid"
ADVICE = (
    "`multiprocessing.parent_process()` is the process that started this one under every start method: compare "
    "with its `pid`, or ask its `is_alive()`"
)
PSUTIL_PROCESS = "psutil.Process"
CHILDREN_ADVICE = (
    "`psutil.Process(multiprocessing.parent_process().pid)` is the process that started this one under every "
    "start method"
)


def _pid_argument(process: cst.Call) -> cst.BaseExpression | None:
    """The ``pid`` that ``psutil.Process(...)`` is given, when it is its only argument."""
    if len(process.args) != 1 or process.args[0].star:
        return None
    keyword = process.args[0].keyword
    return process.args[0].value if keyword is None or keyword.value == "pid" else None


class ParentPidAssumption(RuleVisitor):

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

    def visit_Call(self, node: cst.Call) -> None:
        """``psutil.Process(os.getppid()).children()``, also through ``.parent()`` or a
        name the function binds once."""
        func = node.func
        if not (isinstance(func, cst.Attribute) and func.attr.value == "children" and self._parent_process(func.value)):
            return
        worker = self._child_function(node)
        if worker is None:
            return
        message = (
            f"`{self.module.code_for_node(node)}` in `{worker}`, which runs in a child process, lists the children "
            "of its parent process as if that were the process that started it: under forkserver (the default on "
            "Linux since Python 3.14) a child's parent is the fork server, and its children are the fork server's"
        )
        self.report(node, message, not_fixed=CHILDREN_ADVICE)

    def _parent_process(self, node: cst.BaseExpression) -> bool:
        """``psutil.Process(os.getppid())``, ``psutil.Process().parent()``, or a name
        that the function it is in binds to one of them, once."""
        if isinstance(node, cst.Name):
            return self._parent_process_name(node)
        if not isinstance(node, cst.Call):
            return False
        if PSUTIL_PROCESS in self.api.qualified_names(node.func):
            pid = _pid_argument(node)
            return isinstance(pid, cst.Call) and self._is_getppid(pid)
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value == "parent" and not node.args:
            return isinstance(func.value, cst.Call) and self._own_process(func.value)
        return False

    def _own_process(self, call: cst.Call) -> bool:
        """``psutil.Process()`` or ``psutil.Process(os.getpid())``."""
        if PSUTIL_PROCESS not in self.api.qualified_names(call.func):
            return False
        pid = _pid_argument(call)
        return not call.args or (isinstance(pid, cst.Call) and GETPID in self.api.qualified_names(pid.func))

    def _parent_process_name(self, name: cst.Name) -> bool:
        scope = self.scope(name)
        if isinstance(scope, GlobalScope):
            return False
        assignments = list(scope.assignments[name.value])
        if len(assignments) != 1 or not isinstance(assignments[0], Assignment) or assignments[0].scope is not scope:
            return False
        target = self.parent(assignments[0].node)
        assign = self.parent(target)
        return (
            isinstance(target, cst.AssignTarget)
            and isinstance(assign, cst.Assign)
            and len(assign.targets) == 1
            and self._parent_process(assign.value)
        )

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
