"""MP006 import-in-task: an ``import`` statement inside a pool task.

The statement runs each time the task runs. The fix (unsafe: the import's side effects
move to module import, in the parent too) adds the import at module level, after the last
top-level import before the task, and removes it from the task. Imports that look
deliberate are not reported: under ``try`` with an ``except ImportError``, under a
condition, or of a name that the module binds to something else. A process target runs
once per process, so an import in it costs nothing per task: it is not reported.
"""

from __future__ import annotations

import builtins
import re
from collections.abc import Iterator, Sequence

import libcst as cst
from libcst.metadata import (
    PositionProvider,
)

from ..analysis import match as m
from ..analysis.bindings import bound_node
from ..analysis.entries import entries_of
from ..analysis.facts import findall
from ..analysis.import_lines import FROM_IMPORTS, is_import_line, lazy_imports
from ..analysis.statements import declared_names, is_docstring, names_in, pure_assignment, pure_definition
from ..model import Safety
from ..rewrite.fresh_names import FreshNames
from ..rewrite.handover import Edits
from ..rewrite.hoisting import Hoisting, no_blank_first
from ._base import RuleVisitor, Unfixable

# Handlers that make an import optional: ``try: import ujson as json except ImportError: ...``
CATCHES_IMPORT_ERROR = frozenset({"ImportError", "ModuleNotFoundError", "Exception", "BaseException"})
# Modules that every worker of a pool has loaded before its first task, under every start
# method and every library's pools: importing one in a task only reads `sys.modules`.
LOADED_IN_WORKERS = frozenset({"sys", "os", "os.path", "io", "time", "signal", "itertools", "threading"})
# And `multiprocessing` itself, but in the workers of the libraries that fork its code.
FORKS_OF_MULTIPROCESSING = frozenset({"billiard", "multiprocess", "pathos"})
_MULTIPROCESSING_SUBMODULES = frozenset(
    {
        "connection", "context", "dummy", "forkserver", "heap", "managers", "pool", "popen_fork",
        "popen_forkserver", "popen_spawn_posix", "popen_spawn_win32", "process", "queues", "reduction",
        "resource_sharer", "resource_tracker", "shared_memory", "sharedctypes", "spawn", "synchronize", "util",
    }
)  # fmt: skip
# Comments about the import being local, which mean nothing at module level: linters'
# codes for an import outside the top level or below other code, and words such as these.
_LOCAL_IMPORT_CODES = re.compile(r"^(import-outside-toplevel|C0415|PLC0415|E402)$", re.IGNORECASE)
_LOCAL_IMPORT_WORDS = re.compile(r"\b(local(ly)?|lazy|lazily|per[- ]task|inside)\b", re.IGNORECASE)
_DIRECTIVE = re.compile(r"^(?P<head>(noqa|ruff:\s*noqa|flake8:\s*noqa)\s*:\s*|pylint:\s*disable\s*=\s*)(?P<codes>.*)$")


def _bound(alias: cst.ImportAlias) -> str:
    """The name an import alias binds: ``np`` for ``numpy as np``, ``os`` for ``os.path``."""
    if alias.asname is not None:
        return cst.ensure_type(alias.asname.name, cst.Name).value  # an import binds a plain name
    return cst.Module([]).code_for_node(alias.name).split(".")[0]


def _key(statement: cst.BaseSmallStatement, alias: cst.ImportAlias) -> tuple[str, ...]:
    """What an alias imports, so that two imports of the same thing (``lazy`` or not)
    compare equal."""
    code = cst.Module([]).code_for_node
    name = code(alias.name)
    if isinstance(statement, FROM_IMPORTS):
        # FROM_IMPORTS holds the lazy kind only on a libcst that has it, so it is typed by their base.
        relative, source = statement.relative, statement.module  # type: ignore[attr-defined]
        module = "." * len(relative) + (code(source) if source else "")
        return ("from", module, name, _bound(alias))
    return ("import", name, _bound(alias))


def _imports_of(statement: cst.CSTNode) -> Iterator[tuple[cst.Import | cst.ImportFrom, cst.ImportAlias]]:
    """The aliases of the imports on one line."""
    if isinstance(statement, cst.SimpleStatementLine):
        for small in statement.body:
            if isinstance(small, (cst.Import, cst.ImportFrom)) and not isinstance(small.names, cst.ImportStar):
                yield from ((small, alias) for alias in small.names)


def _catches_import_error(statement: cst.Try) -> bool:
    return any(h.type is None or names_in(h.type) & CATCHES_IMPORT_ERROR for h in statement.handlers)


def _unconditional(block: Sequence[cst.BaseStatement]) -> Iterator[cst.SimpleStatementLine]:
    """Import statements that run whenever the block runs to them: not under ``if``,
    ``while``, ``match`` or an exception handler, nor in a ``try`` that catches
    ImportError, nor in nested functions and classes."""
    for statement in block:
        if any(True for _ in _imports_of(statement)):
            yield statement  # type: ignore[misc]
        inner: list[cst.BaseSuite] = []
        if isinstance(statement, (cst.For, cst.With)):
            inner = [statement.body]
        elif isinstance(statement, cst.Try) and not _catches_import_error(statement):
            inner = [statement.body, *([statement.finalbody.body] if statement.finalbody else [])]
        for suite in inner:
            if isinstance(suite, cst.IndentedBlock):
                yield from _unconditional(suite.body)


def _for_type_checkers(statement: cst.CSTNode) -> bool:
    """``if TYPE_CHECKING:`` (or ``typing.TYPE_CHECKING``) holding imports only, with no
    ``else``: imports for type checkers, which never run (and would only import if they did)."""
    return (
        isinstance(statement, cst.If)
        and statement.orelse is None
        and m.matches(statement.test, m.Name("TYPE_CHECKING") | m.Attribute(attr=m.Name("TYPE_CHECKING")))
        and isinstance(statement.body, cst.IndentedBlock)
        and all(
            is_import_line(line) or m.matches(line, m.SimpleStatementLine([m.Pass()])) for line in statement.body.body
        )
    )


def _prepares_nothing(statement: cst.CSTNode) -> bool:
    """Module-level code that cannot change what an import finds or does."""
    return (
        is_docstring(statement)
        or pure_assignment(statement)
        or pure_definition(statement)
        or _for_type_checkers(statement)
    )


def _without_local_reasons(comment: str) -> str | None:
    """``comment`` without what only made sense for an import inside a function (a
    linter's exemption for it, a remark that it is lazy or local); None when nothing is
    left. Each ``#`` part is judged on its own; a directive keeps its other codes."""
    parts = [part.strip() for part in comment.split("#")[1:]]
    kept: list[str] = []
    for part in parts:
        directive = _DIRECTIVE.match(part)
        if directive is not None:
            codes = [code.strip() for code in directive["codes"].split(",")]
            others = [code for code in codes if code and not _LOCAL_IMPORT_CODES.match(code)]
            if others:
                kept.append(part if others == codes else directive["head"] + ", ".join(others))
        elif not _LOCAL_IMPORT_WORDS.search(part):
            kept.append(part)
    if kept == parts:
        return comment
    return "# " + "  # ".join(kept) if kept else None


class ImportInTask(RuleVisitor):

    def visit_Module(self, node: cst.Module) -> bool:
        self.hoisting = Hoisting(self.facts)
        self.names = FreshNames.of(self.facts)
        entries = entries_of(self.facts)
        self.lazy_names = {id(name) for small in lazy_imports(node) for name in findall(small, m.Name())}
        for name, uses in entries.uses.items():
            if not uses.tasks:
                continue
            function: cst.FunctionDef = node.body[self.reach.functions[name]]  # type: ignore[assignment]
            if isinstance(function.body, cst.IndentedBlock):
                for statement in _unconditional(function.body.body):
                    self._check(function, statement)
        return False

    def _loaded_in_workers(self, key: tuple[str, ...]) -> bool:
        """What ``key`` imports is loaded in every worker already (see LOADED_IN_WORKERS)."""
        module, name = key[1], key[2] if key[0] == "from" else None
        if module == "multiprocessing" and name not in _MULTIPROCESSING_SUBMODULES:
            return not self._imports_a_fork()
        return module in LOADED_IN_WORKERS

    def _imports_a_fork(self) -> bool:
        """The module imports a library whose workers may run without ``multiprocessing``."""
        imports = [node for node in findall(self.module, m.Import() | m.ImportFrom())]
        imported = [
            _key(small, alias)[1]
            for small in imports
            if isinstance(small, (cst.Import, cst.ImportFrom)) and not isinstance(small.names, cst.ImportStar)
            for alias in small.names
        ]
        return any(name.split(".")[0] in FORKS_OF_MULTIPROCESSING for name in imported)

    def _module_keys(self, name: str) -> tuple[set[tuple[str, ...]], set[tuple[str, ...]]] | None:
        """What the module-level bindings of ``name`` import: those that run (lazy ones
        too), and those only for type checkers (None: something else binds it)."""
        runs: set[tuple[str, ...]] = set()
        for small in lazy_imports(self.module):
            runs |= {_key(small, alias) for alias in small.names if _bound(alias) == name}  # type: ignore[attr-defined]
        typing: set[tuple[str, ...]] = set()
        for assignment in self.reach.global_scope.assignments[name]:
            bound = bound_node(assignment)
            if id(bound) in self.lazy_names:
                continue  # libcst binds the `as` name of a lazy import: counted above
            if not isinstance(bound, (cst.Import, cst.ImportFrom)) or isinstance(bound.names, cst.ImportStar):
                return None
            statement = self.module.body[self.reach.owner[id(bound)]]
            keys = typing if _for_type_checkers(statement) else runs
            keys |= {_key(bound, alias) for alias in bound.names if _bound(alias) == name}
        return runs, typing

    def _check(self, function: cst.FunctionDef, statement: cst.SimpleStatementLine) -> None:
        imports = list(_imports_of(statement))
        if all(self._loaded_in_workers(_key(small, alias)) for small, alias in imports):
            return  # nothing to load, nothing to fail: a lookup in `sys.modules`
        present: dict[str, bool] = {}  # bound name -> the module imports the same already
        typed: set[str] = set()  # names that the module imports the same for type checkers only
        for small, alias in imports:
            name = _bound(alias)
            found = self._module_keys(name)
            if found is None or any(keys and keys != {_key(small, alias)} for keys in found):
                return  # the task shadows a module-level name on purpose
            runs, typing = found
            present[name] = bool(runs)
            if typing and not runs:
                typed.add(name)
        code = "; ".join(self.module.code_for_node(small).strip().rstrip(";") for small in statement.body)
        message = (
            f"`{code}` inside `{function.name.value}` runs every time the pool task runs: import it once, at module "
            "level"
        )
        try:
            fixed = self._hoist(function, statement, present, typed)
        except Unfixable as why:
            self.report(statement, message, not_fixed=why)
            return
        title = (
            "Remove the import: the module imports the same at module level"
            if all(present.values())
            else "Move the import to the module's imports"
        )
        self.report(statement, message, fix=(self.module, fixed), safety=Safety.UNSAFE, fix_title=title)

    def _hoist(
        self, function: cst.FunctionDef, statement: cst.SimpleStatementLine, present: dict[str, bool], typed: set[str]
    ) -> cst.Module:
        """The module with the task's import removed and, unless the module imports the
        same, added at module level. A name imported for type checkers only may be taken:
        the import makes it at run time what the type checkers took it for."""
        if len(statement.body) != 1 or not is_import_line(statement):
            raise Unfixable("the line holds other statements too")
        scope = self.scopes[statement]
        taken = self.names.taken(self.reach.global_scope)
        for name, already in present.items():
            if name in declared_names(function):
                raise Unfixable(f"`{function.name.value}` declares `{name}` global")
            if len(scope.assignments[name]) != 1:  # type: ignore[union-attr]
                raise Unfixable(f"`{function.name.value}` binds `{name}` again")
            if already and self.hoisting.where_bound(name) is not None:
                raise Unfixable(
                    f"the module's own import of `{name}` is under the `__main__` guard or in a function, "
                    "which a child's import of the module does not run; move that one to the module's imports"
                )
            if not already and name in dir(builtins):
                raise Unfixable(f"at module level, `{name}` would shadow the builtin `{name}` in the whole module")
            if not already and name in taken and name not in typed:
                raise Unfixable(f"at module level, `{name}` would change what other code of the module reads")
        edits = Edits()
        edits.remove(statement)
        block = self.parents.get(statement)
        if isinstance(block, cst.IndentedBlock) and block.body[0] is statement:
            edits.change(block, no_blank_first)
        fixed = edits.apply(self.module)
        if all(present.values()):
            return fixed
        index = self._insertion_point(function)
        previous = self.module.body[index - 1] if index else None
        blank = [cst.EmptyLine()] if previous is not None and not is_import_line(previous) else []
        moved = _with_comments_for_module_level(statement)
        moved = moved.with_changes(leading_lines=[*blank, *moved.leading_lines])
        body = list(fixed.body)
        return fixed.with_changes(body=[*body[:index], moved, *body[index:]])

    def _insertion_point(self, function: cst.FunctionDef) -> int:
        """Right after the last top-level import before ``function`` (after the docstring,
        without one); raises when code between there and ``function`` may prepare it."""
        before = list(self.module.body[: self.reach.functions[function.name.value]])
        index = max((i + 1 for i, s in enumerate(before) if is_import_line(s)), default=0)
        if index == 0 and before and is_docstring(before[0]):
            index = 1
        for statement in before[index:]:
            if not _prepares_nothing(statement):
                line = self.get_metadata(PositionProvider, statement).start.line
                raise Unfixable(
                    f"the module-level code on line {line} runs between the imports and `{function.name.value}`, "
                    "and may prepare this import (`sys.path`, environment variables)"
                )
        return index


def _with_comments_for_module_level(statement: cst.SimpleStatementLine) -> cst.SimpleStatementLine:
    """The import line with only the comments that stay true at module level: those
    above it (blank lines dropped) and the one after it, each without what was about
    the import being local."""
    above: list[cst.EmptyLine] = []
    for line in statement.leading_lines:
        kept = _without_local_reasons(line.comment.value) if line.comment is not None else None
        if kept is not None:
            above.append(line.with_changes(comment=cst.Comment(kept)))
    trailing = statement.trailing_whitespace
    if trailing.comment is not None:
        kept = _without_local_reasons(trailing.comment.value)
        after = cst.Comment(kept) if kept is not None else None
        whitespace = trailing.whitespace if after is not None else cst.SimpleWhitespace("")
        trailing = trailing.with_changes(whitespace=whitespace, comment=after)
    return statement.with_changes(leading_lines=above, trailing_whitespace=trailing)


RULE = ImportInTask
