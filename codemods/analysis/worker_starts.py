"""Code that starts worker processes without calling a process API by name.

A torch ``DataLoader`` whose ``num_workers`` is not 0 starts its workers when it is
iterated (``for batch in loader``, ``iter(loader)``, ``enumerate(loader)``...), and a
Hugging Face ``Dataset.map(..., num_proc=N)`` starts a pool. Which classes and arguments
these are is the table's (mpfix.libraries: ``workers_keyword``).
"""

from __future__ import annotations

import libcst as cst
from libcst.helpers import get_full_name_for_node

from ..libraries import LIBRARIES, Library
from . import match as m
from .facts import findall
from .names import ApiResolver
from .project.apis import LOADER_CALLBACKS as LOADER_CALLBACKS
from .project.apis import WORKER_CLASSES as WORKER_CLASSES
from .project.apis import WORKER_KEYWORDS as WORKER_KEYWORDS
from .statements import calls_in

# Builtins that iterate their argument.
_ITERATING = frozenset(
    {"iter", "next", "list", "tuple", "set", "sorted", "enumerate", "zip", "sum", "any", "all", "max", "min"}
)
# A DataLoader's parameters, in order, up to ``num_workers``.
_LOADER_POSITIONS = ("dataset", "batch_size", "shuffle", "sampler", "batch_sampler", "num_workers")
# Values of a workers argument that start no process.
_NO_WORKERS = frozenset({"0", "None", "1"})


def _argument(call: cst.Call, keyword: str, positions: tuple[str, ...] = ()) -> cst.BaseExpression | None:
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == keyword:
            return arg.value
    index = positions.index(keyword) if keyword in positions else None
    given = [arg for arg in call.args if arg.keyword is None and not arg.star]
    return given[index].value if index is not None and index < len(given) else None


def asks_for_workers(call: cst.Call, library: Library, no_workers: frozenset[str]) -> bool:
    """``call`` passes the library's workers argument, and not a literal that means none."""
    assert library.workers_keyword is not None
    value = _argument(call, library.workers_keyword, _LOADER_POSITIONS if library.pools else ())
    if value is None:
        return False
    return not (isinstance(value, (cst.Integer, cst.Name)) and value.value in no_workers)


class WorkerStarts:
    """Finds, in module-level statements, where worker processes start."""

    def __init__(self, module: cst.Module, api: ApiResolver) -> None:
        self.api = api
        self.loaders: set[str] = set()
        self.loaders = self._loaders(module)
        self.pool_mappers = self._pool_mappers(module)

    def _loaders(self, module: cst.Module) -> set[str]:
        """Names that every module-level assignment binds to a DataLoader with workers."""
        made: dict[str, bool] = {}
        for assign in findall(module, m.Assign()):
            for target in assign.targets:  # type: ignore[attr-defined]
                if isinstance(target.target, cst.Name):
                    name = target.target.value
                    made[name] = made.get(name, True) and self._loader(assign.value)  # type: ignore[attr-defined]
        return {name for name, loader in made.items() if loader}

    def _loader(self, node: cst.BaseExpression) -> bool:
        """``node`` is a DataLoader with workers: made right there, or a name bound to one."""
        if isinstance(node, cst.Name):
            return node.value in self.loaders
        if not isinstance(node, cst.Call) or self.api.call_api(node) != "DataLoader":
            return False
        library = self.api.call_library(node)
        return library is not None and asks_for_workers(node, library, _NO_WORKERS - {"1"})

    def _pool_mappers(self, module: cst.Module) -> list[Library]:
        """The libraries with a workers keyword on a method that the module imports."""
        imported = {
            name
            for node in findall(module, m.Import() | m.ImportFrom())
            for name in _imported_modules(node)  # type: ignore[arg-type]
        }
        return [
            library
            for library in LIBRARIES
            if library.workers_keyword
            and not library.pools
            and any(name == mod or name.startswith(mod + ".") for name in imported for mod in library.modules)
        ]

    def _iterable(self, node: cst.BaseExpression) -> bool:
        """``node`` yields a loader's batches: the loader, or ``enumerate()`` and the like of it."""
        return self._loader(node) or self.consumes(node)

    def consumes(self, node: cst.BaseExpression) -> bool:
        """``node`` is a builtin that iterates a loader: ``iter(loader)``, ``list(loader)``..."""
        return (
            isinstance(node, cst.Call)
            and isinstance(node.func, cst.Name)
            and node.func.value in _ITERATING
            and any(self._iterable(arg.value) for arg in node.args)
        )

    def starts(self, statement: cst.CSTNode) -> cst.CSTNode | None:
        """The node of ``statement`` that starts workers when it runs, or None."""
        for loop in _loops_that_run(statement):
            if self._iterable(loop.iter):
                return loop.iter
        for call in calls_in(statement):
            if self.consumes(call) or self._maps_with_workers(call):
                return call
        return None

    def _maps_with_workers(self, call: cst.Call) -> bool:
        func = call.func
        if not isinstance(func, cst.Attribute):
            return False
        return any(
            func.attr.value in library.submits and asks_for_workers(call, library, _NO_WORKERS)
            for library in self.pool_mappers
        )


def _loops_that_run(statement: cst.CSTNode) -> list[cst.For | cst.CompFor]:
    """The loops that run when ``statement`` does: not those in its defs and lambdas."""
    loops = m.For() | m.CompFor()
    inside = {id(loop) for d in findall(statement, m.FunctionDef() | m.Lambda()) for loop in findall(d, loops)}
    return [loop for loop in findall(statement, loops) if id(loop) not in inside]  # type: ignore[misc]


def _imported_modules(node: cst.Import | cst.ImportFrom) -> list[str]:
    if isinstance(node, cst.Import):
        return [get_full_name_for_node(alias.name) or "" for alias in node.names]
    if node.relative or node.module is None:
        return []
    return [get_full_name_for_node(node.module) or ""]




def loader_callback(call: cst.Call, api: ApiResolver) -> tuple[str, cst.BaseExpression] | None:
    """(its parameter, its value) of a callback that a DataLoader with workers sends to
    them, unless the loader's ``multiprocessing_context`` is ``"fork"``; otherwise None."""
    library = api.call_library(call) if api.call_api(call) == "DataLoader" else None
    if library is None or not asks_for_workers(call, library, _NO_WORKERS - {"1"}):
        return None
    context = _argument(call, "multiprocessing_context")
    if isinstance(context, cst.SimpleString) and context.evaluated_value == "fork":
        return None
    return next(((name, value) for name in LOADER_CALLBACKS if (value := _argument(call, name)) is not None), None)
