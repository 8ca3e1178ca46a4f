"""Settings: ``[tool.mpfix]`` in ``pyproject.toml``, overridden by the command line.

The file is the nearest ``pyproject.toml`` with a ``[tool.mpfix]`` table, walking up
from the paths checked and stopping at the repository root (the folder holding
``.git``), as ruff finds its own. It is parsed with tomllib and never evaluated. Layers
apply in order, file then command line: ``select`` starts a layer's rule set afresh,
``extend-select`` adds to it and ``ignore`` removes from it (so ``--select`` replaces the
file's choice, and ``--ignore`` or ``--extend-select`` refine it), as in ruff. Patterns
are gitignore-style, relative to the folder of the file that gives them (the current
folder for the command line).

Nothing here imports libcst: the CLI loads settings before deciding what to analyse.
"""

from __future__ import annotations

import difflib
import json
import os
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..model import RuleSpec, TargetVersion
from ..registry import RULES, UnknownRuleError, select

if TYPE_CHECKING:  # imported with the first per-file ignore asked for
    from pathspec import GitIgnoreSpec
from ..run.discover import DEFAULT_EXCLUDES, FileFilter, Pattern, valid_pattern
from ..run.request import Options


def _toml_parser() -> Any:
    """The TOML parser, imported with the first configuration file read: a run where none
    is found does not pay for it."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    return tomllib


PYPROJECT = "pyproject.toml"


class ConfigError(ValueError):
    """A setting that cannot be used; the message names the file (or option) and the key."""


@dataclass(frozen=True)
class Layer:
    """What one source of settings says; None where it says nothing."""

    origin: str  # "pyproject.toml: [tool.mpfix]", or "" for the command line
    base: str  # the folder that its patterns are relative to
    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] | None = None
    extend_select: tuple[str, ...] | None = None
    exclude: tuple[str, ...] | None = None
    extend_exclude: tuple[str, ...] | None = None
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] | None = None
    unsafe_fixes: bool | None = None
    jobs: int | None = None
    respect_gitignore: bool | None = None
    force_exclude: bool | None = None
    report_unused_suppressions: bool | None = None
    target_version: TargetVersion | None = None

    def where(self, key: str) -> str:
        """A key as the user wrote it, for messages: in a file, or as an option."""
        return f"{self.origin}: {key}" if self.origin else f"--{key}"


# Each key of [tool.mpfix], with the kind of value it takes.
KEYS = {
    "select": "selectors",
    "ignore": "selectors",
    "extend-select": "selectors",
    "exclude": "patterns",
    "extend-exclude": "patterns",
    "per-file-ignores": "per-file",
    "unsafe-fixes": "bool",
    "jobs": "jobs",
    "respect-gitignore": "bool",
    "force-exclude": "bool",
    "report-unused-suppressions": "bool",
    "target-version": "version",
}


@dataclass(frozen=True)
class Settings:
    """The settings in force for one run, every layer applied."""

    file: Path | None  # the pyproject.toml read, if any
    root: Path  # the project root: the folder of ``file``, else the current folder
    rules: tuple[RuleSpec, ...]
    exclude: tuple[Pattern, ...]
    extend_exclude: tuple[Pattern, ...]
    per_file_ignores: tuple[tuple[Pattern, tuple[RuleSpec, ...]], ...] = ()
    unsafe_fixes: bool = False
    jobs: int | None = None
    respect_gitignore: bool = True
    force_exclude: bool = False
    report_unused_suppressions: bool = False
    # The oldest Python the project runs on: `target-version`, else read from the
    # project's `requires-python`, else the oldest that mpfix knows.
    target_version: TargetVersion = TargetVersion.PY310

    @cached_property
    def _per_file(self) -> list[tuple[str | None, GitIgnoreSpec, tuple[RuleSpec, ...]]]:
        from pathspec import GitIgnoreSpec

        return [(base, GitIgnoreSpec.from_lines([glob]), specs) for (base, glob), specs in self.per_file_ignores]

    def rules_for(self, path: str) -> tuple[RuleSpec, ...]:
        """The rules to use on ``path``: all selected ones less its per-file ignores."""
        if not self.per_file_ignores or path == "-":
            return self.rules
        ignored: set[RuleSpec] = set()
        for base, spec, specs in self._per_file:
            if spec.match_file(os.path.relpath(os.path.abspath(path), base or self.root)):
                ignored.update(specs)
        return tuple(rule for rule in self.rules if rule not in ignored)

    def options(self, *, fix: bool, prefilter: bool = True) -> Options:
        """What to do with each file (before its per-file ignores, see ``rules_for``)."""
        return Options(
            rules=self.rules,
            fix=fix,
            unsafe_fixes=self.unsafe_fixes,
            target_version=self.target_version,
            report_unused_suppressions=self.report_unused_suppressions,
            prefilter=prefilter,
        )

    def files(self) -> FileFilter:
        """Which files a walk through folders yields."""
        return FileFilter(
            exclude=self.exclude + self.extend_exclude,
            respect_gitignore=self.respect_gitignore,
            force_exclude=self.force_exclude,
        )

    def show(self) -> str:
        """The settings as a ``[tool.mpfix]`` table that would give them, with where they came from."""
        source = _shown(self.file) if self.file else "no configuration file"
        per_file = ", ".join(
            f"{_toml(glob)} = {_toml([spec.code for spec in specs])}" for (_, glob), specs in self.per_file_ignores
        )
        lines = [
            f"# Settings from {source} and the command line",
            f"# Project root: {self.root}",
            "[tool.mpfix]",
            f"select = {_toml([spec.code for spec in self.rules])}",
            f"exclude = {_toml([pattern for _, pattern in self.exclude])}",
            f"extend-exclude = {_toml([pattern for _, pattern in self.extend_exclude])}",
            f"per-file-ignores = {{{' ' + per_file + ' ' if per_file else ''}}}",
            f"unsafe-fixes = {_toml(self.unsafe_fixes)}",
            f"jobs = {self.jobs or os.cpu_count() or 1}",
            f"respect-gitignore = {_toml(self.respect_gitignore)}",
            f"force-exclude = {_toml(self.force_exclude)}",
            f"report-unused-suppressions = {_toml(self.report_unused_suppressions)}",
            f"target-version = {_toml(self.target_version.value)}",
        ]
        return "\n".join(lines)


def _toml(value: object) -> str:
    # Strings, lists of strings and booleans: JSON writes them as TOML reads them.
    return json.dumps(value)


def _shown(path: Path) -> str:
    """A path as the user would type it: relative when it is under the current folder."""
    relative = os.path.relpath(path)
    return str(path) if relative.startswith(os.pardir) else relative


# -- finding and reading the file ------------------------------------------------------


def _mpfix_table(path: Path) -> dict[str, Any] | None:
    """The [tool.mpfix] table of a pyproject.toml, None when it has none."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{_shown(path)}: cannot read: {exc.strerror or exc}") from None
    if b"mpfix" not in data:
        return None  # not ours: not even parsed, so a broken file of another tool is no error here
    toml = _toml_parser()
    try:
        document = toml.loads(data.decode("utf-8"))
    except (toml.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{_shown(path)}: not valid TOML: {exc}") from None
    tool = document.get("tool")
    table = tool.get("mpfix") if isinstance(tool, dict) else None
    if table is not None and not isinstance(table, dict):
        raise ConfigError(f"{_shown(path)}: [tool.mpfix] must be a table, not {_kind(table)}")
    return table


def find(start: Path) -> Path | None:
    """The nearest pyproject.toml with a [tool.mpfix] table, from ``start`` up to the
    repository root (or the top of the file system outside a repository)."""
    for folder in [start, *start.parents]:
        candidate = folder / PYPROJECT
        if candidate.is_file() and _mpfix_table(candidate) is not None:
            return candidate
        if (folder / ".git").exists():  # a folder, or a file in worktrees and submodules
            return None
    return None


def start_folder(paths: Sequence[str]) -> Path:
    """Where the search for the file starts: the folder that holds every path."""
    folders = [os.path.abspath(path if os.path.isdir(path) else os.path.dirname(path) or ".") for path in paths]
    return Path(os.path.commonpath(folders)) if folders else Path.cwd()


def read(path: Path) -> Layer:
    """The layer that a pyproject.toml's [tool.mpfix] table gives; ConfigError when the
    file cannot be used, naming the file and the key."""
    table = _mpfix_table(path)
    if table is None:
        raise ConfigError(f"{_shown(path)}: no [tool.mpfix] table")
    origin = f"{_shown(path)}: [tool.mpfix]"
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key not in KEYS:
            close = difflib.get_close_matches(key, KEYS, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else f"; the keys are: {', '.join(KEYS)}"
            raise ConfigError(f"{origin}: unknown key {key!r}{hint}")
        values[key.replace("-", "_")] = _value(origin, key, value)
    return Layer(origin=origin, base=str(path.parent.resolve()), **values)


def _kind(value: object) -> str:
    names = {
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        str: "a string",
        list: "an array",
        dict: "a table",
    }
    return names.get(type(value), f"a {type(value).__name__}")


def _value(origin: str, key: str, value: object) -> object:
    kind = KEYS[key]
    where = f"{origin}: {key}"
    if kind == "bool":
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: expected true or false, got {_kind(value)}")
        return value
    if kind == "jobs":
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ConfigError(f"{where}: expected a positive integer, got {value!r}")
        return value
    if kind == "version":
        if value not in {target.value for target in TargetVersion}:
            known = ", ".join(target.value for target in TargetVersion)
            raise ConfigError(f"{where}: expected one of {known}, got {value!r}")
        return TargetVersion(value)
    if kind == "per-file":
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: expected a table of glob = [codes], got {_kind(value)}")
        return tuple((glob, _strings(f"{where}.{json.dumps(glob)}", codes)) for glob, codes in value.items())
    return _strings(where, value)


def _strings(where: str, value: object) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ConfigError(f"{where}: expected an array of strings, got {_kind(value)}")
    return tuple(value)


# -- resolving the layers --------------------------------------------------------------

# The settings whose last layer to give them decides.
SCALARS = ("unsafe_fixes", "jobs", "respect_gitignore", "force_exclude", "report_unused_suppressions", "target_version")


def _rules(layer: Layer, key: str, selectors: Iterable[str]) -> set[RuleSpec]:
    selectors = list(selectors)
    if not selectors:
        return set()
    try:
        return set(select(selectors))
    except UnknownRuleError as exc:
        raise ConfigError(f"{layer.where(key)}: {exc}") from None


def resolve(
    layers: Sequence[Layer], file: Path | None, root: Path, requires_python: TargetVersion | None = None
) -> Settings:
    """Apply ``layers`` in order (the file's, then the command line's); a project that
    sets no target version gets the one its ``requires-python`` names."""
    rules = set(RULES)
    exclude: tuple[Pattern, ...] = tuple((None, pattern) for pattern in DEFAULT_EXCLUDES)
    extend_exclude: tuple[Pattern, ...] = ()
    per_file: tuple[tuple[Pattern, tuple[RuleSpec, ...]], ...] = ()
    scalars: dict[str, Any] = {"target_version": requires_python} if requires_python else {}
    for layer in layers:
        if layer.select is not None:
            rules = _rules(layer, "select", layer.select)
        rules |= _rules(layer, "extend-select", layer.extend_select or ())
        rules -= _rules(layer, "ignore", layer.ignore or ())
        globs = [glob for glob, _ in layer.per_file_ignores or ()]
        given = {"exclude": layer.exclude, "extend-exclude": layer.extend_exclude, "per-file-ignores": globs}
        for key, patterns in given.items():
            if (bad := next((p for p in patterns or () if not valid_pattern(p)), None)) is not None:
                raise ConfigError(f"{layer.where(key)}: {bad!r} is not a valid pattern")
        if layer.exclude is not None:
            exclude = tuple((layer.base, pattern) for pattern in layer.exclude)
        extend_exclude += tuple((layer.base, pattern) for pattern in layer.extend_exclude or ())
        if layer.per_file_ignores is not None:
            per_file = tuple(
                ((layer.base, glob), _ordered(_rules(layer, f"per-file-ignores {json.dumps(glob)}", codes)))
                for glob, codes in layer.per_file_ignores
            )
        for name in SCALARS:
            if getattr(layer, name) is not None:
                scalars[name] = getattr(layer, name)
    return Settings(
        file=file,
        root=root,
        rules=_ordered(rules),
        exclude=exclude,
        extend_exclude=extend_exclude,
        per_file_ignores=per_file,
        **scalars,
    )


def _ordered(specs: set[RuleSpec]) -> tuple[RuleSpec, ...]:
    return tuple(spec for spec in RULES if spec in specs)


def load(paths: Sequence[str], cli: Layer, *, config: str | None = None, isolated: bool = False) -> Settings:
    """The settings for a run over ``paths``: the file found for them (or named by
    ``config``; none when ``isolated``), then the command line."""
    if isolated:
        file = None
    elif config is not None:
        file = Path(config)
    else:
        file = find(start_folder(paths))
    layers = [read(file), cli] if file is not None else [cli]
    root = file.parent.resolve() if file is not None else Path.cwd()
    project = file or (None if isolated else _nearest_project(start_folder(paths)))
    return resolve(layers, file, root, requires_python(project) if project is not None else None)


# -- the target version from requires-python --------------------------------------------


def _nearest_project(start: Path) -> Path | None:
    """The nearest pyproject.toml, from ``start`` up to the repository root."""
    for folder in [start, *start.parents]:
        if (folder / PYPROJECT).is_file():
            return folder / PYPROJECT
        if (folder / ".git").exists():
            return None
    return None


def requires_python(path: Path) -> TargetVersion | None:
    """The oldest Python 3 that ``[project] requires-python`` admits (``>=3.11,<4`` gives
    py311), None when the file does not say or cannot be read: it is another tool's file,
    and mpfix then only goes without its help."""
    toml = _toml_parser()
    try:
        document = toml.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, toml.TOMLDecodeError):
        return None
    project = document.get("project")
    specifier = project.get("requires-python") if isinstance(project, dict) else None
    if not isinstance(specifier, str):
        return None
    lowest = [_lowest_minor(clause.strip()) for clause in specifier.split(",")]
    found = [minor for minor in lowest if minor is not None]
    return TargetVersion.of(max(found)) if found else None


def _lowest_minor(clause: str) -> int | None:
    """The lowest minor version of Python 3 that one clause admits: 11 for ``>=3.11``,
    ``~=3.11``, ``==3.11.*`` or ``>3.11``; None for a clause with no lower bound."""
    for operator in (">=", "~=", "==", ">"):
        if clause.startswith(operator):
            parts = clause[len(operator) :].strip().split(".")
            if len(parts) >= 2 and parts[0] == "3" and parts[1].isdigit():
                return int(parts[1])
            return None
    return None
