"""The `ast` pre-check of library-sets-start-method (False only when the rule can find nothing), and
its findings in functions, decided on `ast` as the rule's libcst side makes them."""

from __future__ import annotations

import ast
from collections.abc import Iterable
from typing import TYPE_CHECKING

from ..analysis.ast_api import UNSURE, full_name
from ..analysis.ast_reach import AstReach
from ..analysis.ast_scopes import own_bindings, parameters
from ..analysis.ast_walk import walk
from ..analysis.prechecks import AstFacts, keyword_value, positional_args
from ..libraries import EVERY_API, THREAD_SIDE, spellings

if TYPE_CHECKING:  # pragma: no cover
    from ..model import Finding, RuleSpec

APIS: frozenset[str] | None = EVERY_API - THREAD_SIDE
ADVICE = "create the processes of this module from `multiprocessing.get_context(method)`, or take a context"


# What a start method saved to be put back comes from.
GET_START_METHOD = frozenset(
    f"{package}.get_start_method"
    for package in ("multiprocessing", "torch.multiprocessing", "billiard", "multiprocess")
)
# The exceptions whose handler catches the RuntimeError of a second call.
CATCHING = frozenset({"RuntimeError", "Exception", "BaseException"})
# The last names of the callees that warn: ``warnings.warn()``, ``logger.warning()``.
WARNING_CALLS = frozenset({"warn", "warning"})


def in_function_message(
    func: str, forced: bool, caught: bool = False, warned: bool = False, insists: bool = False
) -> str:
    """What the rule says of ``func(...)`` called in a function of a module that is
    imported; ``caught``: in the body of a ``try`` whose handler catches RuntimeError
    (``insists``: and that handler asserts or raises); ``warned``: a call that warns comes
    before it in its function."""
    if forced:
        how = "after only a warning" if warned else "without a word"
        effect = f"with `force=True` it replaces, {how}, the start method that the program or another library chose"
    elif caught and insists:
        effect = (
            "where the program or another library chose one first, the call fails, and the `except` that catches "
            "it asserts or raises: a program that chose another start method cannot use this module"
        )
    elif caught:
        effect = (
            "where the program or another library chose one first, the call fails, and the `except` that catches "
            "it leaves this module with a start method it did not ask for"
        )
    else:
        effect = "a second call fails with `RuntimeError: context has already been set`"
    return f"`{func}()` sets the start method of the whole program from a module that is imported: {effect}"


def catches_runtime_error(handlers: list[str | None]) -> bool:
    """Handlers, by the names their types give (None: a bare ``except:``), one of which
    catches a RuntimeError."""
    return any(name is None or name in CATCHING for name in handlers)


def precheck(facts: AstFacts) -> bool:
    """A call spelled like ``set_start_method``, in a module with no main guard (with
    one, the module is a script)."""
    surely_guarded, _ = facts.guards
    return not surely_guarded and bool(facts.calls_to(facts.aliases(spellings({"set_start_method"}))))


def decide(facts: AstFacts, spec: RuleSpec) -> list[Finding] | None:
    """The rule's findings, as its libcst side makes them, for calls in functions of a
    module with no ``__main__`` guard; None where that side must tell (a call at module
    level, whose fix it builds)."""
    api, source = facts.api(spec.code), facts.source
    script = _is_script(facts)
    if script is not False:
        return [] if script else None
    reach = AstReach(facts)
    names = facts.aliases(spellings({"set_start_method"}))
    calls = []
    for call in facts.nodes(ast.Call):
        if (full_name(call.func) or "").rsplit(".", 1)[-1] not in names:
            continue
        called = api.call_api(call)
        if called is UNSURE:
            return None
        if called == "set_start_method":
            calls.append(call)
    if not calls:
        return []
    if any(reach.top_scope(call)[0] is None for call in calls):
        return None  # at module level: the rule may fix it
    referenced: set[str] | None = None  # the functions only the parent runs, and something calls
    found = []
    for call in calls:
        if _in_a_test(facts, call):
            continue
        if referenced is None:  # worked out once, for the first call outside tests
            parent_only = reach.parent_only()
            if parent_only is UNSURE:
                return None
            referenced = {name for name in parent_only if reach.uses(name)}  # type: ignore[union-attr]
        if reach.in_parent_only(call, referenced):
            continue
        given = positional_args(call)
        method = given[0] if given else keyword_value(call, "method")
        if _forced(call) and isinstance(method, ast.Constant) and method.value is None:
            continue  # forgets the method chosen, and chooses none (as the rule's ``_forgets``)
        if _forced(call) and isinstance(method, ast.Name):
            restores = _restores(facts, method)
            if restores is None:
                return None
            if restores:
                continue
        func = source.code(call.func)
        if func is None or source.parenthesised(call) or call.col_offset != call.func.col_offset:
            return None
        forced = _forced(call)
        catcher = _catcher(facts, call)
        insists = catcher is not None and _insists(catcher)
        message = in_function_message(func, forced, catcher is not None, forced and _warned(facts, call), insists)
        found.append(source.finding(spec, call, message, ADVICE))
    return found


def _restores(facts: AstFacts, method: ast.Name) -> bool | None:
    """The ``ast`` twin of the rule's ``_restores``: every binding of ``method`` in its
    function is a plain assignment of a ``get_start_method()`` call; None when only
    libcst's scopes can tell (a name the function does not bind itself, or binds after
    the call, a ``global``, a ``:=`` or ``del`` of it, or a callee that the names do not
    resolve)."""
    scopes = facts.scopes
    function = scopes.scope_of(method)
    name = method.id
    if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)) or name in scopes.declared:
        return None
    if any(isinstance(node, ast.NamedExpr) and node.target.id == name for node in walk(function)):
        return None
    scope: ast.AST = function
    while not (own_bindings(scope, name) or any(arg.arg == name for arg in parameters(scope))):  # type: ignore[arg-type]
        scope = scopes.scope_of(scope)  # a name its function does not bind is looked up outside
        while isinstance(scope, ast.ClassDef):  # a class's names are not seen by its methods
            scope = scopes.scope_of(scope)
        if not isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return None
    if any(arg.arg == name for arg in parameters(scope)):  # type: ignore[arg-type]
        return False  # a parameter is among the bindings: no assignment of `get_start_method()`
    if scope is not function:
        return None
    bindings = own_bindings(function, name)
    if any(_captures(node, name) for node in walk(function)):
        return False  # a `case` pattern binds it (libcst's scopes do not see such a binding)
    api = facts.api("")
    for node in bindings:
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Del):
            return None
        if (getattr(node, "lineno", 0), getattr(node, "col_offset", 0)) > (method.lineno, method.col_offset):
            return None  # which bindings a read refers to, libcst tells by their order
        parent = scopes.parent(node)
        if not (isinstance(node, ast.Name) and isinstance(parent, ast.Assign) and node in parent.targets):
            return False
        value = parent.value
        names = api.qualified_names(value.func) if isinstance(value, ast.Call) else set()
        if names is UNSURE:
            return None
        if not names & GET_START_METHOD:  # type: ignore[operator]
            return False
    return True


def _captures(node: ast.AST, name: str) -> bool:
    """``node`` is a ``case`` pattern that binds ``name``."""
    if isinstance(node, (ast.MatchAs, ast.MatchStar)):
        return node.name == name
    return isinstance(node, ast.MatchMapping) and node.rest == name


def _catcher(facts: AstFacts, call: ast.Call) -> ast.ExceptHandler | None:
    """The ``ast`` twin of the rule's ``_catcher``: the first handler of a ``try``, in the
    function of ``call``, whose body holds ``call``, that catches a RuntimeError."""
    node: ast.AST = call
    while (parent := facts.scopes.parent(node)) is not None and not isinstance(node, _SCOPES):
        if isinstance(parent, ast.Try) and any(node is statement for statement in parent.body):
            for handler in parent.handlers:
                kinds = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
                names = [None if kind is None else kind.id if isinstance(kind, ast.Name) else "" for kind in kinds]
                if catches_runtime_error(names):
                    return handler
        node = parent
    return None


def _insists(handler: ast.ExceptHandler) -> bool:
    """The handler asserts or raises, outside the functions and classes it defines."""
    todo: list[ast.AST] = list(handler.body)
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.Assert, ast.Raise)):
            return True
        if not isinstance(node, (*_SCOPES, ast.expr)):
            todo.extend(ast.iter_child_nodes(node))
    return False


_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)


def _warned(facts: AstFacts, call: ast.Call) -> bool:
    """The ``ast`` twin of the rule's ``_warned``: a call whose callee's last name warns
    starts on a line before ``call``'s, in the function that holds it."""
    function = facts.scopes.parent(call)
    while function is not None and not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
        function = facts.scopes.parent(function)
    if function is None:
        return False
    line = call.func.lineno
    return any(
        isinstance(node, ast.Call)
        and isinstance(node.func, (ast.Name, ast.Attribute))  # as the rule's libcst side reads callees
        and (full_name(node.func) or "").rsplit(".", 1)[-1] in WARNING_CALLS
        and node.func.lineno < line
        for node in walk(function)
    )


def _forced(call: ast.Call) -> bool:
    """The ``ast`` twin of the rule's ``_forced``: a ``force`` that may be true."""
    arg = keyword_value(call, "force")
    if arg is None:
        given = positional_args(call)
        arg = given[1] if len(given) > 1 else None
    return arg is not None and not (isinstance(arg, ast.Constant) and (arg.value is False or arg.value is None))


def _is_script(facts: AstFacts) -> bool | None:
    """``guard.is_script``: a ``#!`` line, a main guard, ``argparse`` imported or
    ``sys.argv`` read; None when only libcst can tell."""
    surely, maybe = facts.guards
    if surely:
        return True
    if maybe or facts.text.startswith("\ufeff"):
        return None
    first = facts.source.lines[0] if facts.source.lines else ""
    if first.lstrip(" \t\f").startswith("#!"):
        return True
    for node in facts.nodes(ast.Import, ast.ImportFrom):
        if isinstance(node, ast.ImportFrom):
            if not node.level and node.module == "argparse":
                return True
        elif any(alias.name == "argparse" for alias in node.names):
            return True
    names = facts.api("").names
    reads: list[ast.Name | ast.Attribute] = [*facts.nodes(ast.Name), *facts.nodes(ast.Attribute)]
    for read in reads:
        if (read.id if isinstance(read, ast.Name) else read.attr) == "argv":
            found = names.qualified_names(read)
            if found is UNSURE:
                return None
            if "sys.argv" in found:  # type: ignore[operator]
                return True
    return False


# The functions that only a test runner calls: unittest's and pytest's set-up and tear-down.
TEST_HOOKS = frozenset(
    {"setUp", "tearDown", "setUpClass", "tearDownClass", "setUpModule", "tearDownModule", "asyncSetUp"}
    | {"asyncTearDown", "setup_module", "teardown_module", "setup_function", "teardown_function", "setup_class"}
    | {"teardown_class", "setup_method", "teardown_method"}
)
FIXTURES = frozenset({"pytest.fixture", "fixture"})


TEST_FRAMEWORKS = frozenset({"pytest", "unittest"})


def is_test_code(name: str, decorators: Iterable[str | None], in_tests: bool) -> bool:
    """A function of that name and decorators (their dotted names, calls passed through)
    is a pytest fixture, or, in a module that imports a test framework (``in_tests``), a
    test or a test's set-up or tear-down: it chooses the start method for the tests that
    it runs, as a script does for itself."""
    return any(d in FIXTURES for d in decorators) or (in_tests and (name.startswith("test") or name in TEST_HOOKS))


def imports_a_test_framework(imported: Iterable[str | None]) -> bool:
    """Whether one of the modules that a module's imports name (``a.b`` of ``import a.b``
    and of ``from a.b import c``) is pytest or unittest, or a module of theirs."""
    return any((name or "").split(".")[0] in TEST_FRAMEWORKS for name in imported)


def _in_a_test(facts: AstFacts, call: ast.Call) -> bool:
    """The ``ast`` twin of the rule's ``_in_a_test``: some function around ``call`` is test code."""
    imports = facts.nodes(ast.Import, ast.ImportFrom)
    named: list[str | None] = [a.name for node in imports if isinstance(node, ast.Import) for a in node.names]
    named += [node.module for node in imports if isinstance(node, ast.ImportFrom) and not node.level]
    in_tests = imports_a_test_framework(named)
    node: ast.AST | None = facts.scopes.parent(call)
    while node is not None:
        function = node if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) else None
        if function is not None and is_test_code(function.name, map(full_name, function.decorator_list), in_tests):
            return True
        node = facts.scopes.parent(node)
    return False
