"""MP003 across modules, fixed in both files: the script that starts the children creates
the object under its guard and passes it to each process it starts; the module that
created it at import takes it as a parameter of the target.

Planned only when every use of the object and of the target in the project is known: one
module (the script) imports both, by name, at module level, and uses them only under its
``__main__`` guard, and only as the object and as a ``Process`` target; no other module
imports either, or imports the module itself; in their own module nothing but the target
reads the object, and nothing refers to the target. Anything else raises Unfixable.
"""

from __future__ import annotations

import ast
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Protocol

import libcst as cst
from libcst.metadata import PositionProvider

from ...analysis.facts import ModuleFacts
from ...analysis.guard import is_main_guard
from ...analysis.ipc import Creation, StartMethods, creation_of
from ...analysis.names import ApiResolver, api_of
from ...analysis.project.model import absolute, module_name
from ...analysis.statements import declared_names, names_in, plain_positional
from ...rewrite.handover import Edits, add_parameter
from .._base import Unfixable
from .target_handover import check_arguments, extend_start


class Project(Protocol):
    def __call__(self, path: str, *, only_itself: bool = False) -> Mapping[str, str]:
        """The text of the module at ``path`` and of every module that may import it (or
        its own alone); raises Unfixable when one of them cannot be read."""
        ...


@dataclass(frozen=True)
class Plan:
    """The new text of each file the fix changes, and what the fix does, in a few words."""

    texts: dict[str, str]
    title: str
    # The names that a file other than the object's module no longer binds at module
    # level (the script's import of the object): no other module may import them from it.
    unbound: dict[str, frozenset[str]]


class _Parsed:
    """One module's tree with the metadata the plan reads."""

    def __init__(self, path: str, text: str) -> None:
        self.path = path
        self.module = cst.parse_module(text)
        self.facts = ModuleFacts(self.module)
        self.api: ApiResolver = api_of(self.facts)
        self.top = {id(s): s for s in self.module.body}

    def line(self, node: cst.CSTNode) -> int:
        return self.facts.get_metadata(PositionProvider, node).start.line

    def global_scope(self):
        return self.facts.scopes[self.module]

    def owner(self, node: cst.CSTNode) -> cst.CSTNode:
        """The module-level statement that holds ``node``."""
        while id(node) not in self.top:
            node = self.facts.parents[node]
        return node

    def only_binding(self, name: str) -> tuple[cst.CSTNode, list[cst.CSTNode]]:
        """The one statement that binds ``name`` at module level, and the nodes that read it."""
        assignments = list(self.global_scope().assignments[name])
        if len(assignments) != 1:
            raise Unfixable(f"{self.path} binds `{name}` more than once")
        return assignments[0].node, [access.node for access in assignments[0].references]


def plan(home: str, line: int, project: Project) -> Plan:
    """The fix of the MP003 finding at ``line`` of ``home``. ``project(home)`` gives the
    texts of ``home`` and of every module of the project that may import it; it is asked
    only once ``home`` alone allows a fix."""
    texts = project(home, only_itself=True)
    own = _Parsed(home, texts[home])
    creation = _creation_at(own, line)
    name = creation.names[0]
    target = _only_reader(own, creation)
    texts = project(home)
    script_path, imported = _only_importer(home, texts, {name, target.name.value})
    script = _Parsed(script_path, texts[script_path])
    keyword_only = not plain_positional(target.params)
    fixed = {
        home: _take_parameter(own, creation, target, keyword_only),
        script_path: _create_and_pass(script, imported, own, creation, target, keyword_only),
    }
    where = os.path.relpath(script_path, os.path.dirname(home) or ".")
    title = f"Create `{name}` under the `__main__` guard of {where} and pass it to `{target.name.value}`"
    return Plan(fixed, title, {script_path: frozenset({name})})


def _take_parameter(own: _Parsed, creation: Creation, target: cst.FunctionDef, keyword_only: bool) -> str:
    """The object's module without the creation (nor an import only it used), and the
    target with the object as a parameter."""
    edits = Edits()
    edits.change(target, lambda node: add_parameter(node, creation.names[0], keyword_only))
    removed = [creation.statement, *_imports_left_unused(own, creation)]
    for statement in removed:
        edits.remove(statement)
    return _tidy_top(edits.apply(own.module), any(own.module.body[0] is statement for statement in removed)).code


def _create_and_pass(
    script: _Parsed,
    imported: ast.ImportFrom,
    own: _Parsed,
    creation: Creation,
    target: cst.FunctionDef,
    keyword_only: bool,
) -> str:
    """The script importing the target alone, creating the object under its guard, right
    before its first use, and passing it at each start."""
    name = creation.names[0]
    statement = _import_statement(script, imported, name)
    guard = _guard(script)
    spelled = _factory_spelling(own, script, creation)
    starts = _starts(script, target, guard)
    uses = [*starts, *_reads_in_guard(script, name, guard)]
    anchor = next(s for s in guard.body.body if any(_within(script, node, s) for node in uses))
    if not isinstance(anchor, cst.BaseStatement):
        raise Unfixable(f"the `__main__` guard of {script.path} is on one line")
    # The creation as it was, comments included, spelled with the script's import.
    assign = creation.statement.body[0]
    made = creation.statement.with_changes(
        body=[assign.with_changes(value=creation.call.with_changes(func=spelled))],
        leading_lines=[line for line in creation.statement.leading_lines if line.comment is not None],
    )
    edits = Edits()
    edits.change(statement, lambda node: _without_name(node, name))
    edits.insert_before(anchor, [made])
    for call in starts:
        edits.change(call, lambda node: extend_start(node, [name], keyword_only))
    return edits.apply(script.module).code


def _creation_at(own: _Parsed, line: int) -> Creation:
    for statement in own.module.body:
        creation = creation_of(statement, own.api, set())
        if creation is not None and own.line(creation.call) == line:
            if creation.kind == "Manager" or len(creation.names) != 1:
                raise Unfixable("only a single queue, lock or shared value is handed over across modules")
            return creation
    raise Unfixable("the object is not created by a statement of its own at module level")


def _only_reader(own: _Parsed, creation: Creation) -> cst.FunctionDef:
    """The one function of the module that reads the object, which nothing else in the
    module refers to."""
    name = creation.names[0]
    _, reads = own.only_binding(name)
    readers = {id(owner): owner for owner in map(own.owner, reads)}
    target = next(iter(readers.values()), None)
    if len(readers) != 1 or not isinstance(target, cst.FunctionDef):
        raise Unfixable(f"`{name}` is read by more than the function that runs in the child")
    function = target.name.value
    if target.decorators or name in declared_names(target) or isinstance(target.asynchronous, cst.Asynchronous):
        raise Unfixable(f"`{function}` is decorated, async, or declares `{name}` global")
    _, uses = own.only_binding(function)
    if uses:
        raise Unfixable(f"{own.path} uses `{function}` on line {own.line(uses[0])}")
    return target


def check_unbound(path: str, names: frozenset[str], texts: Mapping[str, str]) -> None:
    """Unfixable when a module of ``texts`` imports one of ``names`` from the module at
    ``path``, or imports that module itself."""
    for other, text in texts.items():
        if other == path:
            continue
        for node, what in _imports_of(other, text, module_name(path)[0]):
            if what == "module" or {a.name for a in node.names} & {*names, "*"}:  # type: ignore[attr-defined]
                raise Unfixable(f"{other} imports from {path} on line {node.lineno}")


def _only_importer(home: str, texts: Mapping[str, str], names: set[str]) -> tuple[str, ast.ImportFrom]:
    """The one module that imports ``names`` from ``home``, and its import; Unfixable when
    another module imports one of them, or the module itself."""
    found: list[tuple[str, ast.ImportFrom]] = []
    home_name = module_name(home)[0]
    for path, text in texts.items():
        if path == home:
            continue
        for node, what in _imports_of(path, text, home_name):
            if what == "module" or (isinstance(node, ast.ImportFrom) and {a.name for a in node.names} & {*names, "*"}):
                found.append((path, node))  # type: ignore[arg-type]
                if what == "module":
                    raise Unfixable(f"{path} imports the module itself on line {node.lineno}")
    if len(found) != 1:
        raise Unfixable(f"{len(found)} imports of `{'`, `'.join(sorted(names))}` from other modules, not one")
    path, node = found[0]
    if {a.name for a in node.names} & names != names or node.col_offset:
        raise Unfixable(f"{path} does not import `{'` and `'.join(sorted(names))}` by name at module level")
    return path, node


def _imports_of(path: str, text: str, home_name: str) -> Iterator[tuple[ast.stmt, str]]:
    """The imports in ``text`` that take names from module ``home_name`` ("names") or the
    module itself ("module")."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        raise Unfixable(f"{path} does not parse") from None
    name, is_package = module_name(path)[0], path.endswith("__init__.py")
    for node in ast.walk(tree):
        if isinstance(node, ast.Import) and any(
            a.name == home_name or home_name.startswith(a.name + ".") for a in node.names
        ):
            yield node, "module"
        elif isinstance(node, ast.ImportFrom):
            module = absolute("." * node.level + (node.module or ""), name, is_package)
            if module == home_name:
                yield node, "names"
            elif any(f"{module}.{a.name}" == home_name for a in node.names):
                yield node, "module"


def _import_statement(script: _Parsed, imported: ast.ImportFrom, name: str) -> cst.SimpleStatementLine:
    """The script's import of the object and the target, as a statement of libcst."""
    for statement in script.module.body:
        if isinstance(statement, cst.SimpleStatementLine) and script.line(statement) == imported.lineno:
            node = statement.body[0]
            by_name = isinstance(node, cst.ImportFrom) and not isinstance(node.names, cst.ImportStar)
            if len(statement.body) == 1 and by_name:
                assert isinstance(node, cst.ImportFrom) and not isinstance(node.names, cst.ImportStar)
                if any(alias.asname is not None for alias in node.names):
                    raise Unfixable(f"{script.path} imports under another name on line {imported.lineno}")
                if any(alias.evaluated_name == name for alias in node.names):
                    return statement
    raise Unfixable(f"the import on line {imported.lineno} of {script.path} is not a statement of its own")


def _is_target(script: _Parsed, node: cst.CSTNode) -> bool:
    arg = script.facts.parents.get(node)
    return isinstance(arg, cst.Arg) and arg.keyword is not None and arg.keyword.value == "target"


def _guard(script: _Parsed) -> cst.If:
    guards = [s for s in script.module.body if is_main_guard(s)]
    if len(guards) != 1:
        raise Unfixable(f"{script.path} has no single `__main__` guard to create it in")
    return guards[0]


def _within(script: _Parsed, node: cst.CSTNode, statement: cst.CSTNode) -> bool:
    while node is not statement:
        parent = script.facts.parents.get(node)
        if parent is None:
            return False
        node = parent
    return True


def _in_guard(script: _Parsed, node: cst.CSTNode, guard: cst.If, what: str) -> None:
    if script.owner(node) is not guard or not any(_within(script, node, s) for s in guard.body.body):
        raise Unfixable(f"{script.path} uses `{what}` outside its `__main__` guard, on line {script.line(node)}")


def _starts(script: _Parsed, target: cst.FunctionDef, guard: cst.If) -> list[cst.Call]:
    """The ``Process(target=...)`` calls that start the target, each checked to take one
    more argument; Unfixable when the script uses the target in any other way."""
    name = target.name.value
    _, uses = script.only_binding(name)
    methods = StartMethods(script.module, script.api)
    calls: list[cst.Call] = []
    for node in uses:
        _in_guard(script, node, guard, name)
        arg = script.facts.parents.get(node) if _is_target(script, node) else None
        call = script.facts.parents.get(arg) if arg is not None else None
        if not isinstance(call, cst.Call) or script.api.call_api(call) != "Process":
            raise Unfixable(f"{script.path} uses `{name}` on line {script.line(node)}, not as a `Process` target")
        if methods.method(call) != methods.default:
            raise Unfixable(f"the start on line {script.line(call)} asks for a start method of its own")
        check_arguments(call, target.params, not plain_positional(target.params), script.line(call))
        calls.append(call)
    if not calls:
        raise Unfixable(f"{script.path} starts no process with `{name}`")
    return calls


def _reads_in_guard(script: _Parsed, name: str, guard: cst.If) -> list[cst.CSTNode]:
    _, reads = script.only_binding(name)
    for node in reads:
        _in_guard(script, node, guard, name)
    return reads


def _factory_spelling(own: _Parsed, script: _Parsed, creation: Creation) -> cst.BaseExpression:
    """The factory as the script spells it, through its own import of multiprocessing;
    the arguments must be constants, which mean the same in either module."""
    qualified = f"multiprocessing.{creation.kind}"
    if qualified not in own.api.qualified_names(creation.call.func):
        raise Unfixable(f"`{creation.names[0]}` is not made by `{qualified}()`")
    if any(names_in(arg.value) for arg in creation.call.args):
        raise Unfixable("its arguments name values of its module")
    for statement in script.module.body:
        node = statement.body[0] if isinstance(statement, cst.SimpleStatementLine) else None
        for alias in node.names if isinstance(node, cst.Import) else ():
            if alias.evaluated_name == "multiprocessing":
                bound = alias.evaluated_alias or "multiprocessing"
                if len(list(script.global_scope().assignments[bound])) == 1:
                    return cst.Attribute(cst.Name(bound), cst.Name(creation.kind))
    raise Unfixable(f"{script.path} does not `import multiprocessing`, which the fix would spell it with")


def _imports_left_unused(own: _Parsed, creation: Creation) -> list[cst.BaseStatement]:
    """``import multiprocessing as mp`` when the creation was its only use."""
    func = creation.call.func
    if not (isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name)):
        return []
    statement, uses = own.only_binding(func.value.value)
    if any(not _within(own, use, creation.statement) for use in uses):
        return []
    line = own.owner(statement)
    if isinstance(line, cst.SimpleStatementLine) and len(line.body) == 1 and isinstance(line.body[0], cst.Import):
        return [line] if len(line.body[0].names) == 1 else []
    return []


def _without_name(statement: cst.SimpleStatementLine, name: str) -> cst.SimpleStatementLine:
    """``from m import a, b`` without ``b``; the commas stay tidy."""
    node = statement.body[0]
    assert isinstance(node, cst.ImportFrom) and isinstance(node.names, (list, tuple))
    names = list(node.names)
    index = next(i for i, alias in enumerate(names) if alias.evaluated_name == name)
    removed = names.pop(index)
    if index == len(names):
        names[-1] = names[-1].with_changes(comma=removed.comma)
    return statement.with_changes(body=[node.with_changes(names=names)])


def _tidy_top(module: cst.Module, first_removed: bool) -> cst.Module:
    """The module without the blank lines that removed statements leave at its top."""
    if not (first_removed and module.body) or module.header:
        return module
    first = module.body[0]
    if not all(line.comment is None for line in first.leading_lines):
        return module
    return module.with_changes(body=[first.with_changes(leading_lines=[]), *module.body[1:]])
