"""The layers import only downwards, and only the workers and the server reach the engine.

Every module of ``codemods/`` is read with ``ast``, not imported. The table below holds
every import, wherever it is written; what counts for libcst and for cycles is what a
module imports when it is loaded (an import inside a function runs only when called, one
under ``if TYPE_CHECKING:`` never runs).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "codemods"


def _name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


PATHS = {_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


@dataclass(frozen=True)
class Import:
    module: str  # a module of codemods, or the top-level name of another package
    at_load: bool  # at module level, not in a function
    type_checking: bool  # under `if TYPE_CHECKING:`


def _resolved(module: str, alias: str) -> str:
    """``from codemods import registry`` imports the module codemods.registry."""
    return f"{module}.{alias}" if f"{module}.{alias}" in PATHS else module


def _absolute(path: Path, node: ast.ImportFrom) -> str:
    """The module that ``from <node.module> import ...`` names, relative imports made
    absolute: ``from ..model import`` in codemods/run/cache.py names codemods.model."""
    if not node.level:
        return node.module or ""
    package = _name(path).split(".")
    if path.name != "__init__.py":
        package.pop()
    base = package[: len(package) - node.level + 1]
    return ".".join([*base, *([node.module] if node.module else [])])


def _imports(path: Path) -> list[Import]:
    found: list[Import] = []

    def walk(node: ast.AST, at_load: bool, type_checking: bool) -> None:
        if isinstance(node, ast.Import):
            found.extend(Import(alias.name, at_load, type_checking) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            module = _absolute(path, node)
            found.extend(Import(_resolved(module, alias.name), at_load, type_checking) for alias in node.names)
        for child in ast.iter_child_nodes(node):
            in_function = isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            guarded = isinstance(node, ast.If) and ast.unparse(node.test).endswith("TYPE_CHECKING")
            walk(child, at_load and not in_function, type_checking or guarded)

    walk(ast.parse(path.read_text(encoding="utf-8")), True, False)
    return found


IMPORTS = {module: _imports(path) for module, path in PATHS.items()}


@pytest.mark.parametrize("module", sorted(PATHS))
def test_the_package_imports_itself_only_relatively(module: str) -> None:
    """The folder is installed as the package ``mpfix``: an import that names the folder
    (``codemods``) or the package would break one of the two."""
    tree = ast.parse(PATHS[module].read_text(encoding="utf-8"))
    named = [
        name
        for node in ast.walk(tree)
        for name in (
            [alias.name for alias in node.names]
            if isinstance(node, ast.Import)
            else [node.module or ""]
            if isinstance(node, ast.ImportFrom) and not node.level
            else []
        )
    ]
    assert [name for name in named if name.split(".")[0] in ("codemods", "mpfix")] == []


# The layers, innermost last; a module belongs to the first whose prefix it has.
LAYERS = (
    ("api", "codemods.api"),
    ("main", "codemods.__main__"),
    ("server", "codemods.server"),
    ("cli", "codemods.cli"),
    ("run", "codemods.run"),
    ("output", "codemods.output"),
    ("engine", "codemods.engine"),
    ("engine", "codemods.across"),  # the door of the fixes across files, beside the engine
    ("screening", "codemods.screening"),
    ("kit", "codemods.rules._base"),
    ("rules", "codemods.rules"),
    ("rewrite", "codemods.rewrite"),
    ("prechecks", "codemods.prechecks"),
    ("project", "codemods.analysis.project"),
    # What the pre-checks ask of Python's ast, without libcst.
    ("ast", "codemods.analysis.prechecks"),
    ("ast", "codemods.analysis.ast_scopes"),
    ("ast", "codemods.analysis.api_refs"),
    ("ast", "codemods.analysis.ast_index"),
    ("ast", "codemods.analysis.ast_import_time"),
    # The one walk of a module's ast, below both the pre-checks and the project model.
    ("walk", "codemods.analysis.ast_walk"),
    ("ast", "codemods.analysis.ast_api"),
    ("ast", "codemods.analysis.ast_reach"),
    ("ast", "codemods.analysis.ast_findings"),  # findings made on ast, for the rules that decide there
    ("ast", "codemods.analysis.ast_hoisting"),
    ("ast", "codemods.analysis.ast_starts"),
    ("analysis", "codemods.analysis"),
    ("suppressions", "codemods.suppressions"),
    ("edits", "codemods.edits"),
    ("registry", "codemods.registry"),
    ("libraries", "codemods.libraries"),
    ("model", "codemods.model"),
    ("collector", "codemods.collector"),
    ("package", "codemods"),
)
# What each layer may import. A rule may also import its own package's modules; the kit
# looks a rule's spec up in the registry when the rule class is made; the engine applies
# fixes with rewrite.nodes.ReplaceNodes.
MAY_IMPORT = {
    "package": set(),  # it loads the public API by name, on first use
    "main": {"cli"},
    "api": {"engine", "registry", "edits", "model"},
    # And the cli's config; the engine, inside functions.
    "server": {"server", "run", "output", "registry", "model", "suppressions", "edits"},
    "cli": {"cli", "run", "output", "registry", "model"},  # and the server, inside its command
    # and the engine, inside the workers' functions; the runner builds the project model
    "run": {"run", "screening", "project", "walk", "model", "registry", "suppressions", "collector"},
    "output": {"output", "model", "registry", "edits", "suppressions"},
    "engine": {"screening", "rules", "kit", "registry", "analysis", "ast", "walk", "project", "rewrite", "model"}
    | {"suppressions", "edits", "collector"},
    # The rules' pre-checks are found by name (RuleSpec.may_find), never imported here; the
    # suppression comments judge the findings decided on ``ast`` (settled_on_ast).
    "screening": {"ast", "walk", "project", "registry", "model", "suppressions"},
    "rules": {"kit", "prechecks", "analysis", "ast", "walk", "project", "rewrite", "model", "libraries"},
    "kit": {"analysis", "ast", "project", "model", "registry", "libraries"},
    "rewrite": {"rewrite", "analysis", "ast", "project", "model"},
    "prechecks": {"prechecks", "ast", "walk", "project", "libraries"},
    "analysis": {"analysis", "ast", "project", "model", "libraries"},
    "ast": {"ast", "walk", "project", "libraries", "model"},
    "project": {"project", "walk", "model", "libraries"},
    "walk": set(),
    "suppressions": {"model", "registry", "edits"},
    "edits": set(),
    "registry": {"model", "libraries"},
    "libraries": set(),
    "model": set(),
    "collector": set(),
}
LIBCST_FREE = (
    "server", "cli", "run", "screening", "prechecks", "ast", "walk", "project", "output", "registry", "libraries",
    "model", "collector",
    "suppressions", "edits", "package",
)  # fmt: skip


def layer(module: str) -> str:
    return next(name for name, prefix in LAYERS if module == prefix or module.startswith(prefix + "."))


def _rule_package(module: str) -> str | None:
    """``codemods.rules.serial_result_wait`` for any module of that rule's package."""
    parts = module.split(".")
    return ".".join(parts[:3]) if layer(module) == "rules" and len(parts) > 2 else None


def _internal(imports: list[Import]) -> list[Import]:
    return [found for found in imports if found.module.split(".")[0] == "codemods"]


@pytest.mark.parametrize("module", sorted(IMPORTS))
def test_each_module_imports_only_what_its_layer_may(module: str) -> None:
    own = layer(module)
    wrong = []
    for found in _internal(IMPORTS[module]):
        target = layer(found.module)
        if found.type_checking or target in MAY_IMPORT[own]:
            continue
        if own == "rules" and _rule_package(found.module) == _rule_package(module):
            continue
        if own in ("run", "server") and target == "engine" and not found.at_load:
            continue
        if (own, found.module) == ("server", "codemods.cli.config"):
            continue
        # The server needs pygls, an optional dependency: the command imports it when run.
        if own == "cli" and target == "server" and not found.at_load:
            continue
        wrong.append(found.module)
    assert wrong == []


@pytest.mark.parametrize("module", sorted(name for name in IMPORTS if layer(name) in LIBCST_FREE))
def test_the_outer_modules_load_no_libcst(module: str) -> None:
    loaded = [found.module for found in IMPORTS[module] if found.at_load and not found.type_checking]
    assert [name for name in loaded if name.split(".")[0] == "libcst"] == []
    assert [name for name in loaded if name.startswith("codemods.") and layer(name) not in LIBCST_FREE] == []


def test_the_modules_import_no_cycle() -> None:
    edges = {
        module: {
            found.module
            for found in _internal(imports)
            if found.at_load and not found.type_checking and found.module != module
            # A package's __init__ may re-export its own modules; a module importing its package does not count.
            and not module.startswith(found.module + ".")
        }
        for module, imports in IMPORTS.items()
    }

    def cycle_from(module: str, trail: tuple[str, ...]) -> tuple[str, ...] | None:
        if module in trail:
            return (*trail, module)
        return next((found for target in edges[module] if (found := cycle_from(target, (*trail, module)))), None)

    assert [cycle for module in edges if (cycle := cycle_from(module, ()))] == []


def test_the_package_stays_small_and_flat() -> None:
    top_level = sorted(path.name for path in PACKAGE.glob("*.py"))
    assert len(top_level) <= 12, top_level
    assert {
        module: n for module, path in PATHS.items() if (n := len(path.read_text(encoding="utf-8").splitlines())) > 400
    } == {}
