"""A fix that changes two files: a queue created at import in the module of a process
target, which another module starts. `mpfix fix` creates it in the script and passes it
to the target, in both files at once or in neither."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest
from mpfix.cli import app
from typer.testing import CliRunner

from tests.programs import START_METHODS, run_program

ROOT = Path(__file__).resolve().parent.parent
PROJECT = ROOT / "tests" / "data" / "across-modules"
PAGE = ROOT / "docs" / "across-modules.md"
BEFORE = {name: (PROJECT / "before" / name).read_text(encoding="utf-8") for name in ("main.py", "workers.py")}
AFTER = {name: (PROJECT / "after" / name).read_text(encoding="utf-8") for name in ("main.py", "workers.py")}
FINDING = (
    "workers.py:3:11: MP003 `results` (`mp.Queue()`) is created at module level but reaches `work` through a "
    "global, and `work` runs in a child process that main.py starts on line 6: under spawn and forkserver each "
    "child that imports this module creates its own, which no other process shares"
)
NOT_FIXED = (
    "; not fixed: the children are started in main.py: pass it to `work` as an argument from the code that "
    "starts the process"
)


def mpfix(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, [*args, "--no-cache", "--isolated"])
    return result.exit_code, result.output


def concise(*args: str) -> tuple[int, list[str]]:
    code, output = mpfix(*args, "--output-format", "concise")
    return code, [line for line in output.splitlines() if ": MP" in line]


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The example project, in a folder of its own, which the test runs mpfix in."""
    monkeypatch.chdir(tmp_path)
    shutil.copytree(PROJECT / "before", tmp_path, dirs_exist_ok=True)
    return tmp_path


def files(folder: Path) -> dict[str, str]:
    return {path.name: path.read_text(encoding="utf-8") for path in sorted(folder.glob("*.py"))}


def test_fix_changes_both_files(project: Path) -> None:
    code, output = mpfix("fix", ".")
    assert files(project) == AFTER
    assert output.splitlines() == [
        "main.py: changed by the fix of a finding in workers.py",
        "workers.py: fixed 1 finding (MP003)",
        "Fixed 1 finding in 2 files, 0 remaining.",
    ]
    assert code == 0


def test_a_second_run_changes_nothing(project: Path) -> None:
    mpfix("fix", ".")
    assert mpfix("fix", ".") == (0, "All checks passed!\n")
    assert files(project) == AFTER


def test_check_counts_it_as_fixable(project: Path) -> None:
    assert concise("check", ".") == (1, [FINDING + " [*]"])
    assert mpfix("check", ".")[1].endswith("Found 1 error (1 fixable with `mpfix fix`).\n")
    assert files(project) == BEFORE


def test_diff_shows_both_files_and_writes_nothing(project: Path) -> None:
    code, output = mpfix("diff", ".")
    assert code == 1
    assert [line for line in output.splitlines() if line.startswith(("---", "+++"))] == [
        "--- a/main.py",
        "+++ b/main.py",
        "--- a/workers.py",
        "+++ b/workers.py",
    ]
    assert "+def work(n, results):" in output and "+    results = mp.Queue()" in output
    assert output.endswith("Would fix 1 finding in 2 files.\n")
    assert files(project) == BEFORE


def test_json_lists_the_edits_of_each_file(project: Path) -> None:
    _, output = mpfix("check", ".", "--output-format", "json")
    [finding] = json.loads(output[: output.rindex("]") + 1])
    fix = finding["fix"]
    assert (fix["applicability"], fix["message"]) == (
        "safe",
        "Create `results` under the `__main__` guard of main.py and pass it to `work`",
    )
    assert fix["edits"][0]["content"] == "def work(n, results"
    [other] = fix["other_files"]
    assert other["filename"] == str(project / "main.py")
    assert [edit["content"] for edit in other["edits"]] == [
        "",
        "results = mp.Queue()\n    ps = [mp.Process(target=work, args=(i, results",
    ]


def test_sarif_changes_each_file(project: Path) -> None:
    _, output = mpfix("check", ".", "--output-format", "sarif")
    [result] = json.loads(output[: output.rindex("}") + 1])["runs"][0]["results"]
    [fix] = result["fixes"]
    changed = [change["artifactLocation"]["uri"].rsplit("/", 1)[-1] for change in fix["artifactChanges"]]
    assert changed == ["workers.py", "main.py"]


@pytest.mark.parametrize("method", START_METHODS)
def test_the_fixed_project_gives_the_squares_under_every_start_method(project: Path, method: str) -> None:
    mpfix("fix", ".")
    run = run_program(project / "main.py", method)
    assert (run.stdout, run.returncode) == ("[0, 1, 4]\n", 0), run.stderr


def test_the_comments_of_the_creation_move_with_it(project: Path) -> None:
    workers = BEFORE["workers.py"].replace("results = mp.Queue()", "# one for all\nresults = mp.Queue()  # bounded")
    (project / "workers.py").write_text(workers, encoding="utf-8")
    mpfix("fix", ".")
    made = "    # one for all\n    results = mp.Queue()  # bounded\n"
    assert files(project) == {**AFTER, "main.py": AFTER["main.py"].replace("    results = mp.Queue()\n", made)}


def test_a_target_with_defaults_takes_it_as_a_keyword(project: Path) -> None:
    (project / "workers.py").write_text(BEFORE["workers.py"].replace("work(n)", "work(n, scale=1)"), encoding="utf-8")
    mpfix("fix", ".")
    assert files(project) == {
        "main.py": AFTER["main.py"].replace("args=(i, results)", 'args=(i,), kwargs={"results": results}'),
        "workers.py": AFTER["workers.py"].replace("work(n, results)", "work(n, scale=1, *, results)"),
    }


def test_a_package_run_as_a_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    package = tmp_path / "src" / "app"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "workers.py").write_text(BEFORE["workers.py"], encoding="utf-8")
    (package / "main.py").write_text(BEFORE["main.py"].replace("from workers", "from .workers"), encoding="utf-8")
    assert mpfix("fix", ".")[0] == 0
    assert files(package) == {
        "__init__.py": "",
        "main.py": AFTER["main.py"].replace("from workers", "from .workers"),
        "workers.py": AFTER["workers.py"],
    }


# -- left alone: a use that the fix cannot see or rewrite -------------------------------


def assert_reported_not_fixed(folder: Path, extra: dict[str, str] | None = None, start_line: int = 6) -> None:
    for name, text in (extra or {}).items():
        (folder / name).write_text(text, encoding="utf-8")
    before = files(folder)
    finding = FINDING.replace("on line 6", f"on line {start_line}")
    assert concise("check", ".") == (1, [finding + NOT_FIXED])
    assert mpfix("fix", ".")[0] == 1
    assert files(folder) == before


def test_another_module_that_imports_the_queue(project: Path) -> None:
    stats = "from workers import results\n\n\ndef pending():\n    return results.qsize()\n"
    assert_reported_not_fixed(project, {"stats.py": stats})


def test_another_module_that_imports_the_module(project: Path) -> None:
    stats = "import workers\n\n\ndef pending():\n    return workers.results.qsize()\n"
    assert_reported_not_fixed(project, {"stats.py": stats})


def test_a_module_that_imports_only_other_names_does_not_stop_it(project: Path) -> None:
    (project / "workers.py").write_text(BEFORE["workers.py"] + "\n\nLIMIT = 3\n", encoding="utf-8")
    (project / "other.py").write_text("from workers import LIMIT\n\nprint(LIMIT)\n", encoding="utf-8")
    mpfix("fix", ".")
    assert files(project)["main.py"] == AFTER["main.py"]
    assert files(project)["workers.py"] == AFTER["workers.py"] + "\n\nLIMIT = 3\n"


def test_the_script_reads_the_queue_outside_its_guard(project: Path) -> None:
    main = BEFORE["main.py"].replace(
        '\nif __name__ == "__main__":\n', '\ndef drain():\n    return results.get()\n\n\nif __name__ == "__main__":\n'
    )
    assert_reported_not_fixed(project, {"main.py": main}, start_line=10)


def test_the_script_also_calls_the_target(project: Path) -> None:
    main = BEFORE["main.py"].replace("    for p in ps:\n", "    work(3)\n    for p in ps:\n")
    assert_reported_not_fixed(project, {"main.py": main})


def test_the_module_reads_the_queue_in_another_function(project: Path) -> None:
    workers = BEFORE["workers.py"] + "\n\ndef drain():\n    return results.get()\n"
    assert_reported_not_fixed(project, {"workers.py": workers})


def test_a_start_whose_arguments_cannot_be_extended(project: Path) -> None:
    main = BEFORE["main.py"].replace("args=(i,)", "args=[i] * 1")
    assert_reported_not_fixed(project, {"main.py": main})


def test_a_pool_task_is_left_to_be_fixed_by_hand(project: Path) -> None:
    main = BEFORE["main.py"].replace(
        "    ps = [mp.Process(target=work, args=(i,)) for i in range(3)]\n    for p in ps:\n        p.start()\n",
        "    ps = range(3)\n    with mp.Pool(2) as pool:\n        pool.map(work, ps)\n",
    )
    (project / "main.py").write_text(main, encoding="utf-8")
    code, [line] = concise("check", ".")
    assert (code, line.endswith("through the pool's `initializer=`")) == (1, True)
    assert mpfix("fix", ".")[0] == 1
    assert files(project) == {**BEFORE, "main.py": main}


def test_a_file_named_alone_brings_the_other_only_to_read(project: Path) -> None:
    assert concise("check", "workers.py") == (1, [FINDING + NOT_FIXED])
    assert mpfix("fix", "workers.py")[0] == 1
    assert files(project) == BEFORE


# -- all or nothing ----------------------------------------------------------------------


def test_a_file_that_cannot_be_written_leaves_both_unchanged(project: Path) -> None:
    # workers.py comes second: main.py's new text is on the disk, beside it, when it fails.
    os.chmod(project / "workers.py", 0o444)
    code, output = mpfix("fix", ".")
    assert code == 2
    assert "workers.py: error: read-only file, not written; none of main.py, workers.py written" in output
    assert files(project) == BEFORE
    assert sorted(path.name for path in project.iterdir()) == ["main.py", "workers.py"]


def test_a_rename_that_fails_puts_the_first_file_back(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    replace = os.replace
    calls: list[str] = []

    def second_fails(source: str, target: str) -> None:
        calls.append(target)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        replace(source, target)

    monkeypatch.setattr(os, "replace", second_fails)
    code, output = mpfix("fix", ".")
    assert [Path(target).name for target in calls[:2]] == ["main.py", "workers.py"]
    assert code == 2 and "No space left on device; none of main.py, workers.py written" in output
    assert files(project) == BEFORE
    assert sorted(path.name for path in project.iterdir()) == ["main.py", "workers.py"]


# -- the page ------------------------------------------------------------------------------


def test_the_page_shows_the_project_before_and_after() -> None:
    page = PAGE.read_text(encoding="utf-8")
    blocks = re.findall(r'^    ```python title="([^"]+)"\n(.*?)^    ```$', page, re.DOTALL | re.MULTILINE)
    shown = [(title, re.sub(r"^    ", "", text, flags=re.MULTILINE)) for title, text in blocks]
    assert shown == [
        ("workers.py", BEFORE["workers.py"]),
        ("main.py", BEFORE["main.py"]),
        ("workers.py", AFTER["workers.py"]),
        ("main.py", AFTER["main.py"]),
    ]
    assert f"```text\n{FINDING} [*]\n```" in page


def test_files_named_alone_see_the_importers_beside_them(project: Path) -> None:
    (project / "stats.py").write_text("from workers import results\n\nprint(results.qsize())\n", encoding="utf-8")
    before = files(project)
    assert concise("check", "workers.py", "main.py") == (1, [FINDING + NOT_FIXED])
    assert mpfix("fix", "workers.py", "main.py")[0] == 1
    assert files(project) == before


def test_files_named_alone_are_fixed_together(project: Path) -> None:
    assert mpfix("fix", "workers.py", "main.py")[0] == 0
    assert files(project) == AFTER


def test_a_module_with_fixes_of_its_own_gets_this_one_on_the_next_run(project: Path) -> None:
    # MP001 guards the start first; the next run hands the queue over.
    workers = BEFORE["workers.py"] + "\n\nmp.Process(target=print).start()\n"
    (project / "workers.py").write_text(workers, encoding="utf-8")
    assert mpfix("fix", ".")[0] == 1
    assert files(project)["main.py"] == BEFORE["main.py"]
    mpfix("fix", ".")
    assert files(project)["main.py"] == AFTER["main.py"]


def test_another_module_that_imports_the_queue_from_the_script(project: Path) -> None:
    (project / "report.py").write_text("from main import results\n\nprint(results)\n", encoding="utf-8")
    assert_reported_not_fixed(project)


def test_processes_started_in_a_context_of_their_own(project: Path) -> None:
    main = BEFORE["main.py"].replace("mp.Process(", 'mp.get_context("spawn").Process(')
    assert_reported_not_fixed(project, {"main.py": main})
