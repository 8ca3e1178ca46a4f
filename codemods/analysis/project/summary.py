"""What one module tells the project model, read from Python's ``ast`` in one pass.

A summary holds only plain data (strings, numbers, lists), so that it can be cached as
JSON by the file's content and sent to the worker processes. Names are resolved as far as
the module alone allows: ``mp.Queue`` through ``import multiprocessing as mp`` is the API
``Queue``; ``work`` through ``from workers import work`` is ``workers.work``, which the
model then looks for among the project's modules.
"""

from __future__ import annotations

import ast
import builtins
import re
import warnings
from dataclasses import asdict, dataclass, field
from typing import Any

from ...libraries import canonical, spellings
from ..ast_walk import ModuleIndex
from . import changes, parent, syspath
from .apis import IPC_FACTORIES, POOLS, SIDE_EFFECTS, TASK_METHODS
from .nodes import FUNCTIONS, Nodes, is_main_guard

# How a name read through a context of ``multiprocessing.get_context(...)`` is qualified.
CONTEXT_PREFIX = "multiprocessing.get_context."

# The APIs whose call starts processes; a module-level one is an import-time start.
STARTS = frozenset({"Process", "Pool", "ProcessPoolExecutor", "Manager"})
# Module-level objects that connect processes only when the parent hands them over (a
# Manager started at import is a process start, not an object a child can share).
SHARED_OBJECTS = IPC_FACTORIES - {"Manager"}
_BUILTINS = frozenset(dir(builtins))
# Top-level statements whose effects count: bare calls, which run whenever the module is
# imported and whose value nothing keeps (a child may need what ``CONFIG = load()`` or
# ``with open(...)`` gives, so repeating those is how it gets it).
_PLAIN = (ast.Expr,)


@dataclass
class Import:
    module: str  # as written, with the dots of a relative import: ``..pkg.mod``
    name: str | None  # the name taken ``from`` it; None for ``import module``
    bound: str  # the name the import binds here
    line: int
    at_load: bool  # runs when the module is imported: at module level, outside the guard


@dataclass
class Handover:
    """A callable handed to a child process: a process target, a pool task or initializer."""

    callee: str  # dotted, with imports resolved: ``workers.work``, ``.tasks.square``, ``work``
    written: str  # as written: ``work``, ``tasks.square``
    kind: str  # "target", "task" or "initializer"
    api: str  # Process, Pool, ProcessPoolExecutor
    line: int
    fork_only: bool  # on a context asked for ``fork`` by name


@dataclass
class ModuleSummary:
    guarded: bool = False  # has a ``__main__`` guard: run as a program
    imports: list[Import] = field(default_factory=list)
    functions: list[str] = field(default_factory=list)  # top-level defs
    lambdas: dict[str, int] = field(default_factory=dict)  # module-level name -> line of its lambda
    reads: dict[str, list[str]] = field(default_factory=dict)  # top-level def -> module-level names it reads
    shared: dict[str, list[Any]] = field(default_factory=dict)  # module-level name -> [API, line] of its IPC object
    starts: list[list[Any]] = field(default_factory=list)  # [API, line] of each import-time process start
    effects: list[list[Any]] = field(default_factory=list)  # [what it does, line] of each import-time effect
    handovers: list[Handover] = field(default_factory=list)
    attributes: dict[str, list[str]] = field(default_factory=dict)  # ``import m`` as ``m`` -> attributes read
    forks: bool = False  # sets the ``fork`` start method by name
    containers: list[str] = field(default_factory=list)  # module-level names bound to a list, dict, set...
    changes: dict[str, list[list[Any]]] = field(default_factory=dict)  # top-level def -> [name, line, what]
    imported_reads: dict[str, int] = field(default_factory=dict)  # when it starts children: dotted name -> line
    calls: dict[str, list[str]] = field(default_factory=dict)  # top-level def -> top-level defs it names
    parent_sets: list[list[Any]] = field(default_factory=list)  # a script's: see parent.parent_sets
    loaded: list[str] = field(default_factory=list)  # top-level defs that its import names (and may run)
    path_folders: list[str] = field(default_factory=list)  # added to sys.path: relative to its folder, or absolute

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ModuleSummary:
        summary = cls(**data)
        summary.imports = [Import(**item) for item in data["imports"]]
        summary.handovers = [Handover(**item) for item in data["handovers"]]
        return summary


def may_start(data: bytes) -> bool:
    """Whether a module's bytes may hand a callable to a child or start processes at
    import: they name, as a word, an API that starts processes (an alias or a context
    still spells it)."""
    return syspath.starts_a_word(_STARTING, data)


_STARTING = re.compile(rb"(?:" + b"|".join(re.escape(n.encode()) for n in sorted(spellings(STARTS))) + rb")\b")


def summarize(data: bytes) -> ModuleSummary | None:
    """The summary of a module's bytes; None when Python cannot parse them."""
    tree = parse(data)
    return summary_of(tree) if tree is not None else None


def parse(data: bytes) -> ast.Module | None:
    """A module's ``ast`` (None when Python cannot parse its bytes)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return ast.parse(data)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return None


def summary_of(tree: ast.Module, index: ModuleIndex | None = None) -> ModuleSummary | None:
    """The summary of a module's ``ast`` (``index``: its index, when the caller has made it)."""
    try:
        return _Summarizer(tree, index).summary
    except RecursionError:
        return None


def dotted(node: ast.expr) -> list[str] | None:
    """``a.b.c`` as ``["a", "b", "c"]``; None for anything but names and attributes."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return parts[::-1]


class _Summarizer:
    def __init__(self, tree: ast.Module, index: ModuleIndex | None) -> None:
        self.tree = tree
        self.nodes = Nodes(tree, index)
        self.summary = summary = ModuleSummary()
        summary.guarded = any(is_main_guard(statement) for statement in tree.body)
        self.defined = {s.name for s in tree.body if isinstance(s, (*FUNCTIONS, ast.ClassDef))}
        self._imports()
        self.sources = {i.bound: self._full(i) for i in summary.imports}
        self.contexts: dict[str, str | None] = {}
        self.contexts = self._contexts()
        self.pools = self._pool_names()
        self._module_level()
        self._functions()
        self._calls()
        self._state()

    # -- names -------------------------------------------------------------------------

    def _imports(self) -> None:
        at_load = {
            id(node)
            for index in range(len(self.tree.body))
            for node in self.nodes.in_statement(index, ast.Import, ast.ImportFrom, at_load=True)
        }
        for node in sorted(self.nodes.of(ast.Import, ast.ImportFrom), key=lambda n: (n.lineno, n.col_offset)):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    bound = alias.asname or alias.name.split(".")[0]
                    self.summary.imports.append(Import(alias.name, None, bound, node.lineno, id(node) in at_load))
            else:
                module = "." * node.level + (node.module or "")
                for alias in node.names:
                    bound = alias.asname or alias.name
                    self.summary.imports.append(Import(module, alias.name, bound, node.lineno, id(node) in at_load))

    @staticmethod
    def _full(found: Import) -> str:
        if found.name is None:
            return found.module if found.bound != found.module.split(".")[0] else found.bound
        return f"{found.module}.{found.name}" if not found.module.endswith(".") else found.module + found.name

    def qualified(self, node: ast.expr) -> str | None:
        """The dotted name ``node`` stands for, its root resolved through the imports (or
        to ``builtins``, or to a context from ``get_context``); None when unknown."""
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Call):
            made = self.qualified(node.value.func)
            return CONTEXT_PREFIX + node.attr if made == "multiprocessing.get_context" else None
        parts = dotted(node)
        if parts is None:
            return None
        root, rest = parts[0], parts[1:]
        if root in self.contexts:
            return CONTEXT_PREFIX + ".".join(rest) if rest else None
        if root in self.sources:
            return ".".join([self.sources[root], *rest])
        if root in _BUILTINS and root not in self.defined:
            return ".".join(["builtins", root, *rest])
        return ".".join(parts)

    def last_name(self, node: ast.expr) -> str | None:
        """The last part of what ``qualified`` gives ``node``, whenever it gives a name."""
        if isinstance(node, ast.Attribute):
            return node.attr
        return self.sources.get(node.id, node.id).rsplit(".", 1)[-1] if isinstance(node, ast.Name) else None

    def api(self, call: ast.Call) -> str | None:
        name = self.qualified(call.func)
        return canonical(name) if name is not None else None

    def _contexts(self) -> dict[str, str | None]:
        """Names bound to ``multiprocessing.get_context(...)``, with the method asked for."""
        return {
            target.id: _first_text(node.value)
            for node in self.nodes.of(ast.Assign)
            if isinstance(node.value, ast.Call)
            and self.last_name(node.value.func) == "get_context"
            and self.qualified(node.value.func) == "multiprocessing.get_context"
            for target in node.targets
            if isinstance(target, ast.Name)
        }

    def _pool_names(self) -> dict[str, bool]:
        """Names bound to a pool (``p = Pool()``, ``with Pool() as p``), each with whether
        every pool it is bound to is made on a ``fork`` context."""
        names: dict[str, bool] = {}
        made = [(node.value, node.targets) for node in self.nodes.of(ast.Assign)]
        made += [
            (item.context_expr, [item.optional_vars])
            for node in self.nodes.of(ast.With, ast.AsyncWith)
            for item in node.items
        ]
        for value, targets in made:
            # The last name first: most assignments in a module call something else.
            if isinstance(value, ast.Call) and self.last_name(value.func) in _POOL_NAMES and self.api(value) in POOLS:
                for target in targets:
                    if isinstance(target, ast.Name):
                        names[target.id] = names.get(target.id, True) and self._fork_context(value.func)
        return names

    # -- what runs at import -------------------------------------------------------------

    def _module_level(self) -> None:
        summary = self.summary
        for index, statement in enumerate(self.tree.body):
            if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
                target, value = statement.targets[0], statement.value
                if isinstance(target, ast.Name) and isinstance(value, ast.Lambda):
                    summary.lambdas[target.id] = statement.lineno
                elif isinstance(target, ast.Name) and isinstance(value, ast.Call):
                    api = self.api(value)
                    if api in SHARED_OBJECTS:
                        summary.shared[target.id] = [api, statement.lineno]
            for name in self.nodes.in_statement(index, ast.Name, at_load=True):
                if name.id in self.defined and name.id not in summary.loaded:
                    summary.loaded.append(name.id)
            for node in self.nodes.in_statement(index, ast.Call, at_load=True):
                api = self.api(node)
                if api in STARTS:
                    summary.starts.append([api, node.lineno])
                what = SIDE_EFFECTS.get(self.qualified(node.func) or "") if isinstance(statement, _PLAIN) else None
                if what is not None:
                    summary.effects.append([what, node.lineno])

    # -- functions -----------------------------------------------------------------------

    def _functions(self) -> None:
        of = self.nodes.in_statement
        body = self.tree.body
        module_names = {
            node.id
            for index, statement in enumerate(body)
            if not isinstance(statement, FUNCTIONS)
            for node in of(index, ast.Name)
            if isinstance(node.ctx, ast.Store)
        }
        for index, statement in enumerate(body):
            if not isinstance(statement, FUNCTIONS):
                continue
            self.summary.functions.append(statement.name)
            names: list[ast.Name] = of(index, ast.Name)
            local = {node.id for node in names if isinstance(node.ctx, ast.Store)}
            local |= {node.arg for node in of(index, ast.arg)}  # parameters too
            declared = {name for node in of(index, ast.Global) for name in node.names}
            reads = {
                node.id
                for node in names
                if isinstance(node.ctx, ast.Load)
                and node.id in module_names and (node.id in declared or node.id not in local)
            }  # fmt: skip
            if reads:
                self.summary.reads[statement.name] = sorted(reads)
            named = {node.id for node in names if node.id in self.defined and node.id not in local}
            if named - {statement.name}:
                self.summary.calls[statement.name] = sorted(named - {statement.name})
            changed = changes.changes(of(index, *changes.CHANGING), module_names, set(self.sources), self.qualified)
            if changed:
                self.summary.changes[statement.name] = changed

    def _state(self) -> None:
        """Module-level containers; and, in a module that starts children, the imported
        names it reads outside the functions it hands them."""
        self.summary.containers = changes.containers(self.tree.body, self.qualified)
        if not self.summary.handovers:
            return
        handed = {h.callee for h in self.summary.handovers}
        skipped = {i for i, s in enumerate(self.tree.body) if isinstance(s, FUNCTIONS) and s.name in handed}
        reading = [self.nodes.in_statement(index, ast.Attribute, ast.Name) for index in range(len(self.tree.body))]
        self.summary.imported_reads = changes.imported_reads(reading, skipped, set(self.sources), self.qualified)
        if self.summary.guarded:
            self._parent_sets(handed)

    def _parent_sets(self, handed: set[str]) -> None:
        body, nodes = self.tree.body, self.nodes
        guards = {i for i, statement in enumerate(body) if is_main_guard(statement)}
        names = [nodes.in_statement(index, ast.Name) for index in range(len(body))]
        for index, function in parent.parent_statements(body, names, guards, handed).items():
            found = parent.parent_sets(body[index], nodes.every(index), function, set(self.sources), self.qualified)
            self.summary.parent_sets += found

    # -- handovers -----------------------------------------------------------------------

    def _calls(self) -> None:
        attributes = self.summary.attributes
        for node in self.nodes.of(ast.Attribute):
            if isinstance(node.value, ast.Name) and node.value.id in self.sources:
                read = attributes.setdefault(node.value.id, [])
                read += [node.attr] if node.attr not in read else []
        calls = [node for node in self.nodes.of(ast.Call) if self.last_name(node.func) in _CALLS]
        for node in sorted(calls, key=lambda n: (n.lineno, n.col_offset)):
            name = self.qualified(node.func)
            if name in syspath.ADDERS and (folder := syspath.added_folder(node, self.qualified)) is not None:
                self.summary.path_folders.append(folder)
            if name in ("multiprocessing.set_start_method", "multiprocessing.get_context"):
                self.summary.forks |= _first_text(node) == "fork" and name.endswith("set_start_method")
            api = canonical(name) if name else None
            if api == "Process":
                target = _keyword(node, "target") or (node.args[1] if len(node.args) > 1 else None)
                self._hand(target, "target", api, node)
            elif api in POOLS:
                self._hand(_keyword(node, "initializer"), "initializer", api, node)
            elif isinstance(node.func, ast.Attribute) and node.func.attr in TASK_METHODS and node.args:
                pool = self._pool_of(node.func.value)
                if pool is not None:
                    self._hand(node.args[0], "task", pool[0], node, forked=pool[1])

    def _fork_context(self, func: ast.expr) -> bool:
        """``get_context("fork").Process`` or ``ctx.Process`` of such a context: the child
        is forked whatever the default start method."""
        value = func.value if isinstance(func, ast.Attribute) else None
        if isinstance(value, ast.Name):
            return self.contexts.get(value.id) == "fork"
        return isinstance(value, ast.Call) and _first_text(value) == "fork"

    def _pool_of(self, receiver: ast.expr) -> tuple[str, bool] | None:
        """The API of the pool that ``receiver`` names, and whether its workers are forked."""
        if isinstance(receiver, ast.Call) and (api := self.api(receiver)) in POOLS:
            return api, self._fork_context(receiver.func)
        if isinstance(receiver, ast.Name) and receiver.id in self.pools:
            return "Pool", self.pools[receiver.id]
        return None

    def _hand(self, given: ast.expr | None, kind: str, api: str, call: ast.Call, forked: bool = False) -> None:
        parts = dotted(given) if given is not None else None
        callee = self.qualified(given) if given is not None and parts else None
        if callee is None or callee.startswith("builtins.") or parts is None:
            return
        fork_only = forked or self._fork_context(call.func)
        written = ".".join(parts)
        self.summary.handovers.append(Handover(callee, written, kind, api, call.lineno, fork_only))


# The last names of the callees that ``_Summarizer._calls`` reads: what adds to
# ``sys.path``, sets or asks for a start method, makes processes or pools, hands a task over.
_POOL_NAMES = spellings(POOLS)
_CALLS = frozenset(
    {name.rsplit(".", 1)[-1] for name in syspath.ADDERS}
    | {"set_start_method", "get_context"}
    | spellings({"Process", *POOLS})
    | TASK_METHODS
)


def _keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


def _first_text(call: ast.Call) -> str | None:
    first = call.args[0] if call.args else None
    return first.value if isinstance(first, ast.Constant) and isinstance(first.value, str) else None
