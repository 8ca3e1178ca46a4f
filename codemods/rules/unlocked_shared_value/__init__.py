"""MP004 unlocked-shared-value: ``v.value += 1`` on a shared Value without holding its lock.

A synchronized ``Value`` or ``Array`` takes its lock for each read and for each write, not
for the two together: between the read and the write of ``v.value += 1`` another process
may write, and its update is lost. Holding ``v.get_lock()`` (an RLock, so the read and
write inside may take it again) around the statement makes the update atomic.
"""

from __future__ import annotations

import libcst as cst
from libcst.metadata import ScopeProvider

from ...analysis import match as m
from ...analysis.facts import findall
from ...analysis.reachability import reach_of
from ...analysis.statements import is_definition, pure_expression
from ...rewrite.nodes import one_level_deeper
from .._base import RuleVisitor
from .lone_process import runs_alone
from .shared_values import PLAIN_LOCK, RAW, SharedValues

# Locks and their kin that a `with` may hold (beyond anything whose name says "lock").
LOCK_APIS = frozenset({"Lock", "RLock", "Semaphore", "BoundedSemaphore", "Condition"})
THREADING_LOCKS = frozenset(f"threading.{name}" for name in LOCK_APIS)
MAX_DEPTH = 4  # how many callers up a held lock is looked for
# Why a finding has no fix, by the lock of the value.
WHY_NOT = {
    RAW: "`{name}` is a raw shared value, with no lock to take; guard every update with one `Lock` shared by all "
    "processes, or make it a synchronized `Value`/`Array` and update it under `with {name}.get_lock():`",
    PLAIN_LOCK: "the lock of `{name}` is a non-reentrant `Lock`, which `{name}` takes again for each read and write, "
    "so holding it around them deadlocks; hold `{name}.get_lock()` and update `{name}.get_obj()` instead",
}
SHARED_LINE = "other statements share its line; put it on its own and hold `{name}.get_lock()` around it"
_BLOCKS = (cst.Module, cst.IndentedBlock, cst.SimpleStatementLine, cst.SimpleStatementSuite)


def _target_base(target: cst.BaseExpression) -> cst.Name | None:
    """``v`` of ``v.value`` and of ``v[i]``: what the shared object is called."""
    if isinstance(target, cst.Attribute) and target.attr.value != "value":
        return None
    if isinstance(target, (cst.Attribute, cst.Subscript)) and isinstance(target.value, cst.Name):
        return target.value
    return None


def _quiet(node: cst.BaseExpression, target: cst.BaseExpression) -> bool:
    """Evaluating ``node`` runs no code of its own: pure, apart from reads of ``target``."""
    if node.deep_equals(target) or pure_expression(node):
        return True
    if isinstance(node, (cst.BinaryOperation, cst.BooleanOperation)):
        return _quiet(node.left, target) and _quiet(node.right, target)
    if isinstance(node, cst.UnaryOperation):
        return _quiet(node.expression, target)
    if isinstance(node, cst.Comparison):
        return _quiet(node.left, target) and all(_quiet(c.comparator, target) for c in node.comparisons)
    if isinstance(node, cst.Call) and pure_expression(node.with_changes(args=())):
        return all(not arg.star and _quiet(arg.value, target) for arg in node.args)
    return False


def _index_parts(target: cst.BaseExpression) -> list[cst.BaseExpression]:
    """The expressions in ``v[...]`` that the statement evaluates."""
    if not isinstance(target, cst.Subscript):
        return []
    parts = [e.slice for e in target.slice]
    values = [p.value for p in parts if isinstance(p, cst.Index)]
    return values + [v for p in parts if isinstance(p, cst.Slice) for v in (p.lower, p.upper, p.step) if v is not None]


def _lock_call(small: cst.BaseSmallStatement) -> tuple[str, str] | None:
    """("acquire" or "release", the receiver's code) of ``x.acquire()`` as a statement."""
    if m.matches(small, m.Expr(m.Call(func=m.Attribute(attr=m.Name("acquire") | m.Name("release"))))):
        func = small.value.func  # type: ignore[attr-defined]
        return func.attr.value, cst.Module([]).code_for_node(func.value)
    return None


class UnlockedSharedValue(RuleVisitor):


    def visit_Module(self, node: cst.Module) -> None:
        self.shared = SharedValues(self.bindings)
        reach = reach_of(self.facts)
        script = {i for i, statement in enumerate(node.body) if not is_definition(statement)}
        # Functions that only the parent runs (and that something calls): one process.
        self.parent_only = {
            name for name in reach.parent_only(script)
            if any(a.references for a in reach.global_scope.assignments[name])
        }  # fmt: skip

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._check(node, node.target)

    def visit_Assign(self, node: cst.Assign) -> None:
        target = node.targets[0].target
        reads = findall(node.value, m.Attribute() | m.Subscript())
        if len(node.targets) == 1 and any(read.deep_equals(target) for read in reads):
            self._check(node, target)

    def _check(self, statement: cst.AugAssign | cst.Assign, target: cst.BaseExpression) -> None:
        base = _target_base(target)
        if base is None or not self._may_race(statement):
            return
        lock = self.shared.lock_of(base)
        if lock is None or self._held(statement):
            return
        name = base.value
        steps = "two steps" if lock == RAW else "two steps, each holding its lock but not in between"
        message = (
            f"`{self._brief(statement, target)}` reads the shared `{name}` and writes it back in {steps}: "
            "processes doing it at the same time lose updates"
        )
        fix = self._wrapped(statement, name) if lock not in WHY_NOT else None
        if fix is None:
            return self.report(statement, message, not_fixed=WHY_NOT.get(lock, SHARED_LINE).format(name=name))
        title = f"Hold `{name}.get_lock()` around it"
        busy = next((e for e in [*_index_parts(target), statement.value] if not _quiet(e, target)), None)
        if busy is None:
            return self.report(statement, message, fix=fix, fix_title=title)
        code = self.module.code_for_node(busy)
        unsafe = (
            f"{f'`{code}`' if len(code) <= 40 else 'its code'} would run while the lock is "
            "held, so the other processes wait for it, and if it waits for one of them (a queue, another lock, "
            "a result) the program deadlocks; compute it into a variable first"
        )
        return self.report(statement, message, fix=fix, unsafe=unsafe, fix_title=title)

    def _brief(self, statement: cst.AugAssign | cst.Assign, target: cst.BaseExpression) -> str:
        code = self.module.code_for_node(statement).strip()
        if len(code) <= 60 and "\n" not in code:
            return code
        operator = "="
        if isinstance(statement, cst.AugAssign):
            operator = self.module.code_for_node(statement.operator).strip()
        return f"{self.module.code_for_node(target)} {operator} ..."

    # -- where the statement runs ----------------------------------------------------

    def _may_race(self, node: cst.CSTNode) -> bool:
        """Inside a function or class that is not parent-only (module-level code is the
        parent's: under spawn a child's import of a shared value makes its own), nor a
        process target that runs alone (its updates cannot interleave with others)."""
        top: cst.CSTNode | None = None
        while (node := self.parent(node)) is not None:  # type: ignore[assignment]
            if isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
                top = node
        if top is None:
            return False
        if not isinstance(top, cst.FunctionDef):
            return True
        return top.name.value not in self.parent_only and not runs_alone(self.facts, top.name.value)

    def _held(self, node: cst.CSTNode, depth: int = 0) -> bool:
        """Whether some lock is held where ``node`` runs: inside a ``with`` on a lock-like
        object, after an ``x.acquire()`` not yet released, or in a function that is only
        called where a lock is held."""
        child, parent = node, self.parent(node)
        while parent is not None:
            held = isinstance(parent, cst.With) and child is parent.body and any(map(self._lock_like, parent.items))
            if held:
                return True
            if isinstance(parent, _BLOCKS) and self._acquired_before(parent, child):
                return True
            if isinstance(parent, cst.FunctionDef):
                return depth < MAX_DEPTH and self._callers_hold(parent, depth + 1)
            if isinstance(parent, (cst.Lambda, cst.ClassDef)):
                return False
            child, parent = parent, self.parent(parent)
        return False

    def _lock_like(self, with_item: cst.WithItem) -> bool:
        """A call that makes or returns a lock; any name or attribute (it may hold one)."""
        item = with_item.item
        if not isinstance(item, cst.Call):
            return True
        func = item.func
        name = func.attr.value if isinstance(func, cst.Attribute) else func.value if isinstance(func, cst.Name) else ""
        if "lock" in name.lower() or self.bindings.makes(item, LOCK_APIS):
            return True
        return bool(self.api.qualified_names(item.func) & THREADING_LOCKS)

    def _acquired_before(self, block: cst.CSTNode, child: cst.CSTNode) -> bool:
        held: set[str] = set()
        for statement in block.body:  # type: ignore[attr-defined]
            if statement is child:
                return bool(held)
            smalls = statement.body if isinstance(statement, cst.SimpleStatementLine) else [statement]
            for small in smalls:
                found = _lock_call(small)
                if found is not None:
                    (held.add if found[0] == "acquire" else held.discard)(found[1])
        return False

    def _callers_hold(self, function: cst.FunctionDef, depth: int) -> bool:
        scope = self.get_metadata(ScopeProvider, function, None)
        assignments = list(scope.assignments[function.name.value]) if scope is not None else []
        if len(assignments) != 1 or not assignments[0].references:
            return False
        for reference in assignments[0].references:
            call = self.parent(reference.node)
            if not (isinstance(call, cst.Call) and call.func is reference.node and self._held(call, depth)):
                return False
        return True

    # -- the fix -----------------------------------------------------------------------

    def _wrapped(self, statement: cst.BaseSmallStatement, name: str) -> tuple[cst.CSTNode, cst.CSTNode] | None:
        """The statement's line, and ``with name.get_lock():`` around it (a one-line body,
        as in ``for ...: v.value += 1``, becomes an indented block)."""
        line = self.parent(statement)
        indent = self.module.default_indent
        lock = cst.WithItem(cst.Call(cst.Attribute(cst.Name(name), cst.Name("get_lock"))))
        if isinstance(line, cst.SimpleStatementLine) and len(line.body) == 1:
            body = cst.IndentedBlock([one_level_deeper(line.with_changes(leading_lines=()), indent)])
            return line, cst.With([lock], body, leading_lines=line.leading_lines)
        if isinstance(line, cst.SimpleStatementSuite) and len(line.body) == 1:
            small = one_level_deeper(statement, indent * 2)  # from the line of its compound statement
            inner = cst.SimpleStatementLine([small], trailing_whitespace=line.trailing_whitespace)
            return line, cst.IndentedBlock([cst.With([lock], cst.IndentedBlock([inner]))])
        return None


RULE = UnlockedSharedValue
