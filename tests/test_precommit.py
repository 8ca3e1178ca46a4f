"""The hooks of .pre-commit-hooks.yaml, run by the real pre-commit as a user's repository would.

pre-commit installs mpfix from a git repository into a virtualenv of its own (its
dependencies come from the package index), so this is slow: `-m "not slow"` leaves it
out, and CI runs it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
UNGUARDED = "import multiprocessing as mp\nwith mp.Pool(2) as p:\n    print(p.map(abs, [-1]))\n"
GUARD = 'if __name__ == "__main__":'
# Whatever the machine's git configuration says, these commits need no identity or signing.
GIT = ["git", "-c", "user.name=mpfix tests", "-c", "user.email=tests@mpfix.invalid", "-c", "commit.gpgsign=false"]
# The working tree, less what a clone would not have.
NOT_COPIED = shutil.ignore_patterns(
    ".git", ".venv", "venv", "__pycache__", ".pytest_cache", ".ruff_cache", ".mypy_cache", "site", "*.egg-info"
)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(1200),
    pytest.mark.skipif(shutil.which("git") is None, reason="pre-commit needs git"),
]


def git(*args: str, cwd: Path) -> None:
    subprocess.run([*GIT, *args], cwd=cwd, check=True, capture_output=True, timeout=120)


def committed_repository(path: Path) -> None:
    git("init", "--quiet", cwd=path)
    git("add", "--all", cwd=path)
    git("commit", "--quiet", "--no-verify", "--message", "snapshot", cwd=path)


@pytest.fixture(scope="module")
def hooks_repository(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This checkout as pre-commit sees a hooks repository: a git repository with a commit
    holding the working tree as it is now, uncommitted changes included."""
    clone = tmp_path_factory.mktemp("mpfix-hooks") / "mpfix"
    shutil.copytree(ROOT, clone, ignore=NOT_COPIED)
    committed_repository(clone)
    return clone


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """pre-commit's cache of hook environments, shared by the tests of this module only."""
    return tmp_path_factory.mktemp("pre-commit-home")


def try_repo(hook: str, *files: str, project: Path, hooks: Path, home: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PRE_COMMIT_HOME": str(home), "PRE_COMMIT_COLOR": "never"}
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "try-repo", str(hooks), hook, "--files", *files],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=1100,
        check=False,
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A user's repository: one script with the pitfall, one library without, one excluded."""
    (tmp_path / "script.py").write_text(UNGUARDED, encoding="utf-8")
    (tmp_path / "library.py").write_text("import multiprocessing\n", encoding="utf-8")
    (tmp_path / "generated").mkdir()
    (tmp_path / "generated" / "job.py").write_text(UNGUARDED, encoding="utf-8")
    # MP001 alone: the hooks are under test here, not the rules.
    (tmp_path / "pyproject.toml").write_text(
        '[tool.mpfix]\nselect = ["MP001"]\nextend-exclude = ["generated/"]\n', encoding="utf-8"
    )
    committed_repository(tmp_path)
    return tmp_path


def test_the_check_hook_fails_on_a_finding_and_skips_excluded_files(
    project: Path, hooks_repository: Path, pre_commit_home: Path
) -> None:
    files = ("script.py", "library.py", "generated/job.py")

    result = try_repo("mpfix-check", *files, project=project, hooks=hooks_repository, home=pre_commit_home)

    assert result.returncode == 1, result.stdout + result.stderr
    assert "mpfix check" in result.stdout and "Failed" in result.stdout
    assert "script.py:2:6: MP001 " in result.stdout
    assert "generated/job.py" not in result.stdout  # --force-exclude: the configured exclude holds
    assert (project / "script.py").read_text(encoding="utf-8") == UNGUARDED


def test_the_fix_hook_fixes_and_then_passes(project: Path, hooks_repository: Path, pre_commit_home: Path) -> None:
    first = try_repo(
        "mpfix-fix", "script.py", "library.py", project=project, hooks=hooks_repository, home=pre_commit_home
    )

    # pre-commit fails a hook that changed files, so that the fix is reviewed before committing.
    assert first.returncode == 1, first.stdout + first.stderr
    assert "files were modified by this hook" in first.stdout
    assert GUARD in (project / "script.py").read_text(encoding="utf-8")

    second = try_repo(
        "mpfix-fix", "script.py", "library.py", project=project, hooks=hooks_repository, home=pre_commit_home
    )
    assert second.returncode == 0, second.stdout + second.stderr
    assert "Passed" in second.stdout
