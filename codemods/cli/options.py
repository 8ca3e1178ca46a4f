"""The options of the commands: each declared once, with its help text and panel.

``check``, ``diff`` and ``fix`` share most of theirs: ``SharedOptions`` declares those, and
``with_shared_options`` gives them to a command, which receives them as one value.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, get_type_hints

import typer
from typer.core import TyperCommand

from ..model import TargetVersion
from ..output.formats import OutputFormat
from .config import ConfigError, Layer

RULES_PANEL, FILES_PANEL, OUTPUT_PANEL, CONFIG_PANEL = "Rules", "Files", "Output", "Configuration"


class PanelledCommand(TyperCommand):
    """A command whose ``--help`` lists its options under their panels (Rules, Files, ...),
    as plain text that wraps the help and never cuts an option's name: rich's tables cut
    long names (``--report-unused-supp…``) at 80 and 100 columns."""

    def get_short_help_str(self, limit: int = 45) -> str:
        """The first paragraph of the help, whole: the list of commands wraps it, not cuts it."""
        return self.short_help or inspect.cleandoc(self.help or "").split("\n\n")[0].replace("\n", " ")

    # ``ctx`` is the click context of the click that Typer brings (vendored in some releases).
    def format_options(self, ctx: Any, formatter: Any) -> None:
        sections: dict[str, list[tuple[str, str]]] = {}
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx)
            if record is None:
                continue
            if param.param_type_name == "argument":
                sections.setdefault("Arguments", []).append(record)
            else:
                sections.setdefault(getattr(param, "rich_help_panel", None) or "Options", []).append(record)
        for title, records in sections.items():
            with formatter.section(title):
                formatter.write_dl(records)


def _option(*names: str, help: str, panel: str) -> Any:
    return typer.Option(*names, help=help, show_default=False, rich_help_panel=panel)


def _switch(name: str, help: str, panel: str) -> Any:
    """``--name/--no-name``: None when neither is given, so that the configuration decides."""
    return _option(f"--{name}/--no-{name}", help=help, panel=panel)


Paths = Annotated[
    list[str] | None,
    typer.Argument(help="Files and folders to process (default: .); `-` reads stdin.", show_default=False),
]
Select = Annotated[
    list[str] | None,
    _option(
        "--select",
        help="Rules to use, replacing the configured choice: codes, code prefixes or names, comma-separated.",
        panel=RULES_PANEL,
    ),
]
ExtendSelect = Annotated[list[str] | None, _option(help="Rules to use on top of those selected.", panel=RULES_PANEL)]
Ignore = Annotated[
    list[str] | None,
    _option(help="Rules to leave out: codes, code prefixes or names, comma-separated.", panel=RULES_PANEL),
]
PerFileIgnores = Annotated[
    list[str] | None,
    _option(
        help="GLOB:RULES, such as 'tests/*:MP001,MP002': rules to leave out in matching files (repeat for more); "
        "replaces the configured table.",
        panel=RULES_PANEL,
    ),
]
UnsafeFixes = Annotated[
    bool | None,
    _switch("unsafe-fixes", "Also use fixes that may change behaviour (see each rule's page).", RULES_PANEL),
]
Target = Annotated[
    TargetVersion | None,
    typer.Option(
        "--target-version", case_sensitive=False, show_default=False, rich_help_panel=RULES_PANEL,
        help="The oldest Python the code runs on, such as py312 (default: from requires-python, else py310); "
        "some fixes use what newer versions add.",
    ),
]  # fmt: skip
ReportUnused = Annotated[
    bool | None,
    _switch("report-unused-suppressions", "Report suppression comments that suppress nothing, as MP000.", RULES_PANEL),
]
Exclude = Annotated[
    list[str] | None,
    _option(
        help="Gitignore-style patterns to skip, replacing the defaults (.venv, build, ...); comma-separated.",
        panel=FILES_PANEL,
    ),
]
ExtendExclude = Annotated[
    list[str] | None, _option(help="More patterns to skip, on top of the defaults; comma-separated.", panel=FILES_PANEL)
]
RespectGitignore = Annotated[
    bool | None, _switch("respect-gitignore", "Skip what .gitignore files ignore (default: on).", FILES_PANEL)
]
ForceExclude = Annotated[
    bool | None,
    _switch(
        "force-exclude", "Apply the excludes to files named on the command line too (for pre-commit).", FILES_PANEL
    ),
]
StdinFilename = Annotated[str | None, _option(help="The name to show for source read from stdin.", panel=FILES_PANEL)]
ConfigFile = Annotated[
    str | None,
    _option(
        "--config", help="Read [tool.mpfix] from this pyproject.toml instead of the nearest one.", panel=CONFIG_PANEL
    ),
]
Isolated = Annotated[bool, _option("--isolated", help="Read no configuration file.", panel=CONFIG_PANEL)]
Jobs = Annotated[
    int | None,
    typer.Option(
        "--jobs", "-j", min=1, help="Worker processes (default: one per CPU).", show_default=False,
        rich_help_panel=CONFIG_PANEL,
    ),
]  # fmt: skip
NoProgress = Annotated[bool, _option("--no-progress", help="Never show the progress counter.", panel=OUTPUT_PANEL)]
Quiet = Annotated[
    bool,
    _option("--quiet", "-q", help="Print the findings (and diffs) alone: no summary, no warning.", panel=OUTPUT_PANEL),
]
Silent = Annotated[
    bool,
    _option(
        "--silent", "-s", help="Print nothing (fix - still writes the source); the exit code tells.",
        panel=OUTPUT_PANEL,
    ),
]  # fmt: skip
NoCache = Annotated[
    bool, _option("--no-cache", help="Analyse every file again; do not read or write the cache.", panel=CONFIG_PANEL)
]
NoPrefilter = Annotated[
    bool,
    _option(
        "--no-prefilter", help="Analyse files that no rule can match too (to measure what skipping saves).",
        panel=CONFIG_PANEL,
    ),
]  # fmt: skip
Format = Annotated[
    OutputFormat,
    typer.Option(
        "--output-format",
        case_sensitive=False,
        help="text: findings with their source lines; concise: one line each; json, github, sarif: for tools; "
        "diff: the fixes.",
        rich_help_panel=OUTPUT_PANEL,
    ),
]
ExitZero = Annotated[bool, _option("--exit-zero", help="Exit with 0 even when findings remain.", panel=OUTPUT_PANEL)]
ShowSettings = Annotated[
    bool, _option("--show-settings", help="Print the settings in force and exit.", panel=CONFIG_PANEL)
]
Statistics = Annotated[
    bool, _option("--statistics", help="Count the findings of each rule instead of listing them.", panel=OUTPUT_PANEL)
]
Interactive = Annotated[
    bool,
    _option(
        "--interactive", "-i", help="Show each file's fix and ask before writing it (y/n/a/q).", panel=OUTPUT_PANEL
    ),
]
ExitNonZeroOnFix = Annotated[
    bool,
    _option(
        "--exit-non-zero-on-fix", help="Exit with 1 when a fix was written, even if no findings remain.",
        panel=OUTPUT_PANEL,
    ),
]  # fmt: skip


@dataclass(frozen=True)
class SharedOptions:
    """The options of check, diff and fix, as given on the command line (None: not given).

    The fields from ``jobs`` on come after a command's own options in its signature, so
    that ``--help`` lists each panel's options in the order it always has.
    """

    paths: Paths = None
    select_: Select = None
    extend_select: ExtendSelect = None
    ignore: Ignore = None
    per_file_ignores: PerFileIgnores = None
    unsafe_fixes: UnsafeFixes = None
    target_version: Target = None
    report_unused_suppressions: ReportUnused = None
    exclude: Exclude = None
    extend_exclude: ExtendExclude = None
    respect_gitignore: RespectGitignore = None
    force_exclude: ForceExclude = None
    stdin_filename: StdinFilename = None
    config_file: ConfigFile = None
    isolated: Isolated = False
    jobs: Jobs = None
    no_progress: NoProgress = False
    quiet: Quiet = False
    silent: Silent = False
    no_cache: NoCache = False
    no_prefilter: NoPrefilter = False

    def layer(self, base: str) -> Layer:
        """The settings that these options give, over those of the configuration file.
        ConfigError for a malformed ``--per-file-ignores``."""
        return Layer(
            origin="",
            base=base,
            select=_split(self.select_),
            extend_select=_split(self.extend_select),
            ignore=_split(self.ignore),
            per_file_ignores=_per_file_ignores(self.per_file_ignores),
            exclude=_split(self.exclude),
            extend_exclude=_split(self.extend_exclude),
            unsafe_fixes=self.unsafe_fixes,
            target_version=self.target_version,
            jobs=self.jobs,
            respect_gitignore=self.respect_gitignore,
            force_exclude=self.force_exclude,
            report_unused_suppressions=self.report_unused_suppressions,
        )


_AFTER_OWN = "jobs"  # the first shared option that follows a command's own


def with_shared_options(command: Callable[..., None]) -> Callable[..., None]:
    """Typer sees ``command(shared, **own)`` as taking every shared option and its own,
    in help order; ``command`` receives the shared ones as one ``SharedOptions``."""
    hints = get_type_hints(SharedOptions, include_extras=True)
    keyword = inspect.Parameter.KEYWORD_ONLY
    shared = [
        inspect.Parameter(field.name, keyword, default=field.default, annotation=hints[field.name])
        for field in dataclasses.fields(SharedOptions)
    ]
    split = next(index for index, parameter in enumerate(shared) if parameter.name == _AFTER_OWN)
    _, *own = inspect.signature(command, eval_str=True).parameters.values()
    own = [parameter.replace(kind=keyword) for parameter in own]
    parameters = [*shared[:split], *own, *shared[split:]]

    @functools.wraps(command)
    def wrapper(**arguments: Any) -> None:
        options = SharedOptions(**{parameter.name: arguments.pop(parameter.name) for parameter in shared})
        command(options, **arguments)

    # Typer reads the parameters from ``__signature__``, which typeshed does not declare on functions.
    wrapper.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    wrapper.__annotations__ = {parameter.name: parameter.annotation for parameter in parameters}
    return wrapper


def _split(values: Sequence[str] | None) -> tuple[str, ...] | None:
    """`--select A,B --select C` → (A, B, C); None when the option was not given."""
    if values is None:
        return None
    return tuple(part.strip() for value in values for part in value.split(",") if part.strip())


def _per_file_ignores(values: Sequence[str] | None) -> tuple[tuple[str, tuple[str, ...]], ...] | None:
    """`--per-file-ignores 'tests/*:MP001,MP002'` → (("tests/*", ("MP001", "MP002")),)."""
    if values is None:
        return None
    entries = []
    for value in values:
        glob, _, codes = value.rpartition(":")
        selectors = _split([codes]) or ()
        if not glob.strip() or not selectors:
            raise ConfigError(f"--per-file-ignores {value!r}: expected GLOB:RULES, such as 'tests/*:MP001'")
        entries.append((glob.strip(), selectors))
    return tuple(entries)
