"""The `ast` pre-check of fork-pinned-with-threads (False only when the rule can find nothing), and
its findings, decided on `ast` as the rule's libcst side makes them."""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from ..analysis.ast_api import UNSURE, full_name
from ..analysis.ast_findings import one_string
from ..analysis.prechecks import AstFacts, base_name, keyword_value, positional_args
from ..analysis.project.apis import THREAD_CALLS
from ..libraries import EVERY_API, THREAD_SIDE, spellings

if TYPE_CHECKING:  # pragma: no cover
    from ..model import Finding, RuleSpec

PINS = frozenset({"set_start_method", "get_context"})
THREAD_POOLS = frozenset({"ThreadPool", "ThreadPoolExecutor"})
THREAD_CLASS = "threading.Thread"
# The rules that find code that works under fork only; with none of their findings left,
# the program runs under the default start method.
FORK_DEPENDENT_RULES = (
    "missing-main-guard (MP001), ipc-outside-parent (MP003), unpicklable-task (MP009) and "
    "import-side-effects (MP013)"
)
ADVICE = (
    "remove the pin, so that the default start method (forkserver on Linux since Python 3.14) "
    f"applies, and fix what {FORK_DEPENDENT_RULES} then report"
)


def message(pin: str, thread: str, line: int) -> str:
    """What the rule says of the pin ``pin``, in a program whose first thread is ``thread``."""
    return (
        f"`{pin}` pins the start method to fork in a program that also starts threads (`{thread}` on line "
        f"{line}): a lock that another thread holds at the fork stays locked in the child for good, and a "
        "child that needs it hangs"
    )


def _ast_pins_fork(call: ast.Call) -> bool:
    return isinstance(method := _method(call), ast.Constant) and method.value == "fork"


def _method(call: ast.Call) -> ast.expr | None:
    args = positional_args(call)
    return args[0] if args else keyword_value(call, "method")


APIS: frozenset[str] | None = EVERY_API - THREAD_SIDE


def precheck(facts: AstFacts) -> bool:
    """A ``set_start_method("fork")`` or ``get_context("fork")``, and a call or a base
    class spelled like a thread or a thread pool."""
    if not any(_ast_pins_fork(call) for call in facts.calls_to(PINS)):
        return False
    last_names = {name.rsplit(".", 1)[-1] for name in THREAD_CALLS}
    threads = facts.aliases(last_names | spellings(THREAD_POOLS))
    bases = (base for node in facts.nodes(ast.ClassDef) for base in node.bases)
    return bool(facts.calls_to(threads)) or any(base_name(base) in threads for base in bases)


def decide(facts: AstFacts, spec: RuleSpec) -> list[Finding] | None:
    """The rule's findings, as its libcst side makes them; None where that side must tell."""
    api, source = facts.api(spec.code), facts.source
    pins: list[ast.Call] = []
    threads: list[ast.Call | ast.ClassDef] = []
    pin_names = facts.aliases(PINS)
    thread_names = facts.aliases({name.rsplit(".", 1)[-1] for name in THREAD_CALLS} | spellings(THREAD_POOLS))
    for call in facts.nodes(ast.Call):
        last = (full_name(call.func) or "").rsplit(".", 1)[-1]
        if last not in pin_names and last not in thread_names:
            continue
        names, called = api.qualified_names(call.func), api.call_api(call)
        if names is UNSURE or called is UNSURE:
            return None
        if called in PINS and one_string(source, _method(call)) == "fork" and not _compared(facts, call, called):
            pins.append(call)
        if called in THREAD_POOLS or THREAD_CALLS & names:  # type: ignore[operator]
            threads.append(call)
    bases = facts.aliases({"Thread"})
    for node in facts.nodes(ast.ClassDef):
        for base in node.bases:
            value = base.value if isinstance(base, ast.Starred) else base
            if (full_name(value) or "").rsplit(".", 1)[-1] not in bases:
                continue
            names = api.qualified_names(value)
            if names is UNSURE:
                return None
            if THREAD_CLASS in names:  # type: ignore[operator]
                threads.append(node)
                break
    if not pins or not threads:
        return []
    first = min(threads, key=_order)
    top = facts.top_level_of(first)
    if isinstance(top, (ast.FunctionDef, ast.AsyncFunctionDef)) and top.name in facts.entries.runs_in_child:
        return None  # it may run in children only, and the next thread would be named
    if isinstance(first, ast.ClassDef):
        thread, line = first.name, first.lineno
    else:
        thread, line = source.code(first.func), first.lineno  # type: ignore[assignment]
        if thread is None or source.parenthesised(first) or first.col_offset != first.func.col_offset:
            return None
    found = []
    for pin in pins:
        text = source.code(pin)
        if text is None:
            return None
        found.append(source.finding(spec, pin, message(text, thread, line), ADVICE))
    return found


def _compared(facts: AstFacts, call: ast.Call, called: object) -> bool:
    """``get_context("fork")`` compared (``ctx is get_context("fork")``): it is looked at,
    and nothing is started from it."""
    return called == "get_context" and isinstance(facts.scopes.parent(call), ast.Compare)


def _order(node: ast.Call | ast.ClassDef) -> tuple[int, int, int, int]:
    """libcst's order of nodes: by where they start, the one that holds the other first;
    a decorated class starts at its first decorator."""
    decorators = node.decorator_list if isinstance(node, ast.ClassDef) else []
    first: ast.expr | ast.ClassDef = decorators[0] if decorators else node
    assert node.end_lineno is not None and node.end_col_offset is not None
    return (first.lineno, first.col_offset - bool(decorators), -node.end_lineno, -node.end_col_offset)
