"""The `mpfix` command as a user sees it: output, exit codes and what happens to files."""

from __future__ import annotations

import io
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import mpfix as package  # `mpfix` is this module's command runner
import pytest
from mpfix.cli import app, commands
from mpfix.output import pages, text
from programs import IMPORT_IN_TASK
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
GUARD = 'if __name__ == "__main__":'

# A script that starts a pool at module level: MP001 reports line 2 and fixes it safely.
UNGUARDED = "import multiprocessing as mp\nwith mp.Pool(2) as p:\n    print(p.map(abs, [-1]))\n"
# Passes the prefilter (it names multiprocessing) but has nothing to report.
LIBRARY = "import multiprocessing as mp\n\n\ndef start(target):\n    return mp.Process(target=target)\n"
UNPARSABLE = "import multiprocessing\ndef broken(:\n"
# Mentions nothing any rule looks for, so the prefilter drops it before parsing.
PLAIN = "print('no processes here')\n"

FINDING = re.compile(r"^(?P<path>\S+):2:\d+: MP001 .+ \[\*\]$", re.MULTILINE)


def mpfix(*args: str, stdin: bytes | None = None):
    return CliRunner().invoke(app, list(args), input=stdin)


def mpfix_process(*args: str, cwd: Path, python_flags: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    """`python -m mpfix ...` in a fresh interpreter, importing this checkout."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run(
        [sys.executable, *python_flags, "-m", "mpfix", *args],
        check=False,
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty folder that is also the working directory, so paths print as given."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# -- check ----------------------------------------------------------------------------


def test_check_exit_codes_clean_finding_unparsable(project: Path) -> None:
    write(project, "library.py", LIBRARY)
    write(project, "script.py", UNGUARDED)
    write(project, "broken.py", UNPARSABLE)

    clean = mpfix("check", "library.py")
    assert (clean.exit_code, clean.stdout) == (0, "All checks passed!\n")

    found = mpfix("check", "script.py")
    assert found.exit_code == 1
    assert [m["path"] for m in FINDING.finditer(found.stdout)] == ["script.py"]
    assert found.stdout.endswith("Found 1 error (1 fixable with `mpfix fix`).\n")

    broken = mpfix("check", "broken.py")
    assert broken.exit_code == 2
    assert re.fullmatch(r"broken\.py:2:\d+: error: cannot parse: .+\n", broken.stderr)


def test_a_bug_of_mpfix_exits_2_with_its_traceback_and_one_line_that_says_so(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write(project, "job.py", "print(1)\n")

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(commands, "run", broken)
    monkeypatch.setattr(sys, "argv", ["mpfix", "check", "--no-cache", "job.py"])
    with pytest.raises(SystemExit) as exit_:
        package.cli.main()
    assert exit_.value.code == 2  # not 1, which means findings
    err = capsys.readouterr().err
    assert "RuntimeError: a bug" in err
    assert err.endswith("mpfix: error: internal error (the traceback above); please report it\n")


def test_an_unparsable_file_costs_one_error_line_and_the_run_goes_on(project: Path) -> None:
    write(project, "a_broken.py", UNPARSABLE)
    write(project, "b_script.py", UNGUARDED)

    result = mpfix("check")

    assert result.exit_code == 2
    assert len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith("a_broken.py:2:")
    assert [m["path"] for m in FINDING.finditer(result.stdout)] == ["b_script.py"]


def test_default_path_is_the_working_directory_and_paths_print_relative(project: Path) -> None:
    write(project, "pkg/script.py", UNGUARDED)

    result = mpfix("check")

    assert [m["path"] for m in FINDING.finditer(result.stdout)] == [os.path.join("pkg", "script.py")]


def test_unsafe_fixes_flag_is_shown_in_the_summary_when_a_fix_needs_it(project: Path) -> None:
    write(project, "task.py", IMPORT_IN_TASK)  # its fix is unsafe
    write(project, "script.py", UNGUARDED)  # its fix is safe

    result = mpfix("check", "--unsafe-fixes", "task.py", "script.py")
    safe_only = mpfix("check", "--unsafe-fixes", "script.py")

    assert result.stdout.endswith("Found 2 errors (2 fixable with `mpfix fix --unsafe-fixes`).\n")
    assert safe_only.stdout.endswith("Found 1 error (1 fixable with `mpfix fix`).\n")


@pytest.mark.parametrize("command", ["check", "diff", "fix"])
@pytest.mark.parametrize("option", ["--select", "--ignore"])
def test_an_unknown_rule_selector_exits_2_and_changes_nothing(project: Path, command: str, option: str) -> None:
    script = write(project, "script.py", UNGUARDED)

    result = mpfix(command, option, "MP001,NOPE42", "script.py")

    assert result.exit_code == 2
    assert "unknown rule selector 'NOPE42'" in result.stderr
    assert script.read_text(encoding="utf-8") == UNGUARDED


def test_select_and_ignore_choose_the_rules(project: Path) -> None:
    write(project, "script.py", UNGUARDED)

    assert mpfix("check", "--select", "missing-main-guard", "script.py").exit_code == 1
    assert mpfix("check", "--select", "MP", "--ignore", "MP001", "script.py").exit_code == 0


# -- fix and diff ---------------------------------------------------------------------


def test_fix_writes_the_fix_and_a_second_run_changes_nothing(project: Path) -> None:
    script = write(project, "script.py", UNGUARDED)

    first = mpfix("fix", "script.py")

    assert first.exit_code == 0
    assert first.stdout == "script.py: fixed 1 finding (MP001)\nFixed 1 finding in 1 file, 0 remaining.\n"
    fixed = script.read_bytes()
    assert GUARD in fixed.decode()

    second = mpfix("fix", "script.py")
    assert second.exit_code == 0
    assert second.stdout == "All checks passed!\n"
    assert script.read_bytes() == fixed
    assert mpfix("check", "script.py").exit_code == 0


def test_fix_exits_1_and_lists_what_it_could_not_fix(project: Path) -> None:
    reported = sorted(DOCS.glob("snippets/*/*.reported.py"))
    if not reported:
        pytest.skip("no docs/snippets/*/*.reported.py case of a finding without a fix yet")
    before = reported[0].read_bytes()
    (project / "reported.py").write_bytes(before)

    result = mpfix("fix", "reported.py")

    assert result.exit_code == 1
    assert re.search(r"^reported\.py:\d+:\d+: MP\d{3} .*[^]]$", result.stdout, re.MULTILINE)
    assert result.stdout.endswith("No fixes applied, 1 remaining.\n")
    assert (project / "reported.py").read_bytes() == before


def test_fix_on_a_folder_fixes_what_it_can_and_reports_the_unparsable(project: Path) -> None:
    script = write(project, "script.py", UNGUARDED)
    broken = write(project, "broken.py", UNPARSABLE)

    result = mpfix("fix")

    assert result.exit_code == 2
    assert result.stderr.startswith("broken.py:2:")
    assert GUARD in script.read_text(encoding="utf-8")
    assert broken.read_text(encoding="utf-8") == UNPARSABLE


def test_diff_shows_the_fix_and_writes_nothing(project: Path) -> None:
    script = write(project, "script.py", UNGUARDED)
    write(project, "library.py", LIBRARY)

    result = mpfix("diff")

    assert result.exit_code == 1
    assert result.stdout.startswith("--- a/script.py\n+++ b/script.py\n@@ ")
    assert f"\n+{GUARD}\n" in result.stdout
    assert "library.py" not in result.stdout
    assert "\033[" not in result.stdout  # no colour when the output is not a terminal
    assert result.stderr == "Would fix 1 finding in 1 file.\n"
    assert script.read_text(encoding="utf-8") == UNGUARDED


def test_diff_exit_codes_clean_and_unparsable(project: Path) -> None:
    write(project, "library.py", LIBRARY)
    write(project, "broken.py", UNPARSABLE)

    clean = mpfix("diff", "library.py")
    assert (clean.exit_code, clean.stdout) == (0, "")
    assert mpfix("diff", "broken.py").exit_code == 2


# -- stdin ----------------------------------------------------------------------------


def test_fix_from_stdin_writes_the_fixed_source_to_stdout(project: Path) -> None:
    result = mpfix("fix", "-", stdin=UNGUARDED.encode())

    assert result.exit_code == 0
    assert GUARD in result.stdout
    assert result.stdout == package.fix_source(UNGUARDED)
    assert list(project.iterdir()) == []


def test_fix_from_stdin_echoes_what_it_cannot_fix(project: Path) -> None:
    plain = mpfix("fix", "-", stdin=PLAIN.encode())
    assert (plain.exit_code, plain.stdout) == (0, PLAIN)

    broken = mpfix("fix", "-", stdin=UNPARSABLE.encode())
    assert (broken.exit_code, broken.stdout) == (2, UNPARSABLE)
    assert broken.stderr.startswith("-:2:")


def test_check_from_stdin_names_it_dash_or_the_given_name(project: Path) -> None:
    unnamed = mpfix("check", "-", stdin=UNGUARDED.encode())
    assert unnamed.exit_code == 1
    assert [m["path"] for m in FINDING.finditer(unnamed.stdout)] == ["-"]

    named = mpfix("check", "--stdin-filename", "pkg/job.py", "-", stdin=UNGUARDED.encode())
    assert [m["path"] for m in FINDING.finditer(named.stdout)] == ["pkg/job.py"]

    assert mpfix("check", "-", stdin=LIBRARY.encode()).exit_code == 0


def test_diff_from_stdin(project: Path) -> None:
    result = mpfix("diff", "-", stdin=UNGUARDED.encode())

    assert result.exit_code == 1
    assert result.stdout.startswith("--- a/-\n+++ b/-\n")


def test_diff_marks_a_last_line_without_newline(project: Path) -> None:
    result = mpfix("diff", "-", stdin=UNGUARDED.rstrip("\n").encode())

    assert "\n-    print(p.map(abs, [-1]))\n\\ No newline at end of file\n" in result.stdout


def test_stdin_cannot_be_mixed_with_paths(project: Path) -> None:
    write(project, "script.py", UNGUARDED)

    result = mpfix("check", "-", "script.py", stdin=b"")

    assert result.exit_code == 2
    assert "stdin" in result.stderr


# -- which files ----------------------------------------------------------------------


def test_ignored_and_excluded_files_are_skipped_unless_named(project: Path) -> None:
    write(project, ".gitignore", "generated/\n")
    write(project, "generated/job.py", UNGUARDED)
    write(project, "build/job.py", UNGUARDED)
    write(project, ".venv/lib/job.py", UNGUARDED)
    write(project, "src/.gitignore", "old_*.py\n")
    write(project, "src/old_job.py", UNGUARDED)
    write(project, "src/job.py", UNGUARDED)
    write(project, "notes.txt", UNGUARDED)

    walked = mpfix("check")
    assert [m["path"] for m in FINDING.finditer(walked.stdout)] == [os.path.join("src", "job.py")]

    named = ["generated/job.py", "build/job.py", "src/old_job.py", "notes.txt"]
    explicit = mpfix("check", *named)
    assert sorted(m["path"] for m in FINDING.finditer(explicit.stdout)) == sorted(
        os.path.normpath(name) for name in named
    )


def test_exclude_adds_patterns_to_skip(project: Path) -> None:
    write(project, "app/job.py", UNGUARDED)
    write(project, "app/generated/job.py", UNGUARDED)

    result = mpfix("check", "--exclude", "generated/,*.pyw", "--exclude", "nothing")

    assert [m["path"] for m in FINDING.finditer(result.stdout)] == [os.path.join("app", "job.py")]


def test_a_missing_path_is_an_error_but_the_rest_is_checked(project: Path) -> None:
    write(project, "script.py", UNGUARDED)

    result = mpfix("check", "missing.py", "script.py")

    assert result.exit_code == 2
    assert result.stderr == "missing.py: error: No such file or directory\n"
    assert [m["path"] for m in FINDING.finditer(result.stdout)] == ["script.py"]


def test_jobs_2_gives_the_same_output_as_jobs_1(project: Path) -> None:
    for number in range(3):
        write(project, f"script{number}.py", UNGUARDED)
        write(project, f"library{number}.py", LIBRARY)
    write(project, "broken.py", UNPARSABLE)
    write(project, "plain.py", PLAIN)

    for command in ("check", "diff"):
        serial = mpfix(command, "--jobs", "1")
        parallel = mpfix(command, "--jobs", "2")
        assert (parallel.exit_code, parallel.stdout, parallel.stderr) == (
            serial.exit_code,
            serial.stdout,
            serial.stderr,
        )
        assert serial.exit_code == 2 and serial.stdout.count("script") >= 3


def test_the_progress_counter_shows_only_for_long_runs_and_is_erased() -> None:
    stream = io.StringIO()
    counter = text.Progress(stream, minimum=3, interval=0)

    counter(1, 2)
    assert stream.getvalue() == ""
    counter(1, 3)
    counter(2, 3)
    counter.close()
    assert stream.getvalue() == "\rmpfix: 1/3 files\rmpfix: 2/3 files\r\033[K"


# -- bytes on disk --------------------------------------------------------------------


def test_crlf_line_endings_survive_a_fix(project: Path) -> None:
    (project / "lf.py").write_bytes(UNGUARDED.encode())
    (project / "crlf.py").write_bytes(UNGUARDED.replace("\n", "\r\n").encode())

    assert mpfix("fix", "lf.py", "crlf.py").exit_code == 0

    fixed_lf = (project / "lf.py").read_bytes()
    assert GUARD.encode() in fixed_lf
    assert (project / "crlf.py").read_bytes() == fixed_lf.replace(b"\n", b"\r\n")


def test_a_latin_1_coding_cookie_is_read_and_written_in_latin_1(project: Path) -> None:
    source = "# -*- coding: latin-1 -*-\n" + UNGUARDED.replace("abs, [-1]", "len, ['café']")
    (project / "script.py").write_bytes(source.encode("latin-1"))

    assert mpfix("fix", "script.py").exit_code == 0

    fixed = (project / "script.py").read_bytes()
    assert b"caf\xe9" in fixed  # é in latin-1, not its two UTF-8 bytes
    assert fixed == package.fix_source(source).encode("latin-1")


def test_a_utf8_byte_order_mark_is_kept(project: Path) -> None:
    bom = b"\xef\xbb\xbf"
    (project / "script.py").write_bytes(bom + UNGUARDED.encode())

    assert mpfix("fix", "script.py").exit_code == 0

    assert (project / "script.py").read_bytes() == bom + package.fix_source(UNGUARDED).encode()


def test_fix_keeps_the_file_mode_and_leaves_no_temporary_file(project: Path) -> None:
    script = write(project, "script.py", UNGUARDED)
    script.chmod(0o751)

    assert mpfix("fix", "script.py").exit_code == 0

    assert GUARD in script.read_text(encoding="utf-8")
    assert stat.S_IMODE(script.stat().st_mode) == 0o751
    assert [path.name for path in project.iterdir()] == ["script.py"]


# -- rules, explain, version ----------------------------------------------------------


def test_rules_lists_every_rule_with_its_fix_safety() -> None:
    result = mpfix("rules")

    assert result.exit_code == 0
    assert re.search(r"^MP001\s+missing-main-guard\s+safe\s+\S", result.stdout, re.MULTILINE)


@pytest.mark.parametrize("rule", ["MP001", "missing-main-guard", "mp001"])
def test_explain_prints_the_rule_page_with_its_snippets_inlined(rule: str) -> None:
    page = DOCS / "rules" / "missing-main-guard.md"
    if not page.is_file():
        pytest.skip("docs/rules/missing-main-guard.md is not written yet")

    result = mpfix("explain", rule)

    assert result.exit_code == 0
    assert "--8<--" not in result.stdout
    assert '=== "' not in result.stdout
    first_heading = next(line for line in page.read_text(encoding="utf-8").splitlines() if line.startswith("#"))
    assert first_heading in result.stdout
    included = re.findall(r'--8<--\s+"([^"]+)"', page.read_text(encoding="utf-8"))
    for include in included:
        snippet = DOCS / "snippets" / include.removeprefix("docs/").removeprefix("snippets/")
        first_line = snippet.read_text(encoding="utf-8").splitlines()[0]
        assert first_line in result.stdout


def test_explain_inlines_snippets_turns_tabs_into_headings_and_own_links_into_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, "snippets/rule/case.before.py", "print('before')\n")
    write(tmp_path, "snippets/rule/case.after.py", "print('after')\n")
    page = write(
        tmp_path,
        "rules/rule.md",
        '## Fix\n\n=== "Before"\n\n    ```python\n    --8<-- "rule/case.before.py"\n    ```\n\n'
        '=== "After"\n\n    ```python\n    --8<-- "docs/snippets/rule/case.after.py"\n    ```\n\n'
        "Done, as [Fix](#fix) says.\n",
    )
    monkeypatch.setattr(pages, "rule_page", lambda name: (page, tmp_path / "snippets"))

    result = mpfix("explain", "MP001")

    assert result.stdout == (
        "## Fix\n\n### Before\n\n```python\nprint('before')\n```\n\n"
        "### After\n\n```python\nprint('after')\n```\n\nDone, as Fix says.\n"
    )


def test_explain_turns_a_collapsed_block_into_a_section_and_its_tabs_into_subsections(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, "snippets/rule/case.unchanged.py", "print('alone')\n")
    page = write(
        tmp_path,
        "rules/rule.md",
        '## Fix\n\nMoved.\n\n??? note "Edge cases"\n\n    Left alone:\n\n'
        '    === "Alone"\n\n        ```python\n        --8<-- "rule/case.unchanged.py"\n        ```\n',
    )
    monkeypatch.setattr(pages, "rule_page", lambda name: (page, tmp_path / "snippets"))

    result = mpfix("explain", "MP001")

    assert result.stdout == (
        "## Fix\n\nMoved.\n\n### Edge cases\n\nLeft alone:\n\n#### Alone\n\n```python\nprint('alone')\n```\n"
    )


def test_explain_turns_a_collapsed_block_and_its_tabs_into_headings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, "snippets/rule/kept.unchanged.py", "print('kept')\n")
    page = write(
        tmp_path,
        "rules/rule.md",
        '## Fix\n\nFixed.\n\n??? note "Edge cases"\n\n    Left alone:\n\n    === "Kept"\n\n'
        '        ```python\n        --8<-- "rule/kept.unchanged.py"\n        ```\n\n## See also\n',
    )
    monkeypatch.setattr(pages, "rule_page", lambda name: (page, tmp_path / "snippets"))

    result = mpfix("explain", "MP001")

    assert result.stdout == (
        "## Fix\n\nFixed.\n\n### Edge cases\n\nLeft alone:\n\n#### Kept\n\n"
        "```python\nprint('kept')\n```\n\n## See also\n"
    )


def test_explain_an_unknown_rule_exits_2() -> None:
    result = mpfix("explain", "MP999")

    assert result.exit_code == 2
    assert "unknown rule 'MP999'" in result.stderr


def test_version_is_the_installed_distributions() -> None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        expected = version("mpfix")
    except PackageNotFoundError:
        pytest.skip("mpfix is not installed (pip install -e .)")
    result = mpfix("--version")
    assert (result.exit_code, result.stdout) == (0, f"mpfix {expected}\n")


# -- a real process: python -m mpfix -----------------------------------------------


def test_python_m_mpfix_fixes_a_folder_with_worker_processes(tmp_path: Path) -> None:
    for number in range(4):
        write(tmp_path, f"script{number}.py", UNGUARDED)

    result = mpfix_process("fix", "--jobs", "2", "--no-progress", ".", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert result.stdout.endswith("Fixed 4 findings in 4 files, 0 remaining.\n")
    assert all(GUARD in path.read_text(encoding="utf-8") for path in tmp_path.glob("*.py"))


def test_files_that_fail_the_prefilter_are_never_parsed(tmp_path: Path) -> None:
    # Broken syntax, but it names nothing a rule looks for: no parse, no error, no libcst.
    write(tmp_path, "plain.py", PLAIN + "def broken(:\n")
    write(tmp_path, "script.py", UNGUARDED)

    skipped = mpfix_process("check", "--jobs", "1", "plain.py", cwd=tmp_path, python_flags=("-X", "importtime"))
    assert skipped.returncode == 0, skipped.stderr
    assert "libcst" not in skipped.stderr
    # Nor the workers' process machinery, the result cache's version look-up or the SARIF
    # writer: a run over clean files starts quickly.
    for module in ("mpfix.run.workers", "concurrent.futures", "importlib.metadata", "mpfix.output.sarif"):
        assert f" {module}\n" not in skipped.stderr, module

    # The control: a file that passes the prefilter does load libcst, and the workers.
    parsed = mpfix_process("check", "--jobs", "1", "script.py", cwd=tmp_path, python_flags=("-X", "importtime"))
    assert parsed.returncode == 1
    assert "libcst" in parsed.stderr
    assert " mpfix.run.workers\n" in parsed.stderr


def test_importing_the_cli_or_the_package_does_not_import_libcst() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    imported = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import mpfix, mpfix.cli"],
        check=False,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert "mpfix.cli" in imported.stderr
    assert "libcst" not in imported.stderr

    # The public API is there all the same, loaded on first use.
    use = "import mpfix; print(mpfix.RULES[0].code, mpfix.Safety.SAFE, mpfix.analyze.__name__)"
    used = subprocess.run([sys.executable, "-c", use], check=False, capture_output=True, text=True, env=env, timeout=60)
    assert used.stdout == "MP001 safe analyze\n", used.stderr
    for name in package.__all__:
        assert getattr(package, name) is not None


# -- exit codes -----------------------------------------------------------------------


def test_exit_zero_reports_findings_and_exits_0_but_errors_still_exit_2(project: Path) -> None:
    write(project, "script.py", UNGUARDED)

    found = mpfix("check", "--exit-zero", "script.py")
    assert found.exit_code == 0
    assert [m["path"] for m in FINDING.finditer(found.stdout)] == ["script.py"]
    assert mpfix("diff", "--exit-zero", "script.py").exit_code == 0

    write(project, "broken.py", UNPARSABLE)
    assert mpfix("check", "--exit-zero", "script.py", "broken.py").exit_code == 2


def test_exit_non_zero_on_fix_exits_1_when_a_fix_was_written(project: Path) -> None:
    write(project, "script.py", UNGUARDED)

    fixed = mpfix("fix", "--exit-non-zero-on-fix", "script.py")
    assert fixed.exit_code == 1
    assert fixed.stdout.endswith("Fixed 1 finding in 1 file, 0 remaining.\n")

    nothing_left = mpfix("fix", "--exit-non-zero-on-fix", "script.py")
    assert nothing_left.exit_code == 0

    piped = mpfix("fix", "--exit-non-zero-on-fix", "-", stdin=UNGUARDED.encode())
    assert (piped.exit_code, piped.stdout) == (1, package.fix_source(UNGUARDED))


def test_exit_zero_and_exit_non_zero_on_fix_contradict_each_other(project: Path) -> None:
    script = write(project, "script.py", UNGUARDED)

    result = mpfix("fix", "--exit-zero", "--exit-non-zero-on-fix", "script.py")

    assert result.exit_code == 2
    assert result.stderr == "mpfix: error: --exit-zero and --exit-non-zero-on-fix cannot be used together\n"
    assert script.read_text(encoding="utf-8") == UNGUARDED


def test_fix_cannot_write_a_diff(project: Path) -> None:
    result = mpfix("fix", "--output-format", "diff", ".")

    assert result.exit_code == 2
    assert "use `mpfix diff`" in result.stderr


# -- the library API ------------------------------------------------------------------


def test_the_library_api_checks_and_fixes_text_and_honours_suppressions() -> None:
    [finding] = package.check_source(UNGUARDED, select=["MP001"])
    assert (finding.code, finding.line, finding.column, finding.fix) == ("MP001", 2, 6, package.Safety.SAFE)

    suppressed = UNGUARDED.replace("as p:", "as p:  # mpfix: ignore[MP001]")
    assert package.check_source(suppressed, select=["MP001"]) == []
    assert package.fix_source(suppressed, select=["MP001"]) == suppressed
    assert [f.code for f in package.check_source(suppressed, select=["MP001"], report_unused_suppressions=True)] == []

    edits = package.fix_edits(UNGUARDED, select=["MP001"])
    assert package.apply_edits(UNGUARDED, edits) == package.fix_source(UNGUARDED, select=["MP001"])
    assert package.fix_edits(LIBRARY) == []

    with pytest.raises(package.SourceError):
        package.check_source(UNPARSABLE)
    with pytest.raises(package.UnknownRuleError):
        package.check_source(UNGUARDED, select=["NOPE42"])


def test_the_examples_of_the_api_page_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    page = (DOCS / "api.md").read_text(encoding="utf-8")
    examples = re.findall(r"```python\n(.*?)```", page, re.DOTALL)
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "job.py", UNGUARDED)  # the file the examples read

    namespace: dict = {}
    for example in examples:
        exec(compile(example, "docs/api.md", "exec"), namespace)  # the page's own examples

    assert len(examples) >= 3 and namespace["fixed"] == package.fix_source(UNGUARDED, select=["MP001"])
