"""mpfix over real code: the whole standard library of the running interpreter, checked
and fixed (on a copy) through the command line, and the memory a run over a large tree
takes. Durations and peak memory are printed (pytest -s, or the junit properties), never
asserted beyond generous bounds."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import pytest

STDLIB = Path(sysconfig.get_paths()["stdlib"])
# The tree as it is: pyenv's .gitignore above it ignores versions/, and the default
# excludes would skip the stdlib's own venv package.
WHOLE_TREE = ("--no-respect-gitignore", "--exclude", "site-packages,__pycache__", "--no-progress")

# What the command line prints (codemods/output/text.py): a finding, a file's error, a fixed
# file, and the last line of `check` and of `fix`.
FINDING_LINE = re.compile(r"(?P<path>.+):(?P<row>\d+):(?P<column>\d+): (?P<code>MP\d{3}) \S.*")
ERROR_LINE = re.compile(r".+?(?::\d+:\d+)?: error: \S.*")
FIXED_LINE = re.compile(r"(?P<path>.+): fixed \d+ findings? \((?P<codes>MP\d{3}(?:, MP\d{3})*)\)")
_FAILURES = r"(?: \d+ files? could not be processed\.)"
CHECK_SUMMARY = re.compile(
    rf"All checks passed!|No findings\.{_FAILURES}|Found \d+ errors?(?: \(\d+ fixable with .+\))?\.{_FAILURES}?"
)
FIX_SUMMARY = re.compile(
    rf"(?:Fixed \d+ findings? in \d+ files?|No fixes applied), (?P<remaining>\d+) remaining\.{_FAILURES}?"
    rf"|All checks passed!|No findings\.{_FAILURES}"
)

# Runs the mpfix command in this process and reports its own peak memory and that of its
# worker processes (every child it waited for) to the file named by MPFIX_TEST_RUSAGE.
# On Linux a process's ru_maxrss starts from the peak of the process it was forked from
# (here the test runner, which may be large): VmHWM counts this program's own pages only.
_MEASURED = """
import json, os, re, resource, sys
from mpfix.cli import main

def own_peak():
    try:
        with open("/proc/self/status", encoding="utf-8", errors="replace") as status:
            return int(re.search(r"^VmHWM:\\s+(\\d+) kB$", status.read(), re.MULTILINE)[1])
    except (OSError, TypeError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

try:
    sys.argv[0] = "mpfix"
    main()
finally:
    peaks = {"parent": own_peak(), "workers": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}
    with open(os.environ["MPFIX_TEST_RUSAGE"], "w") as out:
        json.dump(peaks, out)
"""
# ru_maxrss and VmHWM are in kilobytes on Linux; ru_maxrss is in bytes on macOS.
_RSS_UNIT = 1 if sys.platform == "darwin" else 1024


class Measured:
    def __init__(self, completed: subprocess.CompletedProcess, seconds: float, peaks: dict[str, int]) -> None:
        self.returncode, self.stdout, self.stderr = completed.returncode, completed.stdout, completed.stderr
        self.seconds = seconds
        self.peak_mb = {name: peak * _RSS_UNIT / 2**20 for name, peak in peaks.items()}


def mpfix_measured(*args: str, cwd: Path, timeout: float) -> Measured:
    """`mpfix ARGS` in a fresh interpreter: its output, wall time and peak memory."""
    report = cwd / "rusage.json"
    env = {**os.environ, "MPFIX_TEST_RUSAGE": str(report)}
    began = time.monotonic()
    completed = subprocess.run(
        [sys.executable, "-c", _MEASURED, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    seconds = time.monotonic() - began
    peaks = json.loads(report.read_text(encoding="utf-8"))
    report.unlink()
    return Measured(completed, seconds, peaks)


def assert_well_formed(output: str, *patterns: re.Pattern[str]) -> list[str]:
    """Every line of ``output`` matches one of ``patterns``; the lines, for more checks."""
    lines = output.splitlines()
    for line in lines:
        assert any(pattern.fullmatch(line) for pattern in patterns), f"malformed line: {line!r}"
    return lines


def assert_no_crash(result: Measured) -> None:
    assert result.returncode in (0, 1, 2), result.stderr[-3000:]
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    # A rule that raises, a fix that breaks the code, or a worker that dies, is reported per
    # file; on real code it is a bug.
    for bug in (": error: internal error: ", ": error: fix failed", "the worker process analysing it died"):
        assert bug not in result.stderr, result.stderr[-3000:]


def assert_exit_code(result: Measured, found: bool) -> None:
    """As ruff's: 2 when a file could not be processed, else 1 when something was found."""
    errors = [line for line in result.stderr.splitlines() if ERROR_LINE.fullmatch(line)]
    assert result.returncode == (2 if errors else 1 if found else 0), result.stderr[-3000:]


def digests(folder: Path) -> dict[str, str]:
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and not path.is_symlink()
    }


def test_the_patterns_of_well_formed_output_match_what_mpfix_prints(tmp_path: Path) -> None:
    # The standard library run below trusts these patterns: each must match real output.
    tree = tmp_path / "tree"
    tree.mkdir()
    script = "import multiprocessing as mp\n\n\ndef work(x):\n    return x\n\n\nwith mp.Pool(2) as pool:\n"
    script += "    pool.apply_async(work, (1,))\n    pool.close()\n    pool.join()\n"  # MP001 fixed, MP012 reported
    (tree / "script.py").write_text(script, encoding="utf-8")
    (tree / "broken.py").write_text("import multiprocessing\nprint 'x'\n", encoding="utf-8")
    (tree / "clean.py").write_text("import multiprocessing\n\nprint(multiprocessing.cpu_count())\n", encoding="utf-8")
    used: set[str] = set()

    def lines(output: str, *patterns: re.Pattern[str]) -> None:
        for line in assert_well_formed(output, *patterns):
            used.update(pattern.pattern for pattern in patterns if pattern.fullmatch(line))

    as_json = mpfix_measured("check", "--no-progress", "--output-format", "json", str(tree), cwd=tmp_path, timeout=120)
    lines(as_json.stderr, ERROR_LINE, CHECK_SUMMARY)
    # The file that does not parse is an entry too, after the findings, without a code.
    assert [(entry["code"], entry["name"]) for entry in json.loads(as_json.stdout)] == [
        ("MP001", "missing-main-guard"),
        ("MP012", "lost-async-result"),
        (None, "parse"),
    ]
    concise = mpfix_measured(
        "check", "--no-progress", "--output-format", "concise", str(tree), cwd=tmp_path, timeout=120
    )
    lines(concise.stdout, FINDING_LINE, CHECK_SUMMARY)
    lines(concise.stderr, ERROR_LINE)
    clean = mpfix_measured(
        "check", "--no-progress", "--output-format", "concise", str(tree / "clean.py"), cwd=tmp_path, timeout=120
    )
    lines(clean.stdout, CHECK_SUMMARY)
    fix = mpfix_measured("fix", "--no-progress", "--output-format", "concise", str(tree), cwd=tmp_path, timeout=120)
    lines(fix.stdout, FIXED_LINE, FINDING_LINE, FIX_SUMMARY)
    lines(fix.stderr, ERROR_LINE)

    assert [result.returncode for result in (as_json, concise, clean, fix)] == [2, 2, 0, 2]
    assert used == {pattern.pattern for pattern in (FINDING_LINE, ERROR_LINE, FIXED_LINE, CHECK_SUMMARY, FIX_SUMMARY)}
    assert (concise.stdout.splitlines()[-1], fix.stdout.splitlines()[-1]) == (
        "Found 2 errors (1 fixable with `mpfix fix`). 1 file could not be processed.",
        "Fixed 1 finding in 1 file, 1 remaining. 1 file could not be processed.",
    )


@pytest.mark.slow
@pytest.mark.timeout(1800)
@pytest.mark.skipif(not (STDLIB / "os.py").is_file(), reason="the standard library is not installed as source")
def test_check_and_fix_the_whole_standard_library(tmp_path: Path, record_property) -> None:
    work = tmp_path / "work"
    work.mkdir()

    # 1. check, in json: the analysis computes the fixes too (json carries them as edits),
    #    so the fix run below finds every result in the (private, per-test) cache.
    check = mpfix_measured("check", *WHOLE_TREE, "--output-format", "json", str(STDLIB), cwd=work, timeout=1200)
    assert_no_crash(check)
    entries = json.loads(check.stdout)
    findings = [entry for entry in entries if entry["code"] is not None]
    assert_exit_code(check, found=bool(findings))
    stderr = assert_well_formed(check.stderr, ERROR_LINE, CHECK_SUMMARY)
    # Each file that could not be processed is an entry of the document too.
    assert len(entries) - len(findings) == sum(1 for line in stderr if ERROR_LINE.fullmatch(line))
    assert CHECK_SUMMARY.fullmatch(stderr[-1]) and not any(map(CHECK_SUMMARY.fullmatch, stderr[:-1])), stderr[-5:]
    for finding in findings:
        assert re.fullmatch(r"MP\d{3}", finding["code"]) and finding["message"], finding
        assert Path(finding["filename"]).is_relative_to(STDLIB), finding
        assert finding["location"]["row"] >= 1 and finding["location"]["column"] >= 1, finding
    # The files that `fix` will rewrite: those with a finding whose fix `check` shows as edits.
    fixable = {
        str(Path(finding["filename"]).relative_to(STDLIB))
        for finding in findings
        if finding["fix"] is not None and finding["fix"]["edits"]
    }

    # The same findings, as lines: checked again on just the files that have some.
    named = sorted({finding["filename"] for finding in findings})
    if named:
        concise = mpfix_measured("check", "--no-progress", "--output-format", "concise", *named, cwd=work, timeout=900)
        assert_no_crash(concise)
        assert_exit_code(concise, found=True)
        lines = assert_well_formed(concise.stdout, FINDING_LINE, CHECK_SUMMARY)
        assert CHECK_SUMMARY.fullmatch(lines[-1]), lines[-1]
        shown = sorted(
            (match["path"], int(match["row"]), int(match["column"]), match["code"])
            for match in map(FINDING_LINE.fullmatch, lines[:-1])
        )
        expected = sorted((f["filename"], f["location"]["row"], f["location"]["column"], f["code"]) for f in findings)
        assert shown == expected

    # 2. fix, on a copy.
    copy = tmp_path / "stdlib"
    shutil.copytree(STDLIB, copy, symlinks=True, ignore=shutil.ignore_patterns("site-packages", "__pycache__"))
    original = digests(copy)
    fix = mpfix_measured("fix", *WHOLE_TREE, "--output-format", "concise", str(copy), cwd=work, timeout=1200)
    assert_no_crash(fix)
    assert_well_formed(fix.stderr, ERROR_LINE)
    lines = assert_well_formed(fix.stdout, FIXED_LINE, FINDING_LINE, FIX_SUMMARY)
    summary = FIX_SUMMARY.fullmatch(lines[-1])
    assert summary, lines[-1]
    assert_exit_code(fix, found=int(summary["remaining"] or 0) > 0)
    said_fixed = {str(Path(match["path"]).relative_to(copy)) for match in map(FIXED_LINE.fullmatch, lines) if match}
    after = digests(copy)
    assert set(after) == set(original), "files appeared or vanished (temporary files?)"
    rewritten = {name for name in original if after[name] != original[name]}
    assert rewritten == said_fixed == fixable
    for name in sorted(rewritten):
        compile((copy / name).read_bytes(), str(copy / name), "exec", dont_inherit=True)

    # 3. A second fix run changes nothing, and finds what the first one left.
    again = mpfix_measured("fix", *WHOLE_TREE, "--output-format", "concise", str(copy), cwd=work, timeout=1200)
    assert_no_crash(again)
    again_lines = assert_well_formed(again.stdout, FIXED_LINE, FINDING_LINE, FIX_SUMMARY)
    assert not [line for line in again_lines if FIXED_LINE.fullmatch(line)]
    assert [line for line in again_lines if FINDING_LINE.fullmatch(line)] == [
        line for line in lines if FINDING_LINE.fullmatch(line)
    ]
    assert digests(copy) == after

    peaks = {"parent": check.peak_mb["parent"], "workers": check.peak_mb["workers"]}
    sources = sum(name.endswith(".py") for name in original)
    summary_text = (
        f"standard library ({sources} .py files): check {check.seconds:.0f} s, fix {fix.seconds:.0f} s,"
        f" again {again.seconds:.0f} s; {len(findings)} findings, {len(rewritten)} files fixed;"
        f" peak memory of the check: parent {peaks['parent']:.0f} MB, a worker {peaks['workers']:.0f} MB"
    )
    print(summary_text)
    record_property("stdlib", summary_text)
    # Generous bounds: a regression by a multiple, not a tuning target.
    assert peaks["parent"] < 1024 and peaks["workers"] < 2048, summary_text


def test_the_bytes_of_files_that_no_rule_can_match_are_not_kept(tmp_path: Path, record_property) -> None:
    # 240 MB of Python that names nothing a rule looks for: each file is read, rejected by
    # the prefilter and dropped, so the run's memory does not grow with the tree.
    tree = tmp_path / "tree"
    tree.mkdir()
    content = b"TABLE = [\n" + b"    (1, 2, 3, 4, 5, 6, 7, 8, 9, 10),\n" * 55_000 + b"]\n"
    for number in range(120):
        (tree / f"table{number:03}.py").write_bytes(content)
    (tree / "script.py").write_text("import multiprocessing as mp\nmp.Pool(2).map(abs, [1])\n", encoding="utf-8")

    result = mpfix_measured(
        "check", "--no-cache", "--no-progress", "--output-format", "concise", str(tree), cwd=tmp_path, timeout=600
    )

    assert (result.returncode, result.stderr) == (1, "")
    lines = assert_well_formed(result.stdout, FINDING_LINE, CHECK_SUMMARY)
    assert [FINDING_LINE.fullmatch(line)["path"] for line in lines[:-1]] == [str(tree / "script.py")]
    summary = f"check of a {120 * len(content) / 2**20:.0f} MB tree: parent peak {result.peak_mb['parent']:.0f} MB"
    print(summary)
    record_property("large_tree", summary)
    assert result.peak_mb["parent"] < 150, summary
