"""`mpfix fix --interactive`: each file's fix is shown, and written only when the user says so.

The answers come from stdin, a line each, as from a pipe: y (write it), n (skip it),
a (write it and all that follow), q (write nothing more). The end of input means quit.
"""

from __future__ import annotations

from pathlib import Path

import mpfix
import pytest
from mpfix.cli import app
from mpfix.cli.interactive import HELP, PROMPT
from typer.testing import CliRunner

UNGUARDED = "import multiprocessing as mp\nwith mp.Pool(2) as p:\n    print(p.map(abs, [-1]))\n"
FIXED = mpfix.fix_source(UNGUARDED, select=["MP001"])
NAMES = ["a.py", "b.py", "c.py"]


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Three scripts with the same fixable finding, and a library with none."""
    monkeypatch.chdir(tmp_path)
    for name in NAMES:
        (tmp_path / name).write_text(UNGUARDED, encoding="utf-8")
    (tmp_path / "library.py").write_text("import multiprocessing\n", encoding="utf-8")
    return tmp_path


def review(answers: str, *args: str):
    return CliRunner().invoke(app, ["fix", "--interactive", "--select", "MP001", *args], input=answers)


def contents(project: Path) -> list[str]:
    return ["fixed" if (project / name).read_text(encoding="utf-8") == FIXED else "as is" for name in NAMES]


def test_each_fix_is_shown_as_a_diff_and_written_only_on_yes(project: Path) -> None:
    result = review("y\nn\ny\n")

    assert contents(project) == ["fixed", "as is", "fixed"]
    assert result.exit_code == 1  # the skipped fix leaves its finding
    assert result.stdout.count(PROMPT) == 3
    first = result.stdout.split(PROMPT)[0]
    assert first.startswith(
        "a.py: a fix for 1 finding (MP001)\n"
        '  2:6: MP001 `mp.Pool()` starts processes at module level, outside `if __name__ == "__main__":`\n'
        "--- a/a.py\n+++ b/a.py\n@@ "
    )
    assert '\n+if __name__ == "__main__":\n' in first
    assert "\033[" not in first  # no colour when the output is not a terminal
    # What was skipped is said at once, and stays reported, as a finding, after the review.
    assert "\nb.py: skipped, not written; its findings stay reported\n" in result.stdout
    assert "\nb.py:2:6: MP001 " in result.stdout
    assert "a.py: fixed 1 finding (MP001)\n" in result.stdout
    assert result.stdout.endswith("Fixed 2 findings in 2 files, 1 remaining.\n")


def test_all_writes_this_fix_and_every_later_one_without_asking(project: Path) -> None:
    result = review("n\na\n")

    assert contents(project) == ["as is", "fixed", "fixed"]
    assert result.stdout.count(PROMPT) == 2
    assert result.stdout.endswith("Fixed 2 findings in 2 files, 1 remaining.\n")


def test_quit_writes_nothing_more_and_reports_the_rest(project: Path) -> None:
    result = review("y\nq\n")

    assert contents(project) == ["fixed", "as is", "as is"]
    assert result.stdout.count(PROMPT) == 2
    assert result.exit_code == 1
    # The files left unasked are summed up in a line, not listed finding by finding.
    assert result.stdout.endswith(
        "Quit: the fixes of 2 files (2 findings) were not shown and not written; "
        "`mpfix fix --interactive` asks again.\n"
        "Fixed 1 finding in 1 file, 2 remaining.\n"
    )
    assert ": MP001 " not in result.stdout.split(PROMPT)[-1]


@pytest.mark.parametrize("answers", ["", "y\n"])
def test_the_end_of_input_means_quit(project: Path, answers: str) -> None:
    # Not a terminal, and nothing (more) to read: nothing more is written, nothing is asked again.
    result = review(answers)

    assert contents(project) == ["fixed" if answers else "as is", "as is", "as is"]
    assert result.stdout.count(PROMPT) == len(answers) // 2 + 1
    assert result.exit_code == 1


def test_an_unknown_answer_is_asked_again_with_help(project: Path) -> None:
    result = review("maybe\nyes\nn\nn\n")

    assert contents(project) == ["fixed", "as is", "as is"]
    assert result.stdout.count(PROMPT) == 4
    assert f"{PROMPT}m\n{HELP}\n{PROMPT}y\n" in result.stdout


def test_files_analysed_in_worker_processes_are_reviewed_in_path_order(project: Path) -> None:
    result = review("n\ny\nn\n", "--jobs", "2")

    assert contents(project) == ["as is", "fixed", "as is"]
    assert [line.split(":")[0] for line in result.stdout.splitlines() if ": a fix for " in line] == NAMES


def test_a_review_of_a_folder_without_python_files_warns_as_a_fix_run_does(project: Path) -> None:
    (project / "notes").mkdir()
    result = review("", "notes")

    assert (result.exit_code, result.stdout) == (0, "All checks passed!\n")
    assert result.stderr == "mpfix: warning: no Python files found under the given paths\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("-",), "--interactive reads its answers from stdin, so it cannot fix source read from stdin"),
        (("--output-format", "json", "."), "--interactive talks to a person: it cannot write json"),
    ],
)
def test_interactive_needs_a_person_on_stdin_and_stdout(project: Path, args: tuple[str, ...], message: str) -> None:
    result = review("y\n", *args)

    assert result.exit_code == 2
    assert result.stderr == f"mpfix: error: {message}\n"
    assert contents(project) == ["as is"] * 3


@pytest.mark.skipif(__import__("sys").platform == "win32", reason="pseudo-terminals are POSIX")
def test_a_diff_longer_than_the_screen_is_paged_and_the_file_named_again_above_the_question(project: Path) -> None:
    import os
    import pty
    import select
    import subprocess
    import sys

    long_script = "import multiprocessing as mp\n" + "".join(f"X{n} = {n}\n" for n in range(60))
    long_script += "with mp.Pool(2) as p:\n    print(p.map(abs, [-1]))\n" + "".join(f"Y{n} = {n}\n" for n in range(60))
    (project / "a.py").write_text(long_script, encoding="utf-8")
    leader, follower = pty.openpty()
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": str(root), "PAGER": "cat", "LINES": "24", "COLUMNS": "80", "TERM": "xterm"}
    process = subprocess.Popen(
        [sys.executable, "-m", "mpfix", "fix", "-i", "--no-cache", "--select", "MP001", "a.py"],
        cwd=project, env=env, stdin=follower, stdout=follower, stderr=follower,
    )  # fmt: skip
    os.close(follower)
    output = b""
    while PROMPT.encode() not in output:
        output += os.read(leader, 65536)
    # A key pressed before the terminal is in raw mode is dropped by the switch: press it
    # until it is heard (there is one question, so a second press goes nowhere).
    while b"skipped" not in output:
        os.write(leader, b"n")
        if select.select([leader], [], [], 0.5)[0]:
            try:
                output += os.read(leader, 65536)
            except OSError:
                break
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        output += chunk
    os.close(leader)
    process.wait(timeout=60)
    shown = output.decode().replace("\r\n", "\n")
    before_prompt = shown.split(PROMPT)[0]
    assert "--- a/a.py" in before_prompt
    assert before_prompt.rstrip("\n").endswith("a.py: a fix for 1 finding (MP001)")
    assert "a.py: skipped, not written; its findings stay reported" in shown
    assert contents(project)[0] == "as is"
