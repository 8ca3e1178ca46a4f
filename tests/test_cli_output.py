"""What `mpfix` prints, as a user reads it: counts that agree between commands, the text
output's layout, colour on a terminal."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from mpfix.cli import app
from mpfix.engine import LATER_FIX, Result
from mpfix.model import FileResult, Finding, Safety
from mpfix.output import text
from mpfix.registry import RULES
from mpfix.run.pipeline import run
from mpfix.run.request import Options, Request
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent


def mpfix(*args: str):
    return CliRunner().invoke(app, list(args))


@pytest.fixture
def examples(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the examples folder, as the working directory."""
    copy = tmp_path / "examples"
    shutil.copytree(ROOT / "examples", copy)
    monkeypatch.chdir(copy)
    return copy


# -- check predicts fix --------------------------------------------------------------------


def _numbers(pattern: str, line: str) -> tuple[int, ...]:
    match = re.fullmatch(pattern, line)
    assert match, line
    return tuple(int(number) for number in match.groups())


def test_check_diff_and_fix_agree_on_the_examples(examples: Path) -> None:
    checked = mpfix("check", "--output-format", "concise", ".")
    summary = checked.stdout.splitlines()[-1]
    errors, fixable = _numbers(r"Found (\d+) errors \((\d+) fixable with `mpfix fix`\)\.", summary)
    marked = [line for line in checked.stdout.splitlines() if line.endswith("[*]")]
    assert len(marked) == fixable

    diffed = mpfix("diff", ".")
    would_fix, files = _numbers(r"Would fix (\d+) findings in (\d+) files\.", diffed.stderr.splitlines()[-1])

    fixed = mpfix("fix", ".")
    summary = fixed.stdout.splitlines()[-1]
    done, written, remaining = _numbers(r"Fixed (\d+) findings in (\d+) files, (\d+) remaining\.", summary)
    per_file = sum(int(n) for n in re.findall(r"^\S+: fixed (\d+) findings?", fixed.stdout, re.MULTILINE))

    assert (would_fix, done, per_file) == (fixable, fixable, fixable)
    assert written == files
    assert remaining == errors - fixable
    assert mpfix("check", ".").stdout.splitlines()[-1] == f"Found {remaining} errors."


def test_a_finding_that_a_later_round_fixes_is_fixable_in_check(examples: Path) -> None:
    """log_collector.py: MP001 cannot move the Process under the guard while MP003's queue
    stays at module level; once MP003 is fixed, MP001's fix applies."""
    checked = mpfix("check", "log_collector.py")
    assert "log_collector.py:28:12: MP001 " in checked.stdout
    assert "not fixed" not in checked.stdout
    assert f"= fix: {LATER_FIX}" in checked.stdout
    assert checked.stdout.splitlines()[-1] == "Found 2 errors (2 fixable with `mpfix fix`)."
    assert mpfix("fix", "log_collector.py").stdout.splitlines()[-1] == "Fixed 2 findings in 1 file, 0 remaining."


def _finding(code: str, line: int, fix: Safety = Safety.NONE, note: str | None = None) -> Finding:
    finding = Finding(code, "rule", "a problem", line, 1, line, 6, fix, "Fix it" if fix is not Safety.NONE else None)
    return finding.noted(note) if note else finding


def test_a_finding_that_stays_keeps_its_reason_and_a_new_one_is_counted_as_revealed() -> None:
    source = "alpha\nbeta\ngamma\n"
    fixed = "alpha\nGAMMA\nbeta\ngamma\n"
    stays = _finding("MP008", 2, note="not fixed: why")
    result = Result(
        source=source,
        findings=[_finding("MP001", 1, Safety.SAFE), stays],
        fixed=fixed,
        applied=[_finding("MP001", 1, Safety.SAFE)],
        remaining=[_finding("MP013", 2), _finding("MP008", 3, note="not fixed: why")],
    )
    assert result.settled(unsafe_fixes=False) == result.findings
    assert stays.heading == "a problem" and stays.message == "a problem; not fixed: why"
    file = FileResult("m.py", findings=result.findings, remaining=result.remaining, fixed=fixed, source=source)
    assert file.revealed(unsafe_fixes=False) == 1
    assert text.check_summary([file], unsafe_fixes=False) == (
        "Found 2 errors (1 fixable with `mpfix fix`, which then finds 1 more)."
    )
    assert text.diff_summary([file], unsafe_fixes=False) == "Would fix 1 finding in 1 file, which then finds 1 more."


def test_of_two_findings_of_a_rule_the_one_whose_code_remains_stays() -> None:
    source = "alpha\nbeta\n"
    first, second = _finding("MP008", 1, note="not fixed: why"), _finding("MP008", 2, note="not fixed: why")
    result = Result(
        source=source,
        findings=[first, second],
        fixed="beta\n",
        applied=[_finding("MP001", 1, Safety.SAFE)],
        remaining=[_finding("MP008", 1, note="not fixed: why")],
    )
    settled = result.settled(unsafe_fixes=False)
    assert settled[1] == second
    assert (settled[0].fix, settled[0].fix_title, settled[0].message) == (Safety.SAFE, LATER_FIX, "a problem")


# -- the text format, coloured on a terminal ------------------------------------------------

UNGUARDED = "import multiprocessing as mp\nwith mp.Pool(2) as p:\n    print(p.map(abs, [-1]))\n"
BOLD, RED, CYAN, BLUE_BOLD, RESET = "\033[1m", "\033[31m", "\033[36m", "\033[1m\033[34m", "\033[0m"


def _environment(**changes: str | None) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TERM": "xterm"}
    for name in ("NO_COLOR", "FORCE_COLOR"):
        env.pop(name, None)
    env.update({name: value for name, value in changes.items() if value is not None})
    return env


def on_a_terminal(*args: str, cwd: Path, **env: str) -> str:
    """What `python -m mpfix ARGS` writes to a pseudo-terminal."""
    import pty  # POSIX only

    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "mpfix", *args], cwd=cwd, env=_environment(**env), stdout=follower, stderr=follower
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal closed: the process is done
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    process.wait(timeout=120)
    return b"".join(chunks).decode().replace("\r\n", "\n")


def in_a_pipe(*args: str, cwd: Path, **env: str) -> str:
    run = subprocess.run(
        [sys.executable, "-m", "mpfix", *args], cwd=cwd, env=_environment(**env), capture_output=True, text=True
    )
    return run.stdout


@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")
def test_a_terminal_gets_colour_unless_no_color_and_a_pipe_only_with_force_color(tmp_path: Path) -> None:
    (tmp_path / "script.py").write_text(UNGUARDED, encoding="utf-8")
    coloured = on_a_terminal("check", "--no-cache", "script.py", cwd=tmp_path)
    heading = coloured.splitlines()[0]
    assert heading.startswith(f"{BOLD}script.py{RESET}:2:6: {BOLD}{RED}MP001{RESET} `mp.Pool()` starts processes")
    assert heading.endswith(f" {CYAN}[*]{RESET}")
    assert f"{BLUE_BOLD}2 |{RESET} with mp.Pool(2) as p:" in coloured
    assert f"{BLUE_BOLD}  |{RESET}      {BOLD}{RED}^^^^^^^^^^ MP001{RESET}" in coloured
    assert f"{BLUE_BOLD}={RESET} {BOLD}{CYAN}fix:{RESET} Move the script part" in coloured

    plain = on_a_terminal("check", "--no-cache", "script.py", cwd=tmp_path, NO_COLOR="1")
    assert "\033[" not in plain and plain.startswith("script.py:2:6: MP001 ")
    assert "\033[" not in in_a_pipe("check", "--no-cache", "script.py", cwd=tmp_path)
    forced = in_a_pipe("check", "--no-cache", "script.py", cwd=tmp_path, FORCE_COLOR="1")
    assert forced.splitlines()[0] == heading
    assert "\033[" not in in_a_pipe("check", "script.py", cwd=tmp_path, FORCE_COLOR="1", NO_COLOR="1")


# -- a run over nothing --------------------------------------------------------------------


@pytest.mark.parametrize("command", ["check", "diff", "fix"])
def test_a_folder_without_python_files_is_a_warning_not_a_pass(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    (tmp_path / "notes.txt").write_text("multiprocessing\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = mpfix(command, ".")
    assert result.exit_code == 0
    assert result.stderr.startswith("mpfix: warning: no Python files found under the given paths\n")


def test_a_folder_with_python_files_gives_no_warning(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "plain.py").write_text("print('hello')\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = mpfix("check", ".")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "All checks passed!\n", "")


# -- progress --------------------------------------------------------------------------------


def test_progress_counts_every_file_from_discovery_on(tmp_path: Path) -> None:
    """Most files never reach the analysis (the prefilter drops them): they count too, as
    soon as they are found, so a long read of a large tree shows a moving counter."""
    for number in range(50):
        (tmp_path / f"plain{number:02}.py").write_text("print('no processes here')\n", encoding="utf-8")
    (tmp_path / "script.py").write_text(UNGUARDED, encoding="utf-8")
    (tmp_path / "zz_script.py").write_text(UNGUARDED, encoding="utf-8")
    calls: list[tuple[int, int]] = []
    options = Options(rules=RULES)

    run(Request([str(tmp_path)], options, jobs=1, progress=lambda done, total: calls.append((done, total))))

    found = [total for _, total in calls]
    assert found[:3] == [1, 2, 3] and found == sorted(found)  # from the first file found
    assert calls[-3:] == [(50, 52), (51, 52), (52, 52)]  # then the two analysed
    assert all(done <= total for done, total in calls)


def test_the_counter_is_drawn_at_most_every_interval_and_always_at_the_end() -> None:
    stream = io.StringIO()
    counter = text.Progress(stream, minimum=3, interval=3600)
    for done in range(1, 6):
        counter(done, 5)
    counter.close()
    assert stream.getvalue() == "\rmpfix: 1/5 files\rmpfix: 5/5 files\r\033[K"


@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")
def test_a_terminal_sees_the_counter_and_a_pipe_does_not(tmp_path: Path) -> None:
    for number in range(60):
        (tmp_path / f"plain{number:02}.py").write_text("print('no processes here')\n", encoding="utf-8")
    on_terminal = on_a_terminal("check", "--no-cache", ".", cwd=tmp_path)
    assert "\rmpfix: 60/60 files" in on_terminal
    assert on_terminal.endswith("\r\033[KAll checks passed!\n")
    assert "mpfix:" not in in_a_pipe("check", "--no-cache", ".", cwd=tmp_path)


# -- did you mean ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["check", "--select", "missing-main-gaurd", "."], "--select: unknown rule selector 'missing-main-gaurd'"
         " (did you mean missing-main-guard (MP001)?)"),
        (["check", "--ignore", "serial", "."], "--ignore: unknown rule selector 'serial'"
         " (did you mean serial-result-wait (MP002)?)"),
        (["explain", "serial"], "unknown rule 'serial' (did you mean serial-result-wait (MP002)?)"),
        (["explain", "unpiclable-task"], "unknown rule 'unpiclable-task' (did you mean unpicklable-task (MP009)?)"),
        (["explain", "xyzzy"], "unknown rule 'xyzzy'"),  # nothing close: no guess
    ],
)
def test_an_unknown_rule_gets_a_suggestion_when_one_is_close(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], error: str
) -> None:
    monkeypatch.chdir(tmp_path)
    result = mpfix(*args)
    assert (result.exit_code, result.stderr) == (2, f"mpfix: error: {error}\n")


def test_a_misspelt_rule_in_the_configuration_gets_a_suggestion(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.mpfix]\nignore = ["pool-not-close"]\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = mpfix("check", ".")
    assert result.exit_code == 2
    assert "unknown rule selector 'pool-not-close' (did you mean pool-not-closed (MP011)?)" in result.stderr


# -- help ------------------------------------------------------------------------------------


def _option_names() -> list[str]:
    import typer.main

    group = typer.main.get_command(app)
    names = []
    for command in group.commands.values():  # type: ignore[attr-defined]
        for param in command.params:
            names += [name for name in [*param.opts, *param.secondary_opts] if name.startswith("--")]
    return sorted(set(names))


@pytest.mark.parametrize("width", [60, 80, 100])
@pytest.mark.parametrize("command", [[], ["check"], ["diff"], ["fix"], ["rules"], ["explain"]])
def test_help_never_cuts_an_option_name_or_a_summary(command: list[str], width: int) -> None:
    result = CliRunner().invoke(app, [*command, "--help"], prog_name="mpfix", terminal_width=width)
    assert result.exit_code == 0
    # Only the usage line's repeated arguments end in dots, never a cut name or summary.
    without_metavars = re.sub(r"\[?(paths|ARGS)\]?\.\.\.|build,\s+\.\.\.", "", result.stdout)
    assert "…" not in result.stdout and "..." not in without_metavars
    assert max(map(len, result.stdout.splitlines())) <= max(width, 80)
    if command and command[0] in ("check", "diff", "fix"):
        shown = set(re.findall(r"--[a-z-]+", result.stdout))
        assert {"--select", "--report-unused-suppressions", "--no-report-unused-suppressions"} <= shown
        for panel in ("Rules:", "Files:", "Configuration:", "Output:"):
            assert f"\n{panel}\n" in result.stdout


def test_every_option_is_in_some_commands_help() -> None:
    shown: set[str] = set()
    for command in ("check", "diff", "fix", "rules", "explain"):
        shown |= set(re.findall(r"--[a-z-]+", CliRunner().invoke(app, [command, "--help"], terminal_width=80).stdout))
    assert set(_option_names()) <= shown


# -- quiet and silent --------------------------------------------------------------------------


@pytest.fixture
def two_scripts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """script.py: a fixable finding; broken.py: does not parse."""
    (tmp_path / "script.py").write_text(UNGUARDED, encoding="utf-8")
    (tmp_path / "broken.py").write_text("import multiprocessing\ndef broken(:\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_quiet_prints_the_findings_and_errors_alone(two_scripts: Path) -> None:
    loud = mpfix("check", "--output-format", "concise", ".")
    quiet = mpfix("check", "-q", "--output-format", "concise", ".")
    assert quiet.exit_code == loud.exit_code == 2
    summary = "Found 1 error (1 fixable with `mpfix fix`). 1 file could not be processed.\n"
    assert loud.stdout.endswith(summary) and quiet.stdout == loud.stdout.removesuffix(summary)
    assert quiet.stdout.startswith("script.py:2:6: MP001 ") and quiet.stdout.count("\n") == 1
    assert quiet.stderr == "broken.py:2:12: error: cannot parse: invalid syntax\n"

    diffed = mpfix("diff", "--quiet", "script.py")
    assert (diffed.exit_code, diffed.stderr) == (1, "")
    assert diffed.stdout.startswith("--- a/script.py\n")

    fixed = mpfix("fix", "--quiet", "script.py")
    assert (fixed.exit_code, fixed.stdout, fixed.stderr) == (0, "", "")
    assert 'if __name__ == "__main__":' in (two_scripts / "script.py").read_text(encoding="utf-8")


def test_silent_prints_nothing_and_the_exit_code_tells(two_scripts: Path) -> None:
    for command in ("check", "diff", "fix"):
        result = mpfix(command, "-s", ".")
        assert (result.exit_code, result.stdout, result.stderr) == (2, "", ""), command
    assert mpfix("check", "--silent", "script.py").exit_code == 0  # fixed by the run above


def test_an_empty_fix_run_says_all_checks_passed_and_diff_says_nothing_to_apply(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "plain.py").write_text("print('hello')\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert mpfix("fix", ".").stdout == "All checks passed!\n"
    assert mpfix("diff", ".").stderr == "No fixes to apply.\n"


# -- explain -----------------------------------------------------------------------------------


def test_explain_turns_links_into_text_and_addresses() -> None:
    page = mpfix("explain", "MP001").stdout
    assert "](" not in page.replace("`](", "")
    assert "Why multiprocessing code breaks (https://mpfix.readthedocs.io/en/latest/why-spawn/)" in page


@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")
def test_explain_on_a_terminal_is_rendered_markdown_through_a_pager(tmp_path: Path) -> None:
    shown = on_a_terminal("explain", "MP001", cwd=tmp_path, PAGER="cat")
    assert "\033[" in shown  # styled
    assert "# missing-main-guard" not in shown and "missing-main-guard (MP001)" in shown  # no Markdown marks
    assert "--8<--" not in shown and "```" not in shown
    piped = in_a_pipe("explain", "MP001", cwd=tmp_path)
    assert piped.startswith("# missing-main-guard (MP001)\n") and "\033[" not in piped


def test_the_cli_starts_without_rich() -> None:
    code = "import sys, mpfix.cli; print(sorted(m for m in sys.modules if m.split('.')[0] == 'rich'))"
    run = subprocess.run([sys.executable, "-c", code], env=_environment(), capture_output=True, text=True)
    assert run.stdout == "[]\n", run.stderr
