"""The `mpfix` command: parse arguments, load the settings, call the runner, print.

Nothing here imports libcst: start-up stays fast, and a run over files that the prefilter
rejects never loads it (the runner imports the engine only when a file needs it).
Exit codes, as ruff's: 0 nothing found, 1 findings (or a diff), 2 errors.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import Annotated, NoReturn, TextIO

import typer

from ..model import FileResult
from ..output import text
from ..output.formats import OutputFormat, render
from ..output.shown import shown
from ..registry import RULES, UnknownRuleError, lookup
from ..run.cache import ResultCache
from ..run.pipeline import analyse, check_bytes, run
from ..run.request import Progress, Request
from ..run.write import write_fixed
from . import config, interactive
from .options import (
    ExitNonZeroOnFix,
    ExitZero,
    Format,
    Interactive,
    PanelledCommand,
    SharedOptions,
    ShowSettings,
    Statistics,
    with_shared_options,
)

STDIN = "-"
EXIT_CLEAN, EXIT_FOUND, EXIT_ERROR = 0, 1, 2

app = typer.Typer(
    name="mpfix",
    rich_markup_mode=None,
    pretty_exceptions_enable=False,  # an internal error is reported by ``mpfix.cli.main``
    add_completion=False,
    no_args_is_help=True,
    # Help as wide as the terminal, up to 120 columns (click stops at 80 by default).
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 120},
)


def _fail(message: str) -> NoReturn:
    typer.echo(f"mpfix: error: {message}", err=True)
    raise typer.Exit(EXIT_ERROR)


def _colour(stream: TextIO | None = None) -> bool:
    """Whether to colour what goes to ``stream`` (stdout): on a terminal, unless NO_COLOR
    says not to; FORCE_COLOR colours a pipe too. An empty variable counts as unset."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    stream = stream or sys.stdout
    return stream.isatty() and os.environ.get("TERM") != "dumb"


class _Invocation:
    """What a check, diff or fix was asked to do: the shared options resolved against the
    configuration file into settings, and the runner's request built from them."""

    def __init__(self, shared: SharedOptions, *, fix: bool) -> None:
        self.paths = shared.paths or ([STDIN] if shared.stdin_filename else ["."])
        self.stdin = STDIN in self.paths
        if self.stdin and len(self.paths) > 1:
            _fail("`-` (stdin) cannot be combined with other paths")
        self.stdin_name = shared.stdin_filename or STDIN
        self.shared = shared
        # The configuration is looked for from the files checked (or the name given to stdin).
        targets = [shared.stdin_filename or "."] if self.stdin else self.paths
        try:
            layer = shared.layer(base=os.getcwd())
            self.settings = config.load(targets, layer, config=shared.config_file, isolated=shared.isolated)
        except config.ConfigError as exc:
            _fail(str(exc))
        if not self.settings.rules:
            self.say("mpfix: warning: no rule selected", err=True)
        self.options = self.settings.options(fix=fix, prefilter=not shared.no_prefilter)

    def say(self, message: str, *, err: bool = False) -> None:
        """A summary or a warning: not with --quiet or --silent."""
        if not (self.shared.quiet or self.shared.silent):
            typer.echo(message, err=err)

    def show(self, message: str, *, err: bool = False, colour: bool = False) -> None:
        """Findings, diffs and errors: not with --silent."""
        if not self.shared.silent:
            typer.echo(message, nl=False, err=err, color=colour)

    @property
    def unsafe_fixes(self) -> bool:
        return self.settings.unsafe_fixes

    def read_stdin(self) -> tuple[FileResult, bytes]:
        data = sys.stdin.buffer.read()
        options = replace(self.options, rules=self.settings.rules_for(self.stdin_name))
        return check_bytes(self.stdin_name, data, options), data

    def request(self, *, write: bool = False, progress: Progress | None = None) -> Request:
        """What the runner is to do with the files under the paths (not for stdin)."""
        settings = self.settings
        return Request(
            paths=self.paths,
            options=self.options,
            jobs=settings.jobs,
            files=settings.files(),
            rules_for=settings.rules_for if settings.per_file_ignores else None,
            cache=None if self.shared.no_cache else ResultCache(),
            write=write,
            progress=progress,
        )

    def stream(self) -> Iterator[tuple[FileResult, bytes | None]]:
        """Each file's result as soon as it is ready, in path order (not for stdin)."""
        return analyse(self.request())

    def results(self, *, write: bool = False) -> list[FileResult]:
        """The result of stdin, or of every file under the paths."""
        if self.stdin:
            return [self.read_stdin()[0]]
        quiet = self.shared.no_progress or self.shared.quiet or self.shared.silent
        progress = None if quiet or not sys.stderr.isatty() else text.Progress(sys.stderr)
        try:
            results = run(self.request(write=write, progress=progress))
        finally:
            if progress is not None:
                progress.close()
        return results


def _print_findings(
    results: Sequence[FileResult],
    fmt: OutputFormat,
    invocation: _Invocation,
    *,
    after_fix: bool,
    statistics: bool = False,
    err: bool = False,
) -> None:
    colour = _colour(sys.stderr if err else sys.stdout)
    files = shown(results, after_fix=after_fix)
    errors = [error for result in results for error in result.errors]
    rendered = render(
        fmt, files, unsafe_fixes=invocation.unsafe_fixes, statistics=statistics, colour=colour, errors=errors
    )
    if rendered:
        invocation.show(rendered, err=err, colour=colour)


def _echo_errors(results: Sequence[FileResult], invocation: _Invocation) -> None:
    if not results:  # as ruff: a run over nothing must not pass for a clean one
        invocation.say("mpfix: warning: no Python files found under the given paths", err=True)
    for result in results:
        for error in result.errors:
            invocation.show(text.error_line(error) + "\n", err=True)


def _exit(results: Sequence[FileResult], found: bool, exit_zero: bool = False) -> NoReturn:
    if any(result.errors for result in results):
        raise typer.Exit(EXIT_ERROR)
    raise typer.Exit(EXIT_FOUND if found and not exit_zero else EXIT_CLEAN)


def _show_diff(invocation: _Invocation, exit_zero: bool) -> NoReturn:
    results = invocation.results()
    colour = _colour()
    for result in results:
        if result.fixed is not None and result.source is not None:
            diff = text.unified_diff(result.path, result.source, result.fixed, colour=colour)
            invocation.show(diff, colour=colour)
    _echo_errors(results, invocation)
    invocation.say(text.diff_summary(results, invocation.unsafe_fixes), err=True)
    _exit(results, found=any(result.fixed is not None for result in results), exit_zero=exit_zero)


# -- commands ---------------------------------------------------------------------------------


@app.command(cls=PanelledCommand)
@with_shared_options
def check(
    shared: SharedOptions,
    show_settings: ShowSettings = False,
    output_format: Format = OutputFormat.TEXT,
    statistics: Statistics = False,
    exit_zero: ExitZero = False,
) -> None:
    """Report findings; change nothing."""
    # The fixes are computed (not written) so that the counts predict what `fix` does.
    invocation = _Invocation(shared, fix=True)
    if show_settings:
        typer.echo(invocation.settings.show())
        raise typer.Exit(EXIT_CLEAN)
    if output_format is OutputFormat.DIFF:
        _show_diff(invocation, exit_zero)
    results = invocation.results()
    _print_findings(results, output_format, invocation, after_fix=False, statistics=statistics)
    _echo_errors(results, invocation)
    invocation.say(text.check_summary(results, invocation.unsafe_fixes), err=output_format.for_tools)
    _exit(results, found=any(result.findings for result in results), exit_zero=exit_zero)


@app.command(cls=PanelledCommand)
@with_shared_options
def diff(
    shared: SharedOptions,
    exit_zero: ExitZero = False,
) -> None:
    """Show the fixes as a unified diff; write nothing."""
    _show_diff(_Invocation(shared, fix=True), exit_zero)


@app.command(cls=PanelledCommand)
@with_shared_options
def fix(
    shared: SharedOptions,
    interactive_: Interactive = False,
    output_format: Format = OutputFormat.TEXT,
    exit_zero: ExitZero = False,
    exit_non_zero_on_fix: ExitNonZeroOnFix = False,
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
    invocation = _Invocation(shared, fix=True)
    to_stderr = output_format.for_tools
    if invocation.stdin:
        if interactive_:
            _fail("--interactive reads its answers from stdin, so it cannot fix source read from stdin")
        result, data = invocation.read_stdin()
        # The fixed source, or the input unchanged: an editor piping through mpfix keeps its text.
        sys.stdout.buffer.write(result.encoded() if result.fixed is not None else data)
        sys.stdout.buffer.flush()
        _print_findings([result], output_format, invocation, after_fix=True, err=True)
        _echo_errors([result], invocation)
        changed = exit_non_zero_on_fix and result.fixed is not None
        _exit([result], found=bool(result.remaining) or changed, exit_zero=exit_zero)

    unreviewed: list[FileResult] = []
    if interactive_:
        outcome = _review(invocation)
        results, unreviewed = outcome.results, outcome.unreviewed
    else:
        results = invocation.results(write=True)
        for result in results:
            if result.fixed is not None:
                invocation.say(text.fixed_line(result, invocation.unsafe_fixes), err=to_stderr)
    # After a quit, the files never asked about are summed up, not listed finding by finding.
    listed = [result for result in results if not any(result is other for other in unreviewed)]
    _print_findings(listed, output_format, invocation, after_fix=True)
    if unreviewed:
        invocation.say(text.unreviewed_line(unreviewed))
    _echo_errors(results, invocation)
    invocation.say(text.fix_summary(results, invocation.unsafe_fixes), err=to_stderr)
    changed = exit_non_zero_on_fix and any(result.fixed is not None for result in results)
    _exit(results, found=any(result.remaining for result in results) or changed, exit_zero=exit_zero)


def _less_keeps_colours() -> None:
    # As git does: quit when it fits, keep the colours, leave the page on the screen.
    os.environ.setdefault("LESS", "FRX")


def _page(content: str) -> None:
    """Show ``content`` through the user's pager ($PAGER, else less)."""
    import pydoc

    _less_keeps_colours()
    pydoc.pager(content)


def _review(invocation: _Invocation) -> interactive.Review:
    """`fix --interactive`: ask about each file's fix, in path order, as the analysis goes on."""
    colour = _colour()
    unsafe_fixes = invocation.unsafe_fixes

    def show(result: FileResult) -> None:
        assert result.source is not None and result.fixed is not None
        header = text.review_header(result, unsafe_fixes)
        diff = text.unified_diff(result.path, result.source, result.fixed, colour=colour)
        height = shutil.get_terminal_size().lines
        if sys.stdout.isatty() and diff.count("\n") + header.count("\n") + 3 > height:
            # Longer than the screen: paged, then the file named again above the question.
            _page(header + "\n" + diff)
            typer.echo(header.splitlines()[0])
            return
        typer.echo(header)
        typer.echo(diff, nl=False, color=colour)

    def write(result: FileResult, original: bytes) -> bool:
        written = write_fixed(result, original)
        if written:
            typer.echo(text.fixed_line(result, unsafe_fixes))
        return written

    def skipped(result: FileResult) -> None:
        typer.echo(f"{result.path}: skipped, not written; its findings stay reported")

    def answer() -> interactive.Answer:
        return interactive.ask(sys.stdin, lambda prompt: typer.echo(prompt, nl=False))

    return interactive.review(invocation.stream(), show=show, answer=answer, write=write, skipped=skipped)


@app.command("rules", cls=PanelledCommand)
def list_rules() -> None:
    """List the rules: code, name, fix safety and summary."""
    typer.echo(text.rules_table(RULES))


@app.command(cls=PanelledCommand)
def explain(rule: Annotated[str, typer.Argument(help="A rule code (MP001) or name (missing-main-guard).")]) -> None:
    """Print a rule's documentation page."""
    try:
        spec = lookup(rule)
    except UnknownRuleError as exc:
        _fail(str(exc))
    from ..output.pages import render_rule_page, rule_page  # only this command reads the pages

    found = rule_page(spec.name)
    if found is None:
        _fail(f"the documentation page of {spec.code} {spec.name} is not installed")
    page, snippets = found
    _show_page(render_rule_page(page.read_text(encoding="utf-8"), snippets))


def _show_page(markdown: str) -> None:
    """A page as Markdown text, or on a terminal rendered by rich, in a pager when it is
    longer than the screen."""
    if not (sys.stdout.isatty() or os.environ.get("FORCE_COLOR")):
        typer.echo(markdown, nl=False)
        return
    # Imported here only: rich costs start-up time that no other command needs.
    from rich.console import Console
    from rich.markdown import Markdown

    console = Console(no_color=bool(os.environ.get("NO_COLOR")))
    rendered = Markdown(markdown, code_theme="ansi_dark", hyperlinks=False)
    if markdown.count("\n") < console.height or os.environ.get("TERM") == "dumb":
        console.print(rendered)
        return
    _less_keeps_colours()
    with console.pager(styles=True):
        console.print(rendered)


@app.command(cls=PanelledCommand)
def server() -> None:
    """Run the language server, over stdin and stdout, for editors."""
    try:
        import lsprotocol  # noqa: F401
        import pygls  # noqa: F401
    except ImportError:
        _fail('the language server needs pygls and lsprotocol: pip install "mpfix[lsp]"')
    from ..server.app import serve

    serve()


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
