"""The `mpfix` command: parse arguments, load the settings, call the runner, print.

Nothing here imports libcst: start-up stays fast, and a run over files that the prefilter
rejects never loads it (the runner imports the engine only when a file needs it).
Exit codes, as ruff's: 0 nothing found, 1 findings (or a diff), 2 errors.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import Annotated, Any, NoReturn

import typer

from codemods.cli import config, interactive
from codemods.model import FileResult
from codemods.output import text
from codemods.output.formats import OutputFormat, render
from codemods.output.pages import render_rule_page, rule_page
from codemods.output.shown import shown
from codemods.rules import RULES, UnknownRuleError, lookup
from codemods.run.cache import ResultCache
from codemods.run.discover import FileFilter
from codemods.run.pipeline import analyse, check_bytes, run
from codemods.run.request import Options
from codemods.run.write import write_fixed

STDIN = "-"
EXIT_CLEAN, EXIT_FOUND, EXIT_ERROR = 0, 1, 2

app = typer.Typer(
    name="mpfix",
    add_completion=False,
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)

# -- options shared by check, diff and fix ---------------------------------------------------

RULES_PANEL, FILES_PANEL, OUTPUT_PANEL, CONFIG_PANEL = "Rules", "Files", "Output", "Configuration"


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
        "--config", help="Read \\[tool.mpfix] from this pyproject.toml instead of the nearest one.", panel=CONFIG_PANEL
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

# The parameters that every command of check, diff and fix has, and _Request reads.
_SHARED = (
    "paths", "select_", "extend_select", "ignore", "per_file_ignores", "unsafe_fixes", "report_unused_suppressions",
    "exclude", "extend_exclude", "respect_gitignore", "force_exclude", "stdin_filename", "config_file", "isolated",
    "jobs", "no_progress", "no_cache", "no_prefilter",
)  # fmt: skip


def _fail(message: str) -> NoReturn:
    typer.echo(f"mpfix: error: {message}", err=True)
    raise typer.Exit(EXIT_ERROR)


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
            _fail(f"--per-file-ignores {value!r}: expected GLOB:RULES, such as 'tests/*:MP001'")
        entries.append((glob.strip(), selectors))
    return tuple(entries)


def _colour() -> bool:
    return sys.stdout.isatty() and "NO_COLOR" not in os.environ


class _Request:
    """What a check, diff or fix run was asked to do: the shared options, resolved
    against the configuration file into settings."""

    def __init__(self, parameters: dict[str, Any], *, fix: bool) -> None:
        """``parameters``: a command's own, by name (its ``locals()``); the shared ones are used."""
        shared = {name: parameters[name] for name in _SHARED}
        paths, stdin_filename = shared["paths"], shared["stdin_filename"]
        self.paths = paths or ([STDIN] if stdin_filename else ["."])
        self.stdin = STDIN in self.paths
        if self.stdin and len(self.paths) > 1:
            _fail("`-` (stdin) cannot be combined with other paths")
        self.stdin_name = stdin_filename or STDIN
        self.no_progress = shared["no_progress"]
        self.no_cache = shared["no_cache"]
        layer = config.Layer(
            origin="",
            base=os.getcwd(),
            select=_split(shared["select_"]),
            extend_select=_split(shared["extend_select"]),
            ignore=_split(shared["ignore"]),
            per_file_ignores=_per_file_ignores(shared["per_file_ignores"]),
            exclude=_split(shared["exclude"]),
            extend_exclude=_split(shared["extend_exclude"]),
            unsafe_fixes=shared["unsafe_fixes"],
            jobs=shared["jobs"],
            respect_gitignore=shared["respect_gitignore"],
            force_exclude=shared["force_exclude"],
            report_unused_suppressions=shared["report_unused_suppressions"],
        )
        # The configuration is looked for from the files checked (or the name given to stdin).
        targets = [stdin_filename or "."] if self.stdin else self.paths
        try:
            self.settings = config.load(targets, layer, config=shared["config_file"], isolated=shared["isolated"])
        except config.ConfigError as exc:
            _fail(str(exc))
        if not self.settings.rules:
            typer.echo("mpfix: warning: no rule selected", err=True)
        self.options = Options(
            rules=self.settings.rules,
            fix=fix,
            unsafe_fixes=self.settings.unsafe_fixes,
            report_unused_suppressions=self.settings.report_unused_suppressions,
            prefilter=not shared["no_prefilter"],
        )

    @property
    def unsafe_fixes(self) -> bool:
        return self.settings.unsafe_fixes

    def read_stdin(self) -> tuple[FileResult, bytes]:
        data = sys.stdin.buffer.read()
        options = replace(self.options, rules=self.settings.rules_for(self.stdin_name))
        return check_bytes(self.stdin_name, data, options), data

    def _run_args(self) -> dict[str, Any]:
        settings = self.settings
        return {
            "jobs": settings.jobs,
            "files": FileFilter(
                exclude=settings.exclude + settings.extend_exclude,
                respect_gitignore=settings.respect_gitignore,
                force_exclude=settings.force_exclude,
            ),
            "rules_for": settings.rules_for if settings.per_file_ignores else None,
            "cache": None if self.no_cache else ResultCache(),
        }

    def stream(self) -> Iterator[tuple[FileResult, bytes | None]]:
        """Each file's result as soon as it is ready, in path order (not for stdin)."""
        return analyse(self.paths, self.options, **self._run_args())

    def results(self, *, write: bool = False) -> list[FileResult]:
        """The result of stdin, or of every file under the paths."""
        if self.stdin:
            return [self.read_stdin()[0]]
        progress = None if self.no_progress or not sys.stderr.isatty() else text.Progress(sys.stderr)
        try:
            return run(self.paths, self.options, write=write, progress=progress, **self._run_args())
        finally:
            if progress is not None:
                progress.close()


def _print_findings(
    results: Sequence[FileResult],
    fmt: OutputFormat,
    request: _Request,
    *,
    after_fix: bool,
    statistics: bool = False,
    err: bool = False,
) -> None:
    rendered = render(
        fmt, shown(results, after_fix=after_fix), unsafe_fixes=request.unsafe_fixes, statistics=statistics
    )
    if rendered:
        typer.echo(rendered, nl=False, err=err)


def _echo_errors(results: Sequence[FileResult]) -> None:
    for result in results:
        for error in result.errors:
            typer.echo(text.error_line(error), err=True)


def _exit(results: Sequence[FileResult], found: bool, exit_zero: bool = False) -> NoReturn:
    if any(result.errors for result in results):
        raise typer.Exit(EXIT_ERROR)
    raise typer.Exit(EXIT_FOUND if found and not exit_zero else EXIT_CLEAN)


def _show_diff(request: _Request, exit_zero: bool) -> NoReturn:
    results = request.results()
    colour = _colour()
    for result in results:
        if result.fixed is not None and result.source is not None:
            typer.echo(text.unified_diff(result.path, result.source, result.fixed, colour=colour), nl=False)
    _echo_errors(results)
    typer.echo(text.diff_summary(results), err=True)
    _exit(results, found=any(result.fixed is not None for result in results), exit_zero=exit_zero)


# -- commands ---------------------------------------------------------------------------------


@app.command()
def check(
    paths: Paths = None,
    select_: Select = None,
    extend_select: ExtendSelect = None,
    ignore: Ignore = None,
    per_file_ignores: PerFileIgnores = None,
    unsafe_fixes: UnsafeFixes = None,
    report_unused_suppressions: ReportUnused = None,
    exclude: Exclude = None,
    extend_exclude: ExtendExclude = None,
    respect_gitignore: RespectGitignore = None,
    force_exclude: ForceExclude = None,
    stdin_filename: StdinFilename = None,
    config_file: ConfigFile = None,
    isolated: Isolated = False,
    show_settings: ShowSettings = False,
    jobs: Jobs = None,
    output_format: Format = OutputFormat.TEXT,
    statistics: Statistics = False,
    exit_zero: ExitZero = False,
    no_progress: NoProgress = False,
    no_cache: NoCache = False,
    no_prefilter: NoPrefilter = False,
) -> None:
    """Report findings; change nothing."""
    request = _Request(locals(), fix=output_format.needs_fixes)
    if show_settings:
        typer.echo(request.settings.show())
        raise typer.Exit(EXIT_CLEAN)
    if output_format is OutputFormat.DIFF:
        _show_diff(request, exit_zero)
    results = request.results()
    _print_findings(results, output_format, request, after_fix=False, statistics=statistics)
    _echo_errors(results)
    typer.echo(text.check_summary(results, request.unsafe_fixes), err=output_format.for_tools)
    _exit(results, found=any(result.findings for result in results), exit_zero=exit_zero)


@app.command()
def diff(
    paths: Paths = None,
    select_: Select = None,
    extend_select: ExtendSelect = None,
    ignore: Ignore = None,
    per_file_ignores: PerFileIgnores = None,
    unsafe_fixes: UnsafeFixes = None,
    report_unused_suppressions: ReportUnused = None,
    exclude: Exclude = None,
    extend_exclude: ExtendExclude = None,
    respect_gitignore: RespectGitignore = None,
    force_exclude: ForceExclude = None,
    stdin_filename: StdinFilename = None,
    config_file: ConfigFile = None,
    isolated: Isolated = False,
    jobs: Jobs = None,
    exit_zero: ExitZero = False,
    no_progress: NoProgress = False,
    no_cache: NoCache = False,
    no_prefilter: NoPrefilter = False,
) -> None:
    """Show the fixes as a unified diff; write nothing."""
    _show_diff(_Request(locals(), fix=True), exit_zero)


@app.command()
def fix(
    paths: Paths = None,
    select_: Select = None,
    extend_select: ExtendSelect = None,
    ignore: Ignore = None,
    per_file_ignores: PerFileIgnores = None,
    unsafe_fixes: UnsafeFixes = None,
    report_unused_suppressions: ReportUnused = None,
    exclude: Exclude = None,
    extend_exclude: ExtendExclude = None,
    respect_gitignore: RespectGitignore = None,
    force_exclude: ForceExclude = None,
    stdin_filename: StdinFilename = None,
    config_file: ConfigFile = None,
    isolated: Isolated = False,
    jobs: Jobs = None,
    interactive_: Interactive = False,
    output_format: Format = OutputFormat.TEXT,
    exit_zero: ExitZero = False,
    exit_non_zero_on_fix: ExitNonZeroOnFix = False,
    no_progress: NoProgress = False,
    no_cache: NoCache = False,
    no_prefilter: NoPrefilter = False,
) -> None:
    """Apply the safe fixes in place (and the unsafe ones with --unsafe-fixes).

    With `-`, read the source from stdin and write the fixed source to stdout.
    """
    if exit_zero and exit_non_zero_on_fix:
        _fail("--exit-zero and --exit-non-zero-on-fix cannot be used together")
    if output_format is OutputFormat.DIFF:
        _fail("--output-format diff shows fixes without writing them: use `mpfix diff`")
    if interactive_ and output_format.for_tools:
        _fail(f"--interactive talks to a person: it cannot write {output_format.value}")
    request = _Request(locals(), fix=True)
    to_stderr = output_format.for_tools
    if request.stdin:
        if interactive_:
            _fail("--interactive reads its answers from stdin, so it cannot fix source read from stdin")
        result, data = request.read_stdin()
        # The fixed source, or the input unchanged: an editor piping through mpfix keeps its text.
        sys.stdout.buffer.write(result.encoded() if result.fixed is not None else data)
        sys.stdout.buffer.flush()
        _print_findings([result], output_format, request, after_fix=True, err=True)
        _echo_errors([result])
        changed = exit_non_zero_on_fix and result.fixed is not None
        _exit([result], found=bool(result.remaining) or changed, exit_zero=exit_zero)

    if interactive_:
        results = _review(request)
    else:
        results = request.results(write=True)
        for result in results:
            if result.fixed is not None:
                typer.echo(text.fixed_line(result), err=to_stderr)
    _print_findings(results, output_format, request, after_fix=True)
    _echo_errors(results)
    typer.echo(text.fix_summary(results), err=to_stderr)
    changed = exit_non_zero_on_fix and any(result.fixed is not None for result in results)
    _exit(results, found=any(result.remaining for result in results) or changed, exit_zero=exit_zero)


def _review(request: _Request) -> list[FileResult]:
    """`fix --interactive`: ask about each file's fix, in path order, as the analysis goes on."""
    colour = _colour()

    def show(result: FileResult) -> None:
        assert result.source is not None and result.fixed is not None
        typer.echo(text.review_header(result))
        typer.echo(text.unified_diff(result.path, result.source, result.fixed, colour=colour), nl=False)

    def write(result: FileResult, original: bytes) -> bool:
        written = write_fixed(result, original)
        if written:
            typer.echo(text.fixed_line(result))
        return written

    def answer() -> interactive.Answer:
        return interactive.ask(sys.stdin, lambda prompt: typer.echo(prompt, nl=False))

    return interactive.review(request.stream(), show=show, answer=answer, write=write)


@app.command("rules")
def list_rules() -> None:
    """List the rules: code, name, fix safety and summary."""
    typer.echo(text.rules_table(RULES))


@app.command()
def explain(rule: Annotated[str, typer.Argument(help="A rule code (MP001) or name (missing-main-guard).")]) -> None:
    """Print a rule's documentation page."""
    try:
        spec = lookup(rule)
    except UnknownRuleError as exc:
        _fail(str(exc))
    found = rule_page(spec.name)
    if found is None:
        _fail(f"the documentation page of {spec.code} {spec.name} is not installed")
    page, snippets = found
    typer.echo(render_rule_page(page.read_text(encoding="utf-8"), snippets), nl=False)


def _print_version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            typer.echo(f"mpfix {version('mpfix')}")
        except PackageNotFoundError:
            _fail("mpfix is not installed, so it has no version (pip install -e .)")
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[
        bool, typer.Option("--version", callback=_print_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Find and fix multiprocessing code that breaks under spawn, forkserver or fork."""


def main() -> None:
    """The `mpfix` console script."""
    app(prog_name="mpfix")
