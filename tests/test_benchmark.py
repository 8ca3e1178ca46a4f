"""benchmarks/scan.py keeps working: on a tiny corpus, its output has every table and row,
and every number parses. Timings are never judged."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCAN = ROOT / "benchmarks" / "scan.py"
CORPUS = {
    "pool.py": "import multiprocessing as mp\n\n\ndef double(x):\n    return 2 * x\n\n\n"
    "with mp.Pool(2) as pool:\n    print(pool.map(double, range(3)))\n",
    "words.py": "def count(text):\n    return len(text.split())\n",
    "pkg/paths.py": "import os\n\nprint(os.getcwd())\n",
}
MPFIX_CONTENDERS = ["mpfix (cold, no cache)", "mpfix (cold, no cache, --jobs 1)", "mpfix (warm cache)"]
SLOW_CONTENDERS = ["mpfix, prefilter off", "naive libcst scan"]
NUMBER = r"\d[\d,]*(?:\.\d+)?"


def ruff_folder() -> str | None:
    ruff = shutil.which("ruff") or shutil.which("ruff", path=str(Path(sys.executable).parent))
    return str(Path(ruff).parent) if ruff else None


def without_ruff(path: str) -> str:
    return os.pathsep.join(folder for folder in path.split(os.pathsep) if shutil.which("ruff", path=folder) is None)


def table(output: str, header: str) -> list[list[str]]:
    """The rows of the markdown table whose header row starts with ``header``, as cells."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header))
    assert re.fullmatch(r"\|(---\|)+", lines[start + 1])
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip("|").split("|")])
    return rows


def scan(tmp_path: Path, path: str, *options: str) -> tuple[str, str]:
    corpus = tmp_path / "corpus"
    for name, text in CORPUS.items():
        (corpus / name).parent.mkdir(parents=True, exist_ok=True)
        (corpus / name).write_text(text)
    env = {**os.environ, "PATH": path, "TMPDIR": str(tmp_path)}
    command = [sys.executable, str(SCAN), "--runs", "1", "--corpus", str(corpus), *options]
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert "warning" not in done.stderr, done.stderr
    return done.stdout, done.stderr


@pytest.mark.parametrize("with_ruff", [True, False], ids=["ruff, every contender", "no ruff, --skip-slow"])
def test_scan_prints_every_table(tmp_path: Path, with_ruff: bool) -> None:
    if with_ruff:
        folder = ruff_folder()
        if folder is None:
            pytest.skip("ruff is not installed")
        output, errors = scan(tmp_path, os.pathsep.join([folder, os.environ.get("PATH", "")]))
        expected = [*MPFIX_CONTENDERS, *SLOW_CONTENDERS, "ruff --select ALL"]
    else:
        output, errors = scan(tmp_path, without_ruff(os.environ.get("PATH", "")), "--skip-slow")
        expected = MPFIX_CONTENDERS
        assert "ruff is not on PATH" in errors
        assert "ruff not found" in output

    assert re.search(r"^machine: .+, \d+ cores, Python [\d.]+, libcst [\d.]+, ruff ", output, re.MULTILINE)
    assert re.search(rf"^median {NUMBER} s, min–max {NUMBER}–{NUMBER} s$", output, re.MULTILINE)
    assert re.search(r"^libcst imported: (yes|no)$", output, re.MULTILINE)

    contenders = table(output, "| contender |")
    assert [row[0] for row in contenders] == expected
    for _, median, spread, per_second, main, worker in contenders:
        assert re.fullmatch(NUMBER, median) and re.fullmatch(NUMBER, per_second) and re.fullmatch(NUMBER, main)
        assert re.fullmatch(f"{NUMBER}–{NUMBER}", spread)
        assert worker == "–" or re.fullmatch(NUMBER, worker)

    stages = {row[0]: int(row[1]) for row in table(output, "| files |")}
    assert stages == {"found": 3, "pass the byte prefilter": 1, "reach libcst (after the `ast` pre-checks)": 1}
    assert re.search(rf"^speed-up of the default \(\d+ jobs\) over --jobs 1: {NUMBER}x$", output, re.MULTILINE)

    targets = table(output, "| target |")
    names = [row[0] for row in targets]
    assert names[:2] == [
        "start-up on one clean file under 0.15 s",
        "start-up on one clean file does not import libcst",
    ]
    assert any(name.endswith("warm run under 0.5 s") for name in names)
    assert any(name.endswith("peak memory of a cold run under 300 MB") for name in names)
    assert any(name.endswith("cold mpfix / ruff at most 1") for name in names) == with_ruff
    for _, measured, met in targets:
        assert re.search(NUMBER, measured) or measured in ("imported", "not imported")
        assert met in ("yes", "no")
