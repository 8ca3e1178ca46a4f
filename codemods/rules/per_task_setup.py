"""MP007 per-task-setup: a pool task opens a connection, creates a client or loads a file
on every call.

Only setup whose value does not depend on the call is reported: its arguments read
nothing but module-level names and builtins (and files it opens from such). The fix
(unsafe: one object now serves every task of a worker) moves ``NAME = <setup>`` from the
top of the task into a generated pool initializer that binds the module-level ``NAME``.
"""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst
from libcst.metadata import (
    BuiltinScope,
    GlobalScope,
    PositionProvider,
)

from ..analysis import match as m
from ..analysis.entries import entries_of
from ..analysis.facts import findall
from ..analysis.ipc import keyword, pool_initializer
from ..analysis.statements import declared_names, is_docstring, is_import
from ..rewrite.fresh_names import FreshNames
from ..rewrite.handover import Edits, add_keyword, placeholder
from ..rewrite.hoisting import Hoisting
from ._base import RuleVisitor, Unfixable

CONNECTION = "opens a database connection"
SETUP = {
    **dict.fromkeys(["sqlite3.connect", "sqlite3.dbapi2.connect", "psycopg2.connect", "psycopg.connect"], CONNECTION),
    **dict.fromkeys(["psycopg.Connection.connect", "pymysql.connect", "pymysql.Connect"], CONNECTION),
    **dict.fromkeys(
        ["requests.Session", "requests.session", "requests.sessions.Session", "httpx.Client"],
        "creates an HTTP client session",
    ),
    **dict.fromkeys(
        ["boto3.client", "boto3.resource", "boto3.Session", "boto3.session.Session"], "creates an AWS client"
    ),
    **dict.fromkeys(["joblib.load", "torch.load", "numpy.load"], "loads a file"),
}
FILE_LOADERS = {"pickle.load": "loads a pickle", "json.load": "loads a JSON file"}  # when given a file it opens
OPEN = frozenset({"builtins.open", "io.open"})
TITLE = "Create it once per worker, in a pool initializer"


class PerTaskSetup(RuleVisitor):

    def visit_Module(self, node: cst.Module) -> bool:
        self.hoisting = Hoisting(self.facts)
        self.names = FreshNames.of(self.facts)
        self.entries = entries_of(self.facts)
        for name, uses in self.entries.uses.items():
            if uses.tasks:
                function = node.body[self.reach.functions[name]]
                assert isinstance(function, cst.FunctionDef)  # reach.functions holds the module's defs
                for call, what in self._setups(function):
                    self._check(function, call, what)
        return False

    # -- what is set up ------------------------------------------------------------------

    def _setups(self, function: cst.FunctionDef) -> Iterator[tuple[cst.Call, str]]:
        for call in findall(function.body, m.Call()):
            if not isinstance(call, cst.Call) or self._outer_function(call) is not function:
                continue  # in a nested function or lambda: not run by every call
            what = self._setup(call)
            if what is not None and self._independent(call):
                yield call, what

    def _setup(self, call: cst.Call) -> str | None:
        for name in self.api.qualified_names(call.func):
            if name in SETUP:
                return SETUP[name]
            if name in FILE_LOADERS and call.args and self._opener(call.args[0].value):
                return FILE_LOADERS[name]
        if isinstance(call.func, cst.Attribute) and call.func.attr.value == "read" and self._opener(call.func.value):
            return "reads a file"
        return None

    def _opener(self, expr: cst.BaseExpression) -> cst.Call | None:
        """The ``open(...)`` call that ``expr`` is, or that the one binding of the name
        ``expr`` is (``with open(...) as f``, ``f = open(...)``)."""
        if isinstance(expr, cst.Call):
            return expr if self.api.qualified_names(expr.func) & OPEN else None
        scope = self.scopes.get(expr) if isinstance(expr, cst.Name) else None
        referents = [r for a in scope.accesses[expr] if a.node is expr for r in a.referents] if scope else []
        target = self.parents.get(getattr(referents[0], "node", None)) if len(referents) == 1 else None  # type: ignore[arg-type]
        holder = self.parents.get(target) if isinstance(target, (cst.AsName, cst.AssignTarget)) else None
        value = holder.item if isinstance(holder, cst.WithItem) else getattr(holder, "value", None)
        return self._opener(value) if isinstance(value, cst.Call) else None

    def _outer_function(self, node: cst.CSTNode) -> cst.CSTNode | None:
        parent = self.parents.get(node)
        while parent is not None and not isinstance(parent, (cst.FunctionDef, cst.Lambda)):
            parent = self.parents.get(parent)
        return parent

    def _independent(self, expr: cst.CSTNode) -> bool:
        """``expr`` reads only module-level names and builtins, and files opened from such."""
        for name in findall(expr, m.Name()):
            scope = self.scopes.get(name)
            for access in (a for a in scope.accesses[name] if a.node is name) if scope is not None else ():
                if all(isinstance(r.scope, (GlobalScope, BuiltinScope)) for r in access.referents):
                    continue
                opener = self._opener(name)  # type: ignore[arg-type]
                if opener is None or not self._independent(opener):
                    return False
        return True

    # -- the finding -----------------------------------------------------------------

    def _check(self, function: cst.FunctionDef, call: cst.Call, what: str) -> None:
        task = function.name.value
        code = self.module.code_for_node(call)
        code = code if len(code) <= 60 and "\n" not in code else self.module.code_for_node(call.func) + "(...)"
        message = (
            f"Each call of the pool task `{task}` {what} (`{code}`): create it once per worker, in a pool initializer"
        )
        try:
            fixed = self._fix(function, call)
        except Unfixable as why:
            self.report(call, message, not_fixed=why)
            return
        self.report(call, message, fix=(self.module, fixed), fix_title=TITLE)

    def _setup_block(self, function: cst.FunctionDef) -> list[cst.SimpleStatementLine]:
        """The ``NAME = <setup>`` statements at the top of the task, after its docstring
        (imports in between stay: the set-up reads no name that they bind)."""
        body = list(function.body.body)
        block: list[cst.SimpleStatementLine] = []
        for statement in body[1:] if body and is_docstring(body[0]) else body:
            if is_import(statement):
                continue
            if not (isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1):
                break
            small = statement.body[0]
            if not (isinstance(small, cst.Assign) and m.matches(small, m.Assign(targets=[m.AssignTarget(m.Name())]))):
                break
            found = findall(small.value, m.Call())
            calls = [c for c in found if isinstance(c, cst.Call) and self._outer_function(c) is function]
            if not any(self._setup(c) for c in calls) or not self._independent(small.value):
                break
            block.append(statement)
        return block

    def _fix(self, function: cst.FunctionDef, call: cst.Call) -> cst.Module:
        task = function.name.value
        block = self._setup_block(function)
        if not any(c is call for statement in block for c in findall(statement, m.Call())):
            raise Unfixable(f"it is not a `NAME = ...` assignment at the top of `{task}`")
        uses = self.entries.uses[task]
        if not uses.only_task:
            raise Unfixable(f"`{task}` is also called or used other than as a pool task")
        names = [_assigned_name(statement) for statement in block]
        for name, statement in zip(names, block, strict=False):
            self._check_name(function, name)
            self._check_reads(statement)
        for pool in uses.tasks:
            line = self.get_metadata(PositionProvider, pool).start.line
            if pool_initializer(pool, self.api.call_api(pool)) is not None or keyword(pool, "initargs"):  # type: ignore[arg-type]
                raise Unfixable(f"the pool on line {line} has an initializer already; add the setup to it")
            if any(arg.star for arg in pool.args):
                raise Unfixable(f"the pool on line {line} takes unpacked arguments")
            if not self.hoisting.in_function(pool) and self.reach.owner[id(pool)] < self.reach.functions[task]:
                raise Unfixable(f"the pool on line {line} is created before `{task}` is defined")
        initializer = self.names.pick(f"_init_{task}", self.reach.global_scope)
        body = [
            cst.parse_statement(f'"""Pool initializer: set up, once per worker, what every call of `{task}` uses."""\n')
        ]
        body += [cst.parse_statement(f"global {', '.join(names)}\n"), *block]
        edits = Edits()
        for statement in block:
            edits.remove(statement)
        for pool in uses.tasks:
            edits.change(pool, lambda c: add_keyword(c, "initializer", cst.Name(initializer)))
        new = cst.FunctionDef(cst.Name(initializer), cst.Parameters(), cst.IndentedBlock(body))
        edits.insert_before(function, [placeholder(names), new])
        return edits.apply(self.module)

    def _check_name(self, function: cst.FunctionDef, name: str) -> None:
        """``name`` may become a module global that only the initializer and the task use,
        and the task does not end the object's life itself."""
        task = function.name.value
        assignments = list(self.scope(function.body).assignments[name])
        if len(assignments) != 1 or name in declared_names(function):
            raise Unfixable(f"`{task}` binds `{name}` more than once")
        if name in self.names.taken(self.reach.global_scope):
            raise Unfixable(f"`{name}` is also a module-level name or a builtin")
        for reference in assignments[0].references:
            parent = self.parents.get(reference.node)
            call = self.parents.get(parent) if isinstance(parent, cst.Arg) else None
            closing = isinstance(call, cst.Call) and "contextlib.closing" in self.api.qualified_names(call.func)
            if (
                closing
                or isinstance(parent, (cst.WithItem, cst.Del))
                or (isinstance(parent, cst.Attribute) and parent.attr.value == "close")
            ):
                raise Unfixable(
                    f"`{task}` ends `{name}` itself (`close()`, `with`, `del`), so one per call is intended"
                )

    def _check_reads(self, statement: cst.SimpleStatementLine) -> None:
        """The initializer reads the module-level names that a child's import binds."""
        for name in findall(statement.body[0].value, m.Name()):  # type: ignore[attr-defined]
            assert isinstance(name, cst.Name)
            scope = self.scopes.get(name)
            for access in (a for a in scope.accesses[name] if a.node is name) if scope is not None else ():
                if any(isinstance(r.scope, GlobalScope) for r in access.referents):
                    why = self.hoisting.where_bound(name.value)
                    if why is not None:
                        raise Unfixable(f"it reads {why}")


def _assigned_name(statement: cst.SimpleStatementLine) -> str:
    """``NAME`` of a ``NAME = ...`` line of the set-up block."""
    assign = cst.ensure_type(statement.body[0], cst.Assign)
    return cst.ensure_type(assign.targets[0].target, cst.Name).value


RULE = PerTaskSetup
