"""MP005 map-materializes-iterable: ``Pool.map()`` reads a lazy, large or endless input
into a list and holds every result; ``ProcessPoolExecutor.map()`` submits a task for every
item of it before it returns.

Where the results are read once, by a ``for`` loop, a comprehension or a builtin such as
``sum()``, ``pool.imap(f, it, chunksize=64)`` reads the input and hands out results as it
goes, and so does ``executor.map(f, it, buffersize=64)`` from Python 3.14 on (the target
version says whether the code may use it). Anything else is reported with what to do. Which inputs count is
mpfix.analysis.lazy_input's business; this module decides whether ``imap()`` keeps the meaning.
"""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst
from libcst.metadata import (
    Scope,
)

from ..analysis import match as m
from ..analysis.facts import findall
from ..analysis.lazy_input import Input, LazyInputs, constant_int
from ..analysis.loop_body import BodyFacts, body_facts, conflicts
from ..analysis.names import EXIT_CALLS
from ..analysis.pool_blocks import runs_last, with_block
from ..model import TargetVersion
from ..prechecks.map_materializes_iterable import EXECUTORS, METHODS, POOLS
from ..rewrite.fresh_names import FreshNames
from ..rewrite.handover import add_keyword
from ._base import RuleVisitor, Unfixable

# imap() sends one item a message by default, which costs far more than most tasks; 64
# items a message is near map()'s speed and keeps little in flight (see the page).
DEFAULT_CHUNKSIZE = 64
# Builtins that read an iterable once, to its end, and run no code of the caller's between
# items; the number is how many positional arguments they take.
READ_ALL = {"builtins.sum": 2, "builtins.sorted": 1, "builtins.set": 1, "builtins.frozenset": 1,
            "builtins.list": 1, "builtins.tuple": 1, "builtins.min": 1, "builtins.max": 1,
            "builtins.dict": 1, "collections.Counter": 1}  # fmt: skip
STOP_EARLY = frozenset({"builtins.any", "builtins.all"})
# unittest's context managers that expect the block to raise (pytest's is `pytest.raises`).
LEAVING = ("break", "return", "raise", "assert", "exit", "yield")
TITLE = f"Read the input as the tasks need it, with `imap(..., chunksize={DEFAULT_CHUNKSIZE})`"
LAZY_POOL_MAP = f"`imap(..., chunksize={DEFAULT_CHUNKSIZE})`"
# Tasks submitted ahead of the results read: 64 keeps up to 64 workers busy, and little in flight.
DEFAULT_BUFFERSIZE = 64
BUFFERED = TargetVersion.PY314  # Executor.map() takes buffersize from Python 3.14 on
LAZY_EXECUTOR_MAP = f"`map(..., buffersize={DEFAULT_BUFFERSIZE})`"
EXECUTOR_TITLE = f"Submit the tasks as the results are read, with `map(..., buffersize={DEFAULT_BUFFERSIZE})`"


@dataclass(frozen=True)
class Consumer:
    kind: str  # "all": reads every result; "early": may stop before the last one
    node: cst.CSTNode  # the loop, comprehension or call that reads the results
    parts: tuple[cst.CSTNode, ...]  # the caller's code that runs between results
    name: str
    drops: bool = False  # a statement of the call alone, which throws the results away


# The statement's only effect is what its tasks do. When a task raises, map() waits for
# every other task before it raises; the loop raises at the first failed result, and the
# pool's end (``with``, terminate()) may then stop the tasks after it.
DRAINED_UNSAFE = (
    "if a task raises, `map()` runs every other task before it raises, while the loop raises at the first failed "
    "result and the tasks after it may never run"
)
# CPython's Pool.terminate() joins its task thread after it has killed the workers; that
# thread, still reading an input, may wait for the result queue's lock, which a worker
# killed while sending a result never gives back (python/cpython#96995).
ENDLESS_END = "`terminate()` can then hang on a lock that a killed worker held (CPython issue 96995)"
EXECUTOR_DRAINED_UNSAFE = (
    "if a task raises, `map()` runs every other task, while the loop raises at the first failed result and cancels "
    "the tasks after it"
)


class MapMaterializesIterable(RuleVisitor):

    def visit_Module(self, node: cst.Module) -> None:
        self.inputs = LazyInputs(self.bindings)
        self.names = FreshNames.of(self.facts)
        self.discards: dict[Scope, str] = {}

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if not (isinstance(func, cst.Attribute) and func.attr.value in METHODS) or any(a.star for a in node.args):
            return
        positional = [a.value for a in node.args if a.keyword is None]
        keywords = {a.keyword.value: a.value for a in node.args if a.keyword is not None}
        executor = func.attr.value == "map" and self.bindings.is_instance(func.value, EXECUTORS)
        if executor:  # map(fn, *iterables): one iterable, that zip() does not cut short
            iterable = positional[1] if len(positional) == 2 and "buffersize" not in keywords else None
        else:
            iterable = positional[1] if len(positional) > 1 else keywords.get("iterable")
        if iterable is None or not (executor or self.bindings.is_instance(func.value, POOLS)):
            return
        source = self.inputs.classify(iterable)
        if source is not None and not self.expected_to_raise(node):
            self._judge(node, iterable, source, executor)

    def _judge(self, call: cst.Call, iterable: cst.BaseExpression, source: Input, executor: bool) -> None:
        consumer = self._consumer(call)
        drops = consumer is not None and consumer.drops
        message = self._executor_message(call, source) if executor else self._message(call, source, drops=drops)
        lazy = LAZY_EXECUTOR_MAP if executor else LAZY_POOL_MAP
        try:
            unsafe = self._plan(call, iterable, source, consumer, lazy, executor)
            new, odd_chunksize = self._buffered(call) if executor else self._imap(call)
            fix = self._drained(consumer, new, lazy) if drops else (call, new)  # type: ignore[arg-type]
            if executor and self.target_version.version < BUFFERED.version:
                raise Unfixable(
                    f"{lazy} reads the input as the results are read from Python {BUFFERED.dotted} on, and the "
                    f"target version is {self.target_version}; until then, use a `multiprocessing` pool's `imap()`, "
                    "or submit the tasks in batches"
                )
            if executor and not self._takes_buffersize(cst.ensure_type(call.func, cst.Attribute).value):
                raise Unfixable(
                    "only `concurrent.futures`' own executors take `buffersize=`; submit the tasks in batches"
                )
        except Unfixable as why:
            self.report(call, message, not_fixed=why)
            return
        if drops:
            unsafe = unsafe or (EXECUTOR_DRAINED_UNSAFE if executor else DRAINED_UNSAFE)
        unsafe = unsafe or odd_chunksize
        self.report(call, message, fix=fix, unsafe=unsafe, fix_title=EXECUTOR_TITLE if executor else TITLE)

    def _takes_buffersize(self, executor: cst.BaseExpression) -> bool:
        """``executor`` is made by a library whose ``map()`` takes ``buffersize=`` (not
        loky's, for one): made right there, or bound once by an assignment or a ``with``."""
        made: cst.CSTNode | None = executor
        if isinstance(executor, cst.Name):
            bindings = self.bindings.of(executor)
            binding = self.parent(bindings[0]) if len(bindings) == 1 and bindings[0] is not None else None
            if isinstance(binding, cst.AssignTarget):
                made = self.bindings.assigned(binding)
            elif isinstance(binding, cst.AsName) and isinstance(item := self.parent(binding), cst.WithItem):
                made = item.item
        library = self.api.call_library(made) if isinstance(made, cst.Call) else None
        return library is not None and library.map_buffersize

    def _executor_message(self, call: cst.Call, source: Input) -> str:
        method = f"`{self.module.code_for_node(call.func)}()`"
        if source.endless:
            return (
                f"{method} submits a task for every item of {source.what} before it returns, and it never ends: the "
                "call never returns and uses ever more memory"
            )
        return (
            f"{method} reads all of {source.what} and submits a task for every item before it returns: every item "
            "waits in memory, with its task, until a worker takes it"
        )

    def _buffered(self, call: cst.Call) -> tuple[cst.Call, None]:
        """``executor.map(...)`` with ``buffersize``: it submits that many tasks, and one
        more as each result is read."""
        return add_keyword(call, "buffersize", cst.Integer(str(DEFAULT_BUFFERSIZE))), None

    def _message(self, call: cst.Call, source: Input, *, drops: bool) -> str:
        method = f"`{self.module.code_for_node(call.func)}()`"
        if source.endless:
            return (
                f"{method} reads {source.what} into a list before it starts, and it never ends: the call never returns "
                "and uses ever more memory"
            )
        results = (
            "builds a list of every result, which the statement throws away"
            if drops
            else "holds every result until the last one is done"
        )
        if source.listed:
            return f"{method} reads all of {source.what} into a list before the first task starts, and {results}"
        if drops:
            return f"{method} builds a list of every result of {source.what}, which the statement throws away"
        return f"{method} holds every result of {source.what} in one list until the last one is done"

    def _drained(self, consumer: Consumer, lazy_call: cst.Call, lazy: str) -> tuple[cst.CSTNode, cst.CSTNode]:
        """The statement as a ``for`` loop that reads every result and keeps none (unsafe:
        see DRAINED_UNSAFE)."""
        line = self.parent(consumer.node)
        if not isinstance(line, cst.SimpleStatementLine) or len(line.body) != 1:
            raise Unfixable(f"the statement shares its line with others; loop over {lazy} instead")
        scope = self.scope(line)
        if scope not in self.discards:  # the loops of one scope share their throwaway name
            self.discards[scope] = self.names.pick("_", scope)
        loop = cst.For(
            target=cst.Name(self.discards[scope]),
            iter=lazy_call,
            body=cst.IndentedBlock([cst.SimpleStatementLine([cst.Pass()])], header=line.trailing_whitespace),
            leading_lines=line.leading_lines,
        )
        return line, loop

    def _imap(self, call: cst.Call) -> tuple[cst.Call, str | None]:
        """``call`` as ``imap()``, and why its chunksize may not suit ``imap()``: ``map()``
        reads None as "choose one", ``imap()`` refuses it."""
        new = call.with_changes(func=call.func.with_changes(attr=cst.Name("imap")))
        default = cst.Integer(str(DEFAULT_CHUNKSIZE))
        given = [
            a
            for i, a in enumerate(call.args)
            if (a.keyword is None and i == 2) or (a.keyword and a.keyword.value == "chunksize")
        ]
        if not given:
            return add_keyword(new, "chunksize", default), None
        value = given[0].value
        if m.matches(value, m.Name("None")):
            return new.with_deep_changes(new.args[call.args.index(given[0])], value=default), None
        number = constant_int(value)
        if number is not None and number >= 1:
            return new, None
        code = self.module.code_for_node(value)
        return (
            new,
            f"`imap()` needs a whole number for chunksize, and `{code}` may be None, which `map()` reads as: choose "
            "one",
        )

    def _plan(
        self,
        call: cst.Call,
        iterable: cst.BaseExpression,
        source: Input,
        consumer: Consumer | None,
        lazy: str,
        executor: bool,
    ) -> str | None:
        """Why reading lazily (``lazy``) is unsafe here (None: it is safe); raises Unfixable.

        An executor's lazy ``map()`` reads the next item as a result is read, and cancels
        the tasks still waiting once the results are no longer read, as its eager
        ``map()`` cancels them: a loop that stops early keeps its meaning."""
        method = cst.ensure_type(call.func, cst.Attribute)  # ``pool.map``
        pool = method.value
        if method.attr.value == "starmap":
            raise Unfixable(
                "`starmap()` has no lazy twin; use `imap()` with a module-level function that "
                "unpacks each tuple (`def g(args): return f(*args)`), and read its results once"
            )
        if consumer is None:
            raise Unfixable(
                "the results are kept as a list here (assigned, returned or passed on); if they are read only "
                f"once, loop over {lazy} instead, inside the pool's `with` block"
            )
        facts = body_facts(consumer.parts, is_exit_call=lambda c: bool(self.api.qualified_names(c.func) & EXIT_CALLS))
        leaving = [e for e in facts.exits if e.kind in LEAVING]
        if any(e.kind == "await" for e in facts.exits):
            raise Unfixable("the loop pauses at `await`, and the pool may be closed before it goes on")
        if any(e.kind == "yield" for e in leaving) and not with_block(self.bindings, pool, consumer.node):
            raise Unfixable(
                "the loop pauses at `yield`, and the pool may be closed before it goes on; "
                "read the results inside the pool's `with` block"
            )
        if isinstance(pool, cst.Name) and any(
            isinstance(n, cst.Name) and n.value == pool.value
            for part in consumer.parts
            for n in findall(part, m.Name())
        ):
            raise Unfixable(
                f"{consumer.name} uses `{pool.value}` too, while the pool would still be reading the input; "
                "collect the results first"
            )
        stops = (consumer.kind == "early" or bool(leaving)) and not executor
        how = consumer.name
        if leaving:
            first = leaving[0]
            what = self.module.code_for_node(first.node) if first.kind == "exit" else first.kind
            how = f"`{what}` (line {self.line(first.node)})"
        if source.endless:
            if consumer.kind == "all" and not leaving:
                raise Unfixable(
                    f"{consumer.name} needs every result of an endless input, so it would not finish with {lazy} "
                    "either; bound the input, with `itertools.islice()` for example"
                )
            if stops and not runs_last(self.bindings, consumer.node, pool):
                raise Unfixable(
                    f"once {consumer.name} stops, the pool would go on reading the endless input until it is "
                    "closed; make the loop the last use of the pool in its `with` block"
                )
            # The original never returned: reading lazily is the only meaning it can have.
            # But the pool then ends while its task thread still reads the input.
            return (
                f"{how} stops while the pool still reads the endless input, so the pool's end terminates busy "
                f"workers, and {ENDLESS_END}"
                if stops
                else None
            )
        if stops:
            return (
                f"{how} can stop before the last result: the tasks of the items after it then stop "
                "when the pool closes, where `map()` ran them all"
            )
        changed = self._changed_input(facts, iterable, source)
        if changed is not None:
            return (
                f"{consumer.name} changes `{changed}`, which the input reads: {lazy} reads the input while the loop "
                "runs"
            )
        return None

    # -- who reads the results -----------------------------------------------------------

    def _consumer(self, call: cst.Call) -> Consumer | None:
        node: cst.CSTNode = call
        parent = self.parent(node)
        if self._first_argument(parent, {"builtins.enumerate": 1}):  # as lazy as what it numbers
            enumerated = self.parent(parent)
            assert enumerated is not None  # the call of ``enumerate``
            node, parent = enumerated, self.parent(enumerated)
        if isinstance(parent, cst.For) and parent.iter is node and parent.asynchronous is None:
            return Consumer("all", parent, (parent.body,), "the `for` loop")
        if isinstance(parent, cst.Expr) and node is call:
            return Consumer("all", parent, (), "the statement", drops=True)
        if isinstance(parent, cst.CompFor) and parent.iter is node and parent.asynchronous is None:
            comp = self.parent(parent)
            if (
                not isinstance(comp, (cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp))
                or comp.for_in is not parent
            ):
                return None
            elements = (comp.key, comp.value) if isinstance(comp, cst.DictComp) else (comp.elt,)
            parts = (*elements, *parent.ifs, *([parent.inner_for_in] if parent.inner_for_in else []))
            if not isinstance(comp, cst.GeneratorExp):
                return Consumer("all", comp, parts, "the comprehension")
            outer = self._builtin(self.parent(comp))
            return Consumer(outer.kind, comp, parts, outer.name) if outer is not None else None
        return self._builtin(parent)

    def _first_argument(self, arg: cst.CSTNode | None, callees: dict[str, int]) -> str | None:
        """The callee's name when ``arg`` is the first argument of a call of one of
        ``callees``, which takes at most that many positional arguments."""
        call = self.parent(arg) if isinstance(arg, cst.Arg) and arg.keyword is None and not arg.star else None
        if not isinstance(call, cst.Call) or call.args[0] is not arg or any(a.star for a in call.args):
            return None
        positional = sum(1 for a in call.args if a.keyword is None)
        return next((n for n in self.api.qualified_names(call.func) if n in callees and positional <= callees[n]), None)

    def _builtin(self, arg: cst.CSTNode | None) -> Consumer | None:
        call = self.parent(arg) if isinstance(arg, cst.Arg) and arg.keyword is None and not arg.star else None
        joins = isinstance(call, cst.Call) and m.matches(
            call, m.Call(func=m.Attribute(value=m.SimpleString(), attr=m.Name("join")), args=[m.Arg()])
        )
        name = "str.join" if joins else self._first_argument(arg, {**READ_ALL, **dict.fromkeys(STOP_EARLY, 1)})
        if name is None:
            return None
        kind = "early" if name in STOP_EARLY else "all"
        assert call is not None  # the call that reads the results
        return Consumer(kind, call, (), f"`{name.removeprefix('builtins.')}()`")

    # -- what the loop changes ---------------------------------------------------------

    def _changed_input(self, facts: BodyFacts, iterable: cst.BaseExpression, source: Input) -> str | None:
        """A name or object that the loop changes and the input reads (read lazily, in the
        pool's task thread, the input would see the change)."""
        reads = self.inputs.reads(iterable, source)
        for path, _ in [*facts.changed, *(((name,), node) for name, node in facts.assigned.items())]:
            if any(conflicts(path, read) for read in reads):
                return ".".join(path)
        return None


RULE = MapMaterializesIterable
