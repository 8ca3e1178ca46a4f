"""The outer layers import only downwards, and only the workers reach the engine.

`cli`, `run` and `output` are read with `ast`, not imported: what counts is what a
module imports when it is loaded (an import inside a function runs only when called).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "codemods"
OUTER = ("cli", "run", "output")
# What pulls in libcst: libcst itself, the engine and the rule kit's visitors and facts.
LIBCST = ("libcst", "codemods.engine", "codemods.rules._base", "codemods.analysis.facts", "codemods.analysis.prechecks")


def _name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _load_time_imports(path: Path) -> set[str]:
    """The modules that loading ``path`` imports: its module-level imports, not those in
    functions or under ``if TYPE_CHECKING:``."""
    imported: set[str] = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module)
            imported.update(f"{node.module}.{alias.name}" for alias in node.names)
    return imported


MODULES = {
    _name(path): _load_time_imports(path)
    for layer in OUTER
    for path in sorted((PACKAGE / layer).glob("*.py"))
} | {"codemods.model": _load_time_imports(PACKAGE / "model.py")}


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_outer_module_imports_libcst_when_loaded(module: str) -> None:
    assert [name for name in MODULES[module] if name.split(".")[0] == "libcst" or name in LIBCST] == []


@pytest.mark.parametrize("module", sorted(name for name in MODULES if not name.startswith("codemods.cli")))
def test_only_the_cli_imports_the_cli(module: str) -> None:
    assert [name for name in MODULES[module] if name.startswith("codemods.cli")] == []


@pytest.mark.parametrize("module", sorted(name for name in MODULES if name.startswith("codemods.output")))
def test_output_knows_nothing_of_the_runner(module: str) -> None:
    assert [name for name in MODULES[module] if name.startswith("codemods.run")] == []


def test_the_outer_modules_import_no_cycle() -> None:
    edges = {
        module: {name for name in imports if name in MODULES and name != module} for module, imports in MODULES.items()
    }
    # A package's __init__ may re-export its own modules; a module importing its package does not count.
    for module, targets in edges.items():
        targets -= {name for name in targets if module.startswith(name + ".")}

    def cycle_from(module: str, trail: tuple[str, ...]) -> tuple[str, ...] | None:
        if module in trail:
            return (*trail, module)
        return next((found for target in edges[module] if (found := cycle_from(target, (*trail, module)))), None)

    assert [cycle for module in edges if (cycle := cycle_from(module, ()))] == []
