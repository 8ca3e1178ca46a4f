"""mpfix's own checkout passes mpfix: the quick start's `mpfix fix .` run inside it changes
nothing, while the snippets and examples that are broken on purpose stay as they are."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def checkout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the files git tracks (or would track) in this checkout."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if listed.returncode != 0:
        pytest.skip("not a git checkout")
    copy = tmp_path_factory.mktemp("checkout")
    for name in listed.stdout.splitlines():
        source = ROOT / name
        if source.is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, copy / name)
    return copy


def mpfix(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mpfix", *args], cwd=cwd, capture_output=True, text=True, check=False, timeout=600
    )


def test_the_whole_checkout_passes_and_fixing_it_changes_nothing(checkout: Path) -> None:
    checked = mpfix("check", "--no-cache", ".", cwd=checkout)
    assert (checked.returncode, checked.stdout) == (0, "All checks passed!\n"), checked.stderr

    before = {path: path.read_bytes() for path in checkout.rglob("*.py")}
    fixed = mpfix("fix", "--no-cache", ".", cwd=checkout)
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert {path: path.read_bytes() for path in checkout.rglob("*.py")} == before


def test_the_examples_named_explicitly_are_still_checked(checkout: Path) -> None:
    result = mpfix("diff", "--no-cache", "examples", cwd=checkout)

    assert result.returncode == 1
    assert "+++ b/examples/" in result.stdout
    assert "Would fix " in result.stdout + result.stderr
