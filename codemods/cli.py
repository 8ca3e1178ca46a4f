"""The `mpfix` command: parse arguments, call the runner, print.

Nothing here imports libcst: start-up stays fast, and a run over files that the prefilter
rejects never loads it (the runner imports the engine only when a file needs it).
Exit codes, as ruff's: 0 nothing found, 1 findings (or a diff), 2 errors.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from codemods import report
from codemods.rules import RULES, UnknownRuleError, lookup, select
from codemods.runner import FileResult, Options, check_bytes, run

STDIN = "-"
EXIT_CLEAN, EXIT_FOUND, EXIT_ERROR = 0, 1, 2

app = typer.Typer(
    name="mpfix",
    add_completion=False,
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)

Paths = Annotated[
    list[str] | None,
    typer.Argument(help="Files and folders to process (default: .); `-` reads stdin.", show_default=False),
]
Select = Annotated[
    list[str] | None,
    typer.Option("--select", help="Rules to use: codes, code prefixes or names, comma-separated (default: all)."),
]
Ignore = Annotated[
    list[str] | None,
    typer.Option(help="Rules to leave out: codes, code prefixes or names, comma-separated."),
]
Exclude = Annotated[
    list[str] | None,
    typer.Option(help="More gitignore-style patterns to skip in the folders walked, comma-separated."),
]
Jobs = Annotated[
    int | None,
    typer.Option("--jobs", "-j", min=1, help="Worker processes (default: one per CPU).", show_default=False),
]
UnsafeFixes = Annotated[
    bool, typer.Option("--unsafe-fixes", help="Also use fixes that may change behaviour (see each rule's page).")
]
NoProgress = Annotated[bool, typer.Option("--no-progress", help="Never show the progress counter.")]
StdinFilename = Annotated[
    str | None, typer.Option(help="The name to show for source read from stdin.", show_default=False)
]


def _fail(message: str) -> NoReturn:
    typer.echo(f"mpfix: error: {message}", err=True)
    raise typer.Exit(EXIT_ERROR)


def _split(values: Sequence[str] | None) -> list[str] | None:
    """`--select A,B --select C` → [A, B, C]; None when the option was not given."""
    if values is None:
        return None
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


class _Request:
    """What a check, diff or fix run was asked to do, from the shared options."""

    def __init__(
        self,
        paths: list[str] | None,
        select_: list[str] | None,
        ignore: list[str] | None,
        stdin_filename: str | None,
        *,
        fix: bool,
        unsafe_fixes: bool,
    ) -> None:
        try:
            rules = select(_split(select_), _split(ignore))
        except UnknownRuleError as exc:
            _fail(str(exc))
        self.options = Options(rules=rules, fix=fix, unsafe_fixes=unsafe_fixes)
        self.paths = paths or ([STDIN] if stdin_filename else ["."])
        self.stdin = STDIN in self.paths
        if self.stdin and len(self.paths) > 1:
            _fail("`-` (stdin) cannot be combined with other paths")
        self.stdin_name = stdin_filename or STDIN

    def read_stdin(self) -> tuple[FileResult, bytes]:
        data = sys.stdin.buffer.read()
        return check_bytes(self.stdin_name, data, self.options), data

    def results(
        self, jobs: int | None, exclude: list[str] | None, no_progress: bool, *, write: bool = False
    ) -> list[FileResult]:
        """The result of stdin, or of every file under the paths."""
        if self.stdin:
            return [self.read_stdin()[0]]
        progress = None if no_progress or not sys.stderr.isatty() else report.Progress(sys.stderr)
        try:
            return run(
                self.paths,
                self.options,
                jobs=jobs,
                write=write,
                excludes=_split(exclude) or (),
                progress=progress,
            )
        finally:
            if progress is not None:
                progress.close()


def _echo_errors(results: Sequence[FileResult]) -> None:
    for result in results:
        for error in result.errors:
            typer.echo(error, err=True)


def _exit(results: Sequence[FileResult], found: bool) -> NoReturn:
    if any(result.errors for result in results):
        raise typer.Exit(EXIT_ERROR)
    raise typer.Exit(EXIT_FOUND if found else EXIT_CLEAN)


@app.command()
def check(
    paths: Paths = None,
    select_: Select = None,
    ignore: Ignore = None,
    exclude: Exclude = None,
    jobs: Jobs = None,
    unsafe_fixes: UnsafeFixes = False,
    no_progress: NoProgress = False,
    stdin_filename: StdinFilename = None,
) -> None:
    """Report findings; change nothing."""
    request = _Request(paths, select_, ignore, stdin_filename, fix=False, unsafe_fixes=unsafe_fixes)
    results = request.results(jobs, exclude, no_progress)
    for result in results:
        for finding in result.findings:
            typer.echo(report.finding_line(result.path, finding, unsafe_fixes))
    _echo_errors(results)
    typer.echo(report.check_summary(results, unsafe_fixes))
    _exit(results, found=any(result.findings for result in results))


@app.command()
def diff(
    paths: Paths = None,
    select_: Select = None,
    ignore: Ignore = None,
    exclude: Exclude = None,
    jobs: Jobs = None,
    unsafe_fixes: UnsafeFixes = False,
    no_progress: NoProgress = False,
    stdin_filename: StdinFilename = None,
) -> None:
    """Show the fixes as a unified diff; write nothing."""
    request = _Request(paths, select_, ignore, stdin_filename, fix=True, unsafe_fixes=unsafe_fixes)
    results = request.results(jobs, exclude, no_progress)
    colour = sys.stdout.isatty()
    for result in results:
        if result.fixed is not None and result.source is not None:
            typer.echo(report.unified_diff(result.path, result.source, result.fixed, colour=colour), nl=False)
    _echo_errors(results)
    typer.echo(report.diff_summary(results), err=True)
    _exit(results, found=any(result.fixed is not None for result in results))


@app.command()
def fix(
    paths: Paths = None,
    select_: Select = None,
    ignore: Ignore = None,
    exclude: Exclude = None,
    jobs: Jobs = None,
    unsafe_fixes: UnsafeFixes = False,
    no_progress: NoProgress = False,
    stdin_filename: StdinFilename = None,
) -> None:
    """Apply the safe fixes in place (and the unsafe ones with --unsafe-fixes).

    With `-`, read the source from stdin and write the fixed source to stdout.
    """
    request = _Request(paths, select_, ignore, stdin_filename, fix=True, unsafe_fixes=unsafe_fixes)
    if request.stdin:
        result, data = request.read_stdin()
        # The fixed source, or the input unchanged: an editor piping through mpfix keeps its text.
        sys.stdout.buffer.write(result.encoded() if result.fixed is not None else data)
        sys.stdout.buffer.flush()
        for finding in result.remaining:
            typer.echo(report.finding_line(result.path, finding, unsafe_fixes), err=True)
        _echo_errors([result])
        _exit([result], found=bool(result.remaining))

    results = request.results(jobs, exclude, no_progress, write=True)
    for result in results:
        if result.fixed is not None:
            typer.echo(report.fixed_line(result))
    for result in results:
        for finding in result.remaining:
            typer.echo(report.finding_line(result.path, finding, unsafe_fixes))
    _echo_errors(results)
    typer.echo(report.fix_summary(results))
    _exit(results, found=any(result.remaining for result in results))


@app.command("rules")
def list_rules() -> None:
    """List the rules: code, name, fix safety and summary."""
    typer.echo(report.rules_table(RULES))


def _rule_page(name: str) -> tuple[Path, Path] | None:
    """A rule's page and the snippets folder, from an installed wheel or the source tree."""
    package = Path(__file__).resolve().parent
    for docs in (package / "_docs", package.parent / "docs"):
        page = docs / "rules" / f"{name}.md"
        if page.is_file():
            return page, docs / "snippets"
    return None


@app.command()
def explain(rule: Annotated[str, typer.Argument(help="A rule code (MP001) or name (missing-main-guard).")]) -> None:
    """Print a rule's documentation page."""
    try:
        spec = lookup(rule)
    except UnknownRuleError as exc:
        _fail(str(exc))
    found = _rule_page(spec.name)
    if found is None:
        _fail(f"the documentation page of {spec.code} {spec.name} is not installed")
    page, snippets = found
    typer.echo(report.render_rule_page(page.read_text(encoding="utf-8"), snippets), nl=False)


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
