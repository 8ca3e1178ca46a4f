"""`[tool.mpfix]` in pyproject.toml, and the options that override it, as a user sees them."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from mpfix.cli import app
from mpfix.registry import RULES
from programs import IMPORT_IN_TASK
from typer.testing import CliRunner

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

UNGUARDED = "import multiprocessing as mp\nwith mp.Pool(2) as p:\n    print(p.map(abs, [-1]))\n"
ALL_CODES = [spec.code for spec in RULES]


def mpfix(*args: str):
    return CliRunner().invoke(app, list(args))


def check(*args: str) -> list[str]:
    """The paths that `check` reports (concise lines), in order."""
    result = mpfix("check", "--output-format", "concise", *args)
    assert result.exit_code in (0, 1), result.stdout + result.stderr
    return [line.split(":")[0] for line in result.stdout.splitlines()[:-1]]


def write(folder: Path, name: str, text: str = UNGUARDED) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository (it has .git) that is also the working directory."""
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


def settings(*args: str) -> dict:
    """What `check --show-settings` prints, read back as TOML."""
    result = mpfix("check", "--show-settings", *args)
    assert result.exit_code == 0, result.stdout + result.stderr
    return tomllib.loads(result.stdout)["tool"]["mpfix"]


# -- finding the file -----------------------------------------------------------------


def test_the_nearest_configuration_above_the_checked_path_is_used(project: Path) -> None:
    write(project, "pyproject.toml", '[tool.mpfix]\nselect = ["MP002"]\n')
    write(project, "app/job.py")

    assert check("app/job.py") == []  # MP002 alone finds nothing in it

    # A nearer file wins; one without a [tool.mpfix] table is not mpfix's and is passed over.
    write(project, "app/pyproject.toml", '[tool.mpfix]\nselect = ["MP001"]\n')
    write(project, "app/sub/pyproject.toml", '[project]\nname = "sub"\n')
    write(project, "app/sub/job.py")
    assert check("app/sub/job.py") == [os.path.join("app", "sub", "job.py")]


def test_the_search_starts_at_the_paths_not_the_working_directory(project: Path, monkeypatch) -> None:
    write(project, "pyproject.toml", '[tool.mpfix]\nselect = ["MP002"]\n')
    write(project, "job.py")
    elsewhere = project / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)

    assert check(str(project / "job.py")) == []
    assert settings(str(project))["select"] == ["MP002"]


def test_the_search_stops_at_the_repository_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, "pyproject.toml", '[tool.mpfix]\nselect = ["MP002"]\n')  # outside the repository
    repository = tmp_path / "repository"
    (repository / ".git").mkdir(parents=True)
    write(repository, "job.py")
    monkeypatch.chdir(repository)

    assert check("job.py") == ["job.py"]


def test_stdin_takes_the_configuration_of_its_file_name(project: Path) -> None:
    write(project, "pkg/pyproject.toml", '[tool.mpfix]\nselect = ["MP002"]\n')

    named = CliRunner().invoke(app, ["check", "--stdin-filename", "pkg/job.py", "-"], input=UNGUARDED)
    unnamed = CliRunner().invoke(app, ["check", "-"], input=UNGUARDED)

    assert (named.exit_code, unnamed.exit_code) == (0, 1)


def test_config_names_a_file_and_isolated_reads_none(project: Path) -> None:
    write(project, "pyproject.toml", '[tool.mpfix]\nselect = ["MP002"]\n')
    write(project, "ci/mpfix.toml", '[tool.mpfix]\nselect = ["MP001"]\n')
    write(project, "job.py")

    assert check("job.py") == []
    assert check("--config", "ci/mpfix.toml", "job.py") == ["job.py"]
    assert check("--isolated", "job.py") == ["job.py"]


# -- rules ----------------------------------------------------------------------------


def test_the_command_line_refines_or_replaces_the_configured_rules(project: Path) -> None:
    write(project, "pyproject.toml", '[tool.mpfix]\nselect = ["MP001", "MP002"]\nignore = ["MP002"]\n')

    assert settings()["select"] == ["MP001"]
    assert settings("--extend-select", "ipc-outside-parent")["select"] == ["MP001", "MP003"]
    assert settings("--ignore", "MP001")["select"] == []
    # --select starts afresh: the file's ignore no longer applies, as in ruff.
    assert settings("--select", "MP002")["select"] == ["MP002"]
    assert settings("--select", "MP", "--ignore", "missing-main-guard")["select"] == [
        code for code in ALL_CODES if code != "MP001"
    ]


def test_selecting_no_rule_is_warned_about(project: Path) -> None:
    write(project, "job.py")

    result = mpfix("check", "--ignore", "MP", "job.py")

    assert result.exit_code == 0
    assert "mpfix: warning: no rule selected" in result.stderr


def test_per_file_ignores_leave_rules_out_in_matching_files(project: Path) -> None:
    write(
        project,
        "pyproject.toml",
        '[tool.mpfix]\nper-file-ignores = { "tests/**" = ["MP001"], "demo_*.py" = ["MP0"] }\n',
    )
    for name in ["app/job.py", "tests/unit/test_job.py", "app/demo_pool.py"]:
        write(project, name)

    assert check() == [os.path.join("app", "job.py")]
    # The command line replaces the table, with GLOB:RULES values.
    assert check("--per-file-ignores", "app/*:MP001") == [os.path.join("tests", "unit", "test_job.py")]


def test_unsafe_fixes_from_the_file_can_be_turned_off_on_the_command_line(project: Path) -> None:
    write(project, "pyproject.toml", "[tool.mpfix]\nunsafe-fixes = true\n")
    write(project, "job.py", IMPORT_IN_TASK)  # its fix is unsafe: marked fixable only when they are on

    assert "runs every time the pool task runs [*]\n" in mpfix("check", "job.py").stdout
    assert "runs every time the pool task runs\n" in mpfix("check", "--no-unsafe-fixes", "job.py").stdout


def test_jobs_comes_from_the_file_unless_given(project: Path) -> None:
    write(project, "pyproject.toml", "[tool.mpfix]\njobs = 3\n")

    assert settings()["jobs"] == 3
    assert settings("-j", "1")["jobs"] == 1


# -- files ----------------------------------------------------------------------------


def test_extend_exclude_adds_patterns_relative_to_the_configuration_file(project: Path) -> None:
    write(project, "pyproject.toml", '[tool.mpfix]\nextend-exclude = ["/app/generated", "*_pb2.py"]\n')
    for name in ["app/generated/job.py", "lib/app/generated/job.py", "app/job_pb2.py", "build/job.py", "app/job.py"]:
        write(project, name)

    # From a subfolder too: the anchored pattern is the file's, not the working directory's.
    os.chdir(project / "app")
    assert check(str(project)) == [
        os.path.join(str(project), "app", "job.py"),
        os.path.join(str(project), "lib", "app", "generated", "job.py"),
    ]


def test_exclude_replaces_the_default_excludes(project: Path) -> None:
    write(project, "pyproject.toml", '[tool.mpfix]\nexclude = ["vendor/"]\n')
    write(project, "build/job.py")
    write(project, "vendor/job.py")

    assert check() == [os.path.join("build", "job.py")]
    assert check("--exclude", "build") == [os.path.join("vendor", "job.py")]
    assert check("--extend-exclude", "build") == []


def test_gitignore_can_be_disregarded(project: Path) -> None:
    write(project, ".gitignore", "scratch/\n")
    write(project, "scratch/job.py")

    assert check() == []
    assert check("--no-respect-gitignore") == [os.path.join("scratch", "job.py")]
    write(project, "pyproject.toml", "[tool.mpfix]\nrespect-gitignore = false\n")
    assert check() == [os.path.join("scratch", "job.py")]


def test_force_exclude_applies_the_excludes_to_files_named_explicitly(project: Path) -> None:
    write(project, "pyproject.toml", '[tool.mpfix]\nextend-exclude = ["generated/"]\n')
    write(project, "generated/job.py")
    write(project, ".venv/lib/job.py")
    named = ["generated/job.py", ".venv/lib/job.py"]

    assert check(*named) == sorted(os.path.normpath(name) for name in named)
    assert check("--force-exclude", *named) == []
    write(project, "pyproject.toml", '[tool.mpfix]\nextend-exclude = ["generated/"]\nforce-exclude = true\n')
    assert check(*named) == []


def test_a_folder_named_explicitly_is_walked_though_an_exclude_names_it(project: Path) -> None:
    write(project, "pyproject.toml", '[tool.mpfix]\nextend-exclude = ["examples/", "*_pb2.py"]\n')
    write(project, "examples/job.py")
    write(project, "examples/nested/job.py")
    write(project, "examples/job_pb2.py")

    assert check() == []
    # As in ruff: the exclude that names the folder does not apply inside it; the others do.
    assert check("examples") == [os.path.join("examples", "job.py"), os.path.join("examples", "nested", "job.py")]
    assert check("examples/nested") == [os.path.join("examples", "nested", "job.py")]
    assert check("--force-exclude", "examples") == []


# -- the target version ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("requires", "target"),
    [
        (">=3.12", "py312"),
        (">= 3.11, <4", "py311"),
        ("<4,>=3.14", "py314"),
        ("~=3.13.1", "py313"),
        ("==3.12.*", "py312"),
        (">=3.8", "py310"),  # older than any version mpfix knows: the oldest it knows
        (">=3.20", "py315"),
        ("<3.13", "py310"),  # no lower bound
    ],
)
def test_the_target_version_defaults_to_the_oldest_that_requires_python_admits(
    project: Path, requires: str, target: str
) -> None:
    write(project, "pyproject.toml", f'[project]\nname = "job"\nrequires-python = "{requires}"\n')
    assert settings()["target-version"] == target


def test_the_configured_target_version_wins_and_the_command_line_over_it(project: Path) -> None:
    write(project, "pyproject.toml", '[project]\nrequires-python = ">=3.11"\n[tool.mpfix]\ntarget-version = "py313"\n')
    assert settings()["target-version"] == "py313"
    assert settings("--target-version", "py314")["target-version"] == "py314"
    assert settings("--isolated")["target-version"] == "py310"


def test_requires_python_is_read_from_the_project_of_the_checked_files(project: Path) -> None:
    write(project, "pyproject.toml", '[project]\nrequires-python = ">=3.14"\n')
    write(project, "app/pyproject.toml", "[project]\nrequires-python = \">=3.12\"\n")
    assert settings("app")["target-version"] == "py312"
    assert settings(".")["target-version"] == "py314"


# -- errors ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('selct = ["MP001"]', "[tool.mpfix]: unknown key 'selct' (did you mean 'select'?)"),
        ("colour = true", "[tool.mpfix]: unknown key 'colour'; the keys are: select, ignore,"),
        ('select = "MP001"', "[tool.mpfix]: select: expected an array of strings, got a string"),
        ('select = ["MP9"]', "[tool.mpfix]: select: unknown rule selector 'MP9'"),
        ("extend-exclude = [1]", "[tool.mpfix]: extend-exclude: expected an array of strings, got an array"),
        ('unsafe-fixes = "yes"', "[tool.mpfix]: unsafe-fixes: expected true or false, got a string"),
        ("jobs = 0", "[tool.mpfix]: jobs: expected a positive integer, got 0"),
        ("jobs = true", "[tool.mpfix]: jobs: expected a positive integer, got True"),
        (
            'target-version = "py39"',
            "[tool.mpfix]: target-version: expected one of py310, py311, py312, py313, py314, py315, got 'py39'",
        ),
        ('per-file-ignores = ["tests/*"]', "[tool.mpfix]: per-file-ignores: expected a table of glob = [codes]"),
        (
            'per-file-ignores = { "t/*" = ["XY1"] }',
            "[tool.mpfix]: per-file-ignores \"t/*\": unknown rule selector 'XY1'",
        ),
        ('extend-exclude = ["!"]', "[tool.mpfix]: extend-exclude: '!' is not a valid pattern"),
        ('per-file-ignores = { "!" = ["MP001"] }', "[tool.mpfix]: per-file-ignores: '!' is not a valid pattern"),
    ],
)
def test_a_bad_setting_exits_2_naming_the_file_and_the_key(project: Path, table: str, message: str) -> None:
    write(project, "pyproject.toml", f"[tool.mpfix]\n{table}\n")
    script = write(project, "job.py")

    for command in ("check", "diff", "fix"):
        result = mpfix(command, "job.py")
        assert result.exit_code == 2
        assert result.stderr.startswith(f"mpfix: error: pyproject.toml: {message}"), result.stderr
    assert script.read_text(encoding="utf-8") == UNGUARDED


def test_a_configuration_that_is_not_toml_is_an_error_of_its_file(project: Path) -> None:
    write(project, "pyproject.toml", "[tool.mpfix\nselect = []\n")

    result = mpfix("check", ".")

    assert result.exit_code == 2
    assert result.stderr.startswith("mpfix: error: pyproject.toml: not valid TOML: ")


def test_a_broken_pyproject_of_another_tool_is_not_mpfixs_business(project: Path) -> None:
    write(project, "pyproject.toml", "[tool.black\n")
    write(project, "job.py")

    assert check() == ["job.py"]


def test_the_file_is_read_never_run(project: Path) -> None:
    marker = project / "ran"
    write(
        project,
        "pyproject.toml",
        f'[tool.mpfix]\nselect = ["__import__(\\"pathlib\\").Path(r\\"{marker}\\").touch()"]\n',
    )

    result = mpfix("check", ".")

    assert result.exit_code == 2
    assert "unknown rule selector" in result.stderr
    assert not marker.exists()


def test_a_bad_per_file_ignores_option_is_an_error(project: Path) -> None:
    result = mpfix("check", "--per-file-ignores", "tests/*", ".")

    assert result.exit_code == 2
    assert result.stderr == "mpfix: error: --per-file-ignores 'tests/*': expected GLOB:RULES, such as 'tests/*:MP001'\n"


# -- show-settings --------------------------------------------------------------------


def test_show_settings_prints_the_resolved_settings_as_a_table_to_paste(project: Path) -> None:
    write(
        project,
        "pyproject.toml",
        '[tool.mpfix]\nselect = ["MP0"]\nignore = ["MP003"]\nextend-exclude = ["gen/"]\n'
        'per-file-ignores = { "tests/*" = ["missing-main-guard"] }\njobs = 2\n',
    )

    result = mpfix("check", "--show-settings", "--unsafe-fixes")

    assert result.exit_code == 0
    assert result.stdout.startswith(f"# Settings from pyproject.toml and the command line\n# Project root: {project}\n")
    shown = tomllib.loads(result.stdout)["tool"]["mpfix"]
    assert shown == {
        "select": [code for code in ALL_CODES if code.startswith("MP0") and code != "MP003"],
        "exclude": shown["exclude"],
        "extend-exclude": ["gen/"],
        "per-file-ignores": {"tests/*": ["MP001"]},
        "unsafe-fixes": True,
        "jobs": 2,
        "respect-gitignore": True,
        "force-exclude": False,
        "report-unused-suppressions": False,
        "target-version": "py310",
    }
    assert ".venv" in shown["exclude"]
    # What it prints is a configuration that gives the same settings.
    write(project, "pyproject.toml", result.stdout)
    again = mpfix("check", "--show-settings")
    assert again.stdout.splitlines()[2:] == result.stdout.splitlines()[2:]
