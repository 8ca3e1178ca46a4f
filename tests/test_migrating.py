"""The migration page's project: pinned to fork, it is fixed by removing the pin and
running `mpfix fix`, and then prints the same under every start method."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from mpfix.cli import app
from programs import START_METHODS, run_program
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
PROJECT = ROOT / "tests" / "data" / "fork-pinned-project"
PAGE = ROOT / "docs" / "migrating-to-3.14.md"
PIN = (
    "# Python 3.14 made forkserver the default start method on Linux; this puts fork back.\n"
    'mp.set_start_method("fork")\n\n'
)
OUTPUT = "[('a.txt', 9), ('b.txt', 7), ('c.txt', 7)]\n"


def _blocks(language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```$", PAGE.read_text(encoding="utf-8"), re.DOTALL | re.MULTILINE)


def mpfix(*args: str):
    return CliRunner().invoke(app, [*args, "--isolated", "--no-cache"])


@pytest.fixture(scope="module")
def unpinned(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the project without its pin, as a user has it after the page's step 2."""
    folder = tmp_path_factory.mktemp("project")
    shutil.copytree(PROJECT, folder, dirs_exist_ok=True)
    script = folder / "wordcount.py"
    text = script.read_text(encoding="utf-8")
    assert PIN in text
    script.write_text(text.replace(PIN, ""), encoding="utf-8")
    return script


def test_the_page_quotes_the_project() -> None:
    source = (PROJECT / "wordcount.py").read_text(encoding="utf-8")
    for block in _blocks("python"):
        assert block in source, block


def test_the_pinned_project_runs_and_only_its_pin_is_reported() -> None:
    run = run_program(PROJECT / "wordcount.py", "default", timeout=60)
    assert (run.returncode, run.stdout) == (0, OUTPUT), run.stderr
    check = mpfix("check", "--output-format", "concise", str(PROJECT))
    assert [line.split(" ")[1] for line in check.stdout.splitlines()[:-1]] == ["MP001", "MP019"]


def test_without_the_pin_the_unfixed_project_hangs_under_forkserver(unpinned: Path) -> None:
    run = run_program(unpinned, "forkserver", timeout=15)
    assert run.returncode is None and run.stdout == ""


def test_the_page_shows_the_diff_of_the_fix(unpinned: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(unpinned.parent)
    diff = mpfix("diff", "wordcount.py")
    [shown] = _blocks("diff")
    assert diff.stdout == shown


def test_after_the_fix_it_prints_the_same_under_every_start_method(unpinned: Path) -> None:
    fixed = unpinned.with_name("fixed.py")
    shutil.copy(unpinned, fixed)
    assert mpfix("fix", str(fixed)).exit_code == 0
    assert mpfix("check", str(fixed)).exit_code == 0
    assert OUTPUT in _blocks("text")
    for method in ("default", *START_METHODS):
        run = run_program(fixed, method, timeout=60)
        assert (run.returncode, run.stdout) == (0, OUTPUT), (method, run.stderr)
