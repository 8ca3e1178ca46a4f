"""benchmarks/compare.py keeps working: two builds on a tiny corpus give a table of paired
changes whose numbers parse, and outputs that differ are said to differ. Timings are never
judged."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
COMPARE = ROOT / "benchmarks" / "compare.py"
sys.path.insert(0, str(COMPARE.parent))
import compare  # noqa: E402

SECONDS = r"-?\d+\.\d{3}"
ROW = rf"\| (?P<label>[^|]+) \| {SECONDS} \| {SECONDS} \| [+-]\d+\.\d{{3}} ± (?:\d+\.\d{{3}}|nan) \| [+-]\d+\.\d % \|"


def _in_git() -> bool:
    if shutil.which("git") is None:
        return False
    found = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, check=False)
    return found.returncode == 0


@pytest.mark.skipif(not _in_git(), reason="needs a git checkout")
def test_two_builds_give_paired_changes_for_wall_and_cpu_time_even_with_a_file_that_does_not_parse(
    tmp_path: Path,
) -> None:
    (tmp_path / "pool.py").write_text(
        "import multiprocessing as mp\n\n\ndef double(x):\n    return 2 * x\n\n\n"
        "with mp.Pool(2) as pool:\n    print(pool.map(double, range(3)))\n"
    )
    # Reported as a file that could not be analysed: mpfix exits with 2.
    (tmp_path / "broken.py").write_text("import multiprocessing\nprint 1\n")
    # Both builds from one revision: what the checkout holds besides does not change the output.
    builds = ["--base", "HEAD", "--head", "HEAD"]
    done = subprocess.run(
        [sys.executable, str(COMPARE), *builds, "--pairs", "2", str(tmp_path), "--", "--jobs", "1"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    rows = [re.fullmatch(ROW, line) for line in lines if line.startswith("| ") and "mean" not in line]
    assert [row["label"] for row in rows if row] == ["wall time", "CPU time, all processes"], done.stdout
    assert f"--jobs 1 {tmp_path}`: HEAD (base) against HEAD (head)" in done.stdout
    assert "The output of `--output-format json` is the same." in done.stdout


def test_outputs_that_differ_are_said_to_differ_and_fail(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    built: list[Path] = []

    def build(revision: str | None, into: Path) -> Path:
        built.append(into)
        return into

    def run(folder: Path, arguments: list[str]) -> tuple[float, float, bytes]:
        return 1.0, 2.0, b"[]" if folder == built[0] else b'[{"code": "MP001"}]'

    monkeypatch.setattr(compare, "build", build)
    monkeypatch.setattr(compare, "run", run)
    monkeypatch.setattr(sys, "argv", ["compare.py", "--base", "v1", "--head", "v2", "--pairs", "3", str(tmp_path)])
    with pytest.raises(SystemExit) as exited:
        compare.main()
    assert exited.value.code == 1
    out = capsys.readouterr().out
    assert "| wall time | 1.000 | 1.000 | +0.000 ± 0.000 | +0.0 % |" in out
    assert "The output of `--output-format json` is NOT the same." in out


def test_no_pairs_compares_the_outputs_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    runs: list[list[str]] = []

    def run(folder: Path, arguments: list[str]) -> tuple[float, float, bytes]:
        runs.append(arguments)
        return 1.0, 2.0, b"[]"

    monkeypatch.setattr(compare, "build", lambda revision, into: into)
    monkeypatch.setattr(compare, "run", run)
    monkeypatch.setattr(sys, "argv", ["compare.py", "--base", "v1", "--pairs", "0", str(tmp_path)])
    compare.main()
    out = capsys.readouterr().out
    assert "wall time" not in out
    assert "The output of `--output-format json` is the same." in out
    assert [arguments[-2:] for arguments in runs] == [["--output-format", "json"]] * 2


def test_the_checkout_is_built_as_the_mpfix_package_with_its_bytecode(tmp_path: Path) -> None:
    folder = compare.build(None, tmp_path)
    package = folder / "mpfix"
    modules = sorted(path.relative_to(package) for path in package.rglob("*.py"))
    assert modules == sorted(path.relative_to(ROOT / "codemods") for path in (ROOT / "codemods").rglob("*.py"))
    assert list(package.glob("__pycache__/__init__.*.pyc"))
    found = subprocess.run(
        [sys.executable, "-c", "import mpfix; print(mpfix.__file__)"],
        env={"PYTHONPATH": str(folder)},
        capture_output=True,
        text=True,
        check=True,
    )
    assert found.stdout.strip() == str(package / "__init__.py")


def test_builds_alternate_in_pairs_and_the_change_is_head_less_base(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    order: list[str] = []
    seconds = {"base": iter([1.0, 1.2, 1.1, 1.3]), "head": iter([0.9, 1.0, 1.0, 1.1])}

    def run(folder: Path, arguments: list[str]) -> tuple[float, float, bytes]:
        if arguments[-1] == "json":
            return 0.0, 0.0, b"[]"
        order.append(folder.name)
        wall = next(seconds[folder.name])
        return wall, 2 * wall, b""

    monkeypatch.setattr(compare, "build", lambda revision, into: into)
    monkeypatch.setattr(compare, "run", run)
    monkeypatch.setattr(sys, "argv", ["compare.py", "--base", "v1", "--pairs", "4", str(tmp_path)])
    compare.main()
    assert order == ["base", "head", "head", "base", "base", "head", "head", "base"]
    out = capsys.readouterr().out
    # Changes within pairs: -0.1, -0.2, -0.1, -0.2; their mean -0.15, its standard error 0.029.
    assert "| wall time | 1.150 | 1.000 | -0.150 ± 0.029 | -13.0 % |" in out
    assert "| CPU time, all processes | 2.300 | 2.000 | -0.300 ± 0.058 | -13.0 % |" in out


@pytest.mark.parametrize(
    "argv",
    [
        ["CORPUS", "--base", "v1", "--", "--jobs", "1"],
        ["--base", "v1", "CORPUS", "--", "--jobs", "1"],
        ["--base=v1", "CORPUS", "--", "--jobs", "1"],
    ],
)
def test_options_after_the_separator_go_to_mpfix_wherever_the_corpus_stands(argv: list[str]) -> None:
    args, options = compare.arguments(argv)
    assert (args.corpus, args.base, args.head, args.pairs) == (Path("CORPUS"), "v1", None, 10)
    assert options == ["--jobs", "1"]


def test_without_a_separator_mpfix_gets_no_options_and_an_unknown_option_is_refused(
    capsys: pytest.CaptureFixture[str],
) -> None:
    args, options = compare.arguments(["CORPUS", "--pairs", "0", "--base", "v1"])
    assert (args.corpus, args.pairs, options) == (Path("CORPUS"), 0, [])
    with pytest.raises(SystemExit):
        compare.arguments(["CORPUS", "--base", "v1", "--jobs", "1"])
    assert "unrecognized arguments: --jobs 1" in capsys.readouterr().err
