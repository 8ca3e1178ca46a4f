"""What `mpfix` does with files that are broken, strange or hostile: one clear line per
file it cannot handle, the rest of the run goes on, and no byte it did not mean to change
is lost. Everything goes through the real command line, as a user runs it."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import mpfix as package  # `mpfix` is this module's command runner
import pytest
from mpfix.cli import app
from mpfix.model import FileResult
from mpfix.run import pipeline, workers
from typer.testing import CliRunner

# A script that starts a pool at module level: MP001 reports line 2 and fixes it safely.
UNGUARDED = "import multiprocessing as mp\nwith mp.Pool(2) as p:\n    print(p.map(abs, [-1]))\n"
FIXED = package.fix_source(UNGUARDED)
GUARD = 'if __name__ == "__main__":'

ERROR_LINE = re.compile(r"(?P<path>.+?)(?::(?P<line>\d+):(?P<column>\d+))?: error: (?P<message>.+)")
FINDING_LINE = re.compile(r"(?P<path>.+?):(?P<line>\d+):(?P<column>\d+): (?P<code>MP\d{3}) (?P<message>.+)")
# The console script, as installed beside the interpreter that runs the tests.
MPFIX = Path(sys.executable).parent / "mpfix"


def mpfix(*args: str):
    return CliRunner().invoke(app, list(args))


def mpfix_process(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """The installed `mpfix` console script in a fresh process."""
    return subprocess.run([str(MPFIX), *args], cwd=cwd, capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty folder that is also the working directory, so paths print as given."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write(folder: Path, name: str, content: str | bytes = UNGUARDED) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)
    return path


def errors(stderr: str) -> dict[str, re.Match[str]]:
    """The error lines of a run by path; every line of stderr but the summary must be one."""
    found = {}
    for line in stderr.splitlines():
        match = ERROR_LINE.fullmatch(line)
        assert match is not None, f"not an error line: {line!r}"
        found[match["path"]] = match
    return found


def finding_paths(stdout: str) -> list[str]:
    return [match["path"] for match in map(FINDING_LINE.fullmatch, stdout.splitlines()) if match]


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under ``folder`` (not following links): its bytes and mode."""
    found = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not path.is_symlink():
            found[str(path.relative_to(folder))] = (path.read_bytes(), stat.S_IMODE(path.stat().st_mode))
    return found


# -- files that do not parse ----------------------------------------------------------

# Each passes the prefilter (it names multiprocessing), so it is parsed and must fail alone.
UNPARSABLE = {
    "python2.py": ("import multiprocessing\nprint 'hello'\n", 2),
    "unclosed.py": ("import multiprocessing\npool = multiprocessing.Pool(\n", 2),
    "lint_fixture.py": ("import multiprocessing\n\n\ndef broken(:\n    pass\n", 4),
    "bad_indent.py": ("import multiprocessing\nif True:\n  x = 1\n    y = 2\n", 4),
    # Python accepts a parenthesised annotated name; libcst does not. Its message must still
    # name the right line (libcst's raw position is a line off here).
    "libcst_only.py": (UNGUARDED + "\n\ndef f():\n    (name): int = 1\n    print(name)\n", 7),
    # libcst's parser takes these, and only the checks of the nodes it made refuse them:
    # the message is Python's. (Python's own parser takes the first, and only its compiler
    # refuses it: mpfix parses it with libcst for the finding that it has.)
    "bare_except.py": (UNGUARDED + "try:\n    pass\nexcept:\n    pass\nexcept OSError:\n    pass\n", 6),
    "bytes_and_text.py": ('import multiprocessing\nname = b"x" "y"\n', 2),
}


def test_each_unparsable_file_is_one_error_line_with_its_position_and_the_run_goes_on(project: Path) -> None:
    for name, (source, _) in UNPARSABLE.items():
        write(project, name, source)
    write(project, "script.py")
    write(project, "plain_broken.py", "def broken(:\n")  # fails the prefilter: never parsed, as designed

    result = mpfix("check", "--output-format", "concise", ".")

    assert result.exit_code == 2
    found = errors(result.stderr)
    assert sorted(found) == sorted(UNPARSABLE)
    for name, (_, line) in UNPARSABLE.items():
        assert (found[name]["line"], found[name]["message"][:14]) == (str(line), "cannot parse: "), found[name][0]
    assert finding_paths(result.stdout) == ["script.py"]
    assert result.stdout.endswith(f"{len(UNPARSABLE)} files could not be processed.\n")
    assert found["bare_except.py"]["message"] == "cannot parse: default 'except:' must be last"
    assert found["bytes_and_text.py"]["message"] == "cannot parse: cannot mix bytes and nonbytes literals"


def test_newer_syntax_that_libcst_knows_is_analysed_even_where_this_python_cannot_compile_it(
    project: Path,
) -> None:
    # PEP 695 (Python 3.12): libcst parses it on every Python that mpfix supports.
    source = "type Numbers = list[int]\n\n\ndef first[T](items: list[T]) -> T:\n    return items[0]\n\n\n" + UNGUARDED
    script = write(project, "script.py", source)

    assert finding_paths(mpfix("check", "--output-format", "concise", "script.py").stdout) == ["script.py"]
    assert mpfix("fix", "script.py").exit_code == 0
    assert script.read_text(encoding="utf-8") == package.fix_source(source)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        # libcst's native parser recursed on the C stack through these and killed the whole
        # process with a segfault (a few thousand levels); Python's parser refuses them first.
        ("x = " + "-" * 100_000 + "1\n", "cannot parse: too deeply nested"),
        ("x = " + "(" * 5_000 + "1" + ")" * 5_000 + "\n", "cannot parse: too many nested parentheses"),
        # Python parses this, but libcst's tree of it is too deep for libcst's own visitors.
        ("x = (\n" + "    'line'\n" * 3_000 + ")\n", "cannot analyse: too deeply nested for libcst"),
    ],
    ids=["operators", "brackets", "strings"],
)
def test_nesting_too_deep_to_analyse_is_one_error_not_a_crash(tmp_path: Path, body: str, message: str) -> None:
    write(tmp_path, "deep.py", UNGUARDED + body)
    write(tmp_path, "script.py")
    write(tmp_path, "tool.py")

    # One file, so it is analysed in the mpfix process itself: a crash would take the run.
    alone = mpfix_process("check", "--no-cache", "--output-format", "concise", "deep.py", cwd=tmp_path)
    assert (alone.returncode, alone.stdout) == (2, "No findings. 1 file could not be processed.\n"), alone.stderr
    assert errors(alone.stderr)["deep.py"]["message"] == message

    # Three files: analysed by worker processes.
    with_others = mpfix_process("fix", "--no-cache", "--jobs", "2", ".", cwd=tmp_path)
    assert with_others.returncode == 2
    assert list(errors(with_others.stderr)) == ["deep.py"]
    assert [(tmp_path / name).read_text(encoding="utf-8") for name in ("script.py", "tool.py")] == [FIXED, FIXED]


# -- bytes that are not text ----------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"import multiprocessing\nx = 1\x00\n", "cannot parse: source code string cannot contain null bytes"),
        (b"import multiprocessing\nname = 'caf\xe9'\n", "cannot decode: "),  # latin-1 without a cookie
        (b"# coding: klingon\nimport multiprocessing\n", "cannot decode: unknown encoding: klingon"),
        (b"\xef\xbb\xbf# coding: latin-1\nimport multiprocessing\n", "cannot decode: encoding problem: utf-8"),
    ],
    ids=["null-byte", "undecodable", "unknown-cookie", "bom-and-cookie-disagree"],
)
def test_bytes_that_are_not_python_text_are_one_error_and_are_left_alone(
    project: Path, content: bytes, message: str
) -> None:
    write(project, "bad.py", content)
    write(project, "script.py")

    result = mpfix("fix", "bad.py", "script.py")

    assert result.exit_code == 2
    [(path, match)] = errors(result.stderr).items()
    assert path == "bad.py" and match["message"].startswith(message), match[0]
    assert (project / "bad.py").read_bytes() == content
    assert (project / "script.py").read_text(encoding="utf-8") == FIXED


# -- encodings, line endings, whitespace ----------------------------------------------


@pytest.mark.parametrize(
    ("prefix", "source", "encoding"),
    [
        (b"", "# -*- coding: latin-1 -*-\n" + UNGUARDED.replace("[-1]", "['café', 'naïve']"), "latin-1"),
        (b"", "# vim: set fileencoding=cp1252 :\n" + UNGUARDED.replace("[-1]", "['€', '‘quoted’']"), "cp1252"),
        (b"\xef\xbb\xbf", UNGUARDED.replace("[-1]", "['日本', 'ß']"), "utf-8"),
    ],
    ids=["latin-1", "cp1252", "utf-8-bom"],
)
def test_a_fix_is_written_back_in_the_files_own_encoding(
    project: Path, prefix: bytes, source: str, encoding: str
) -> None:
    script = write(project, "script.py", prefix + source.encode(encoding))

    assert mpfix("fix", "script.py").exit_code == 0

    assert script.read_bytes() == prefix + package.fix_source(source).encode(encoding)
    assert GUARD in script.read_bytes().decode(encoding)


def test_cr_only_line_endings_are_kept_or_the_file_is_not_touched(project: Path) -> None:
    # Without a final newline libcst gives the file back byte for byte, so it is fixed, in CRs.
    unterminated = write(project, "unterminated.py", UNGUARDED.rstrip("\n").replace("\n", "\r"))
    # libcst drops a lone "\r" that ends a file: fixing it would lose that byte, so neither
    # `check` nor `fix` offers a fix.
    terminated = write(project, "terminated.py", UNGUARDED.replace("\n", "\r"))

    checked = mpfix("check", "terminated.py")
    result = mpfix("fix", "unterminated.py", "terminated.py")

    assert "[*]" not in checked.stdout and "fixable" not in checked.stdout
    assert "Not fixed: libcst does not give this file back byte for byte" in checked.stdout
    assert result.exit_code == 1  # the finding in terminated.py is left
    assert result.stderr == ""
    assert unterminated.read_bytes() == FIXED.rstrip("\n").replace("\n", "\r").encode()
    assert terminated.read_bytes() == UNGUARDED.replace("\n", "\r").encode()


@pytest.mark.parametrize(
    "tail",
    ["# end\n    \n # kept\n ", "    # an indented comment with no final newline", "\n\n    \n", "    # a\r\n\x0c\r\n"],
    ids=["comments-and-blanks", "indented-comment-unterminated", "blank-lines", "crlf-form-feed"],
)
def test_comments_and_blank_lines_ending_a_file_survive_a_fix_unchanged(project: Path, tail: str) -> None:
    # libcst keeps such lines in the last indented block, or drops them: they are set aside
    # before parsing and put back after the fixed code, so the fix is offered and applied.
    source = "import multiprocessing as mp\npool = mp.Pool(2)\nprint(pool.map(abs, [1]))\n" + tail
    script = write(project, "script.py", source)

    checked = mpfix("check", "script.py")
    result = mpfix("fix", "script.py")

    assert "Found 2 errors (2 fixable with `mpfix fix`)." in checked.stdout  # MP001 and MP011
    assert result.exit_code == 0
    assert script.read_bytes().decode() == (
        "import multiprocessing as mp\n"
        'if __name__ == "__main__":\n'
        "    with mp.Pool(2) as pool:\n"
        "        print(pool.map(abs, [1]))\n" + tail
    )


def test_mixed_line_endings_tabs_and_form_feeds_survive_a_fix(project: Path) -> None:
    source = (
        "import multiprocessing as mp\r\n"
        "\x0c\n"  # a form feed (a page break) alone on its line
        "# tab-indented below\n"
        "if True:\r\n"
        "\twith mp.Pool(2) as p:\n"
        "\t\tprint(p.map(abs, [-1]))\t# trailing tab comment\r\n"
    )
    script = write(project, "script.py", source)

    assert mpfix("fix", "script.py").exit_code == 0

    fixed = script.read_bytes()
    assert fixed == package.fix_source(source).encode()
    assert GUARD.encode() in fixed
    for line in source.splitlines(keepends=True)[:3]:  # the lines above the fix, endings and all
        assert line.encode() in fixed
    assert b"\t# trailing tab comment\r\n" in fixed
    compile(fixed, "script.py", "exec")


@pytest.mark.parametrize(
    "content",
    [b"", b"\n", b"\r\n", b"# multiprocessing\n", b"import multiprocessing", b"\xef\xbb\xbf", b"   \n\t\n"],
    ids=["empty", "newline", "crlf", "comment", "no-final-newline", "bom-only", "blank-lines"],
)
def test_empty_and_nearly_empty_files_are_clean_and_untouched(project: Path, content: bytes) -> None:
    path = write(project, "empty.py", content)
    os.utime(path, (0, 0))

    assert (mpfix("check", "empty.py").exit_code, mpfix("fix", "empty.py").exit_code) == (0, 0)

    assert (path.read_bytes(), path.stat().st_mtime) == (content, 0)


# -- large files ----------------------------------------------------------------------


def test_a_file_of_tens_of_megabytes_is_skipped_as_too_large_and_the_run_goes_on(project: Path) -> None:
    generated = "import multiprocessing\n" + "TABLE.append((1, 2, 3))\n" * 1_300_000  # 31 MB
    large = write(project, "large.py", generated)
    data_only = write(project, "data_only.py", "TABLE.append((1, 2, 3))\n" * 1_300_000)  # fails the prefilter
    write(project, "script.py")

    result = mpfix("fix", ".")

    assert result.exit_code == 2
    assert errors(result.stderr)["large.py"]["message"] == "too large to analyse (29.8 MB, over 2 MB)"
    assert large.read_text(encoding="utf-8") == generated
    assert data_only.stat().st_size == 31_200_000
    assert (project / "script.py").read_text(encoding="utf-8") == FIXED


def test_the_size_limit_counts_bytes_up_to_and_including_the_limit(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at_limit = write(project, "at_limit.py")
    over = write(project, "over.py", UNGUARDED + "#")
    monkeypatch.setattr(pipeline, "MAX_FILE_SIZE", len(UNGUARDED))

    result = mpfix("fix", "at_limit.py", "over.py")

    assert at_limit.read_text(encoding="utf-8") == FIXED
    assert over.read_text(encoding="utf-8") == UNGUARDED + "#"
    assert errors(result.stderr)["over.py"]["message"].startswith("too large to analyse (")


# -- what is on the disk --------------------------------------------------------------


def test_a_folder_named_like_a_python_file_is_walked_when_named(project: Path) -> None:
    inner = write(project, "tool.py/inner.py")

    result = mpfix("fix", "tool.py")

    assert result.exit_code == 0
    assert inner.read_text(encoding="utf-8") == FIXED


def test_broken_and_cyclic_symlinks_are_errors_when_named_and_skipped_when_walked(project: Path) -> None:
    write(project, "script.py")
    (project / "broken.py").symlink_to(project / "missing.py")
    (project / "loop_a.py").symlink_to(project / "loop_b.py")
    (project / "loop_b.py").symlink_to(project / "loop_a.py")
    (project / "folder_loop").symlink_to(project, target_is_directory=True)

    walked = mpfix("fix", ".")
    assert (walked.exit_code, walked.stderr) == (0, "")
    assert (project / "script.py").read_text(encoding="utf-8") == FIXED

    named = mpfix("check", "broken.py", "loop_a.py")
    assert named.exit_code == 2
    assert {path: match["message"] for path, match in errors(named.stderr).items()} == {
        "broken.py": "No such file or directory",
        "loop_a.py": "Too many levels of symbolic links",
    }


def test_a_read_only_file_is_an_error_and_keeps_its_bytes_and_mode(project: Path) -> None:
    script = write(project, "script.py")
    script.chmod(0o444)
    write(project, "other.py")

    result = mpfix("fix", ".")

    assert result.exit_code == 2
    assert {path: match["message"] for path, match in errors(result.stderr).items()} == {
        "script.py": "read-only file, not written"
    }
    assert snapshot(project) == {"other.py": (FIXED.encode(), 0o644), "script.py": (UNGUARDED.encode(), 0o444)}
    assert "script.py:2:6: MP001 " in result.stdout  # its finding is still reported as remaining


def _chattr(flag: str, path: Path) -> bool:
    """Set or clear the immutable flag; False where chattr is missing or not allowed."""
    try:
        return subprocess.run(["chattr", flag, str(path)], capture_output=True, check=False).returncode == 0
    except OSError:
        return False


@pytest.mark.parametrize(
    ("what", "message"), [("file", "read-only file, not written"), ("folder", "Operation not permitted")]
)
def test_an_immutable_file_or_folder_is_an_error_and_nothing_is_written(project: Path, what: str, message: str) -> None:
    # Root passes permission checks, so an immutable file or folder (chattr +i) stands in
    # for what an ordinary user cannot write.
    script = write(project, "locked/script.py")
    locked = script if what == "file" else script.parent
    if not _chattr("+i", locked):
        pytest.skip("chattr +i is not available or not permitted here")
    try:
        result = mpfix("fix", "locked/script.py")
    finally:
        _chattr("-i", locked)

    assert result.exit_code == 2
    assert errors(result.stderr)[os.path.join("locked", "script.py")]["message"] == message
    assert snapshot(project) == {os.path.join("locked", "script.py"): (UNGUARDED.encode(), 0o644)}


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root reads every file")
def test_an_unreadable_file_is_an_error(project: Path) -> None:
    script = write(project, "script.py")
    script.chmod(0)
    try:
        result = mpfix("check", "script.py")
    finally:
        script.chmod(0o644)

    assert result.exit_code == 2
    assert result.stderr == "script.py: error: Permission denied\n"


@pytest.mark.skipif(sys.platform != "linux", reason="file names are bytes on Linux only")
def test_a_file_name_that_is_not_utf8_is_checked_and_fixed_and_printed_as_its_bytes(tmp_path: Path) -> None:
    name = os.fsdecode(b"caf\xe9.py")
    try:
        write(tmp_path, name)
    except (OSError, UnicodeEncodeError):
        pytest.skip("the file system refuses names that are not UTF-8")

    def run(command: str) -> subprocess.CompletedProcess:
        # Bytes out: the name is printed as the bytes it has on disk, as ls prints it.
        arguments = [str(MPFIX), command, "--no-cache", "--output-format", "concise", "."]
        return subprocess.run(arguments, cwd=tmp_path, capture_output=True, timeout=120, check=False)

    checked = run("check")
    assert (checked.returncode, checked.stderr) == (1, b"")
    assert checked.stdout.startswith(b"caf\xe9.py:2:6: MP001 ")

    fixed = run("fix")
    assert (fixed.returncode, fixed.stderr) == (0, b"")
    assert fixed.stdout.startswith(b"caf\xe9.py: fixed 1 finding (MP001)\n")
    assert os.listdir(tmp_path) == [name]
    assert (tmp_path / name).read_text(encoding="utf-8") == FIXED


@pytest.mark.skipif(sys.platform != "linux", reason="file names are bytes on Linux only")
def test_sarif_output_names_a_file_whose_name_is_not_utf8(project: Path) -> None:
    write(project, os.fsdecode(b"caf\xe9.py"))

    result = mpfix("check", "--output-format", "sarif", ".")

    assert result.exit_code == 1
    assert "caf%E9.py" in result.stdout


# -- files that change under mpfix ----------------------------------------------------


def test_a_file_edited_while_it_is_analysed_is_not_overwritten(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    script = write(project, "script.py")
    edited = UNGUARDED + "# saved by an editor meanwhile\n"
    analyse = workers.analyse_file

    def analyse_then_edit(job: workers.Job) -> FileResult:
        result = analyse(job)
        script.write_text(edited, encoding="utf-8")
        return result

    monkeypatch.setattr(workers, "analyse_file", analyse_then_edit)  # one file: analysed in this process

    result = mpfix("fix", "script.py")

    assert result.exit_code == 2
    assert result.stderr == "script.py: error: changed on disk while mpfix ran; not written\n"
    assert script.read_text(encoding="utf-8") == edited
    assert [path.name for path in project.iterdir()] == ["script.py"]


def test_a_file_edited_while_its_fix_is_being_written_is_not_overwritten(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = write(project, "script.py")
    edited = UNGUARDED + "# saved by an editor meanwhile\n"
    fsync = os.fsync

    def edit_while_the_temporary_file_is_flushed(descriptor: int) -> None:
        fsync(descriptor)
        if script.read_text(encoding="utf-8") != edited:
            script.write_text(edited, encoding="utf-8")

    monkeypatch.setattr(os, "fsync", edit_while_the_temporary_file_is_flushed)

    result = mpfix("fix", "script.py")

    assert result.exit_code == 2
    assert result.stderr == "script.py: error: changed on disk while mpfix ran; not written\n"
    assert script.read_text(encoding="utf-8") == edited
    assert [path.name for path in project.iterdir()] == ["script.py"]


# -- where mpfix may write ------------------------------------------------------------


def test_a_path_outside_the_working_tree_is_processed_when_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    outside = write(tmp_path, "outside/script.py")
    (tmp_path / "project").mkdir()
    monkeypatch.chdir(tmp_path / "project")

    result = mpfix("fix", os.path.join(os.pardir, "outside", "script.py"))

    assert result.exit_code == 0
    assert outside.read_text(encoding="utf-8") == FIXED


def test_symlinks_out_of_the_tree_are_not_followed_and_nothing_outside_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    outside = tmp_path / "outside"
    write(outside, "script.py")
    write(outside, "pkg/job.py")
    project = tmp_path / "project"
    write(project, "script.py")
    (project / "linked.py").symlink_to(outside / "script.py")
    (project / "vendor").symlink_to(outside / "pkg", target_is_directory=True)
    before = snapshot(outside)
    monkeypatch.chdir(project)

    result = mpfix("fix", ".")

    assert (result.exit_code, result.stdout) == (
        0,
        "script.py: fixed 1 finding (MP001)\nFixed 1 finding in 1 file, 0 remaining.\n",
    )
    assert snapshot(outside) == before
    assert (project / "script.py").read_text(encoding="utf-8") == FIXED


def entries(folder: Path) -> dict[str, tuple[object, ...]]:
    """Every entry under ``folder``, folders included, as lstat sees it: its kind, mode and
    modification time, and a file's bytes (a file made and removed again changes its folder)."""
    found: dict[str, tuple[object, ...]] = {}
    for path in sorted(folder.rglob("*")):
        info = path.lstat()
        content = path.read_bytes() if stat.S_ISREG(info.st_mode) else None
        found[path.relative_to(folder).as_posix()] = (info.st_mode, info.st_mtime_ns, content)
    return found


def test_a_fix_run_changes_only_the_files_it_fixes_under_the_paths_given(tmp_path: Path) -> None:
    # Fixable scripts everywhere: under the two paths given (a folder and a file), beside
    # them, above them, in a sibling folder and in the working directory.
    root = tmp_path / "root"
    for name in ("script.py", "sibling/script.py", "cwd/script.py", "project/script.py", "project/beside.py"):
        write(root, name)
    fixed = {"project/named/script.py", "project/named/deeper/script.py", "project/file.py"}
    for name in fixed:
        write(root, name)
    write(root, "project/named/clean.py", "import multiprocessing\n\nprint(multiprocessing.cpu_count())\n")
    before = entries(root)

    named, file = str(root / "project" / "named"), os.path.join(os.pardir, "project", "file.py")
    result = mpfix_process("fix", "--jobs", "2", "--output-format", "concise", named, file, cwd=root / "cwd")

    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.endswith("\nFixed 3 findings in 3 files, 0 remaining.\n"), result.stdout
    after = entries(root)
    changed = {name for name in before.keys() | after.keys() if before.get(name) != after.get(name)}
    # The fixed files, and at most the folders that hold them (where each new file is made).
    assert fixed <= changed <= fixed | {"project/named", "project/named/deeper", "project"}
    for name in fixed:
        assert (root / name).read_text(encoding="utf-8") == FIXED


# -- hostile input: mpfix reads code and settings, never runs them --------------------

# Importing or running any of these would leave a marker file behind.
PLANTED = "open({marker!r}, 'w').write(__file__)\nraise SystemExit('executed: ' + __file__)\n"


def test_the_scanned_code_is_never_imported_or_run(tmp_path: Path) -> None:
    markers = tmp_path / "markers"
    markers.mkdir()
    project = tmp_path / "project"

    def plant(name: str, before: str = "", after: str = "") -> None:
        write(project, name, before + PLANTED.format(marker=str(markers / name.replace("/", "_"))) + after)

    plant("script.py", before="import multiprocessing as mp\n", after="with mp.Pool(2) as p:\n    p.map(abs, [1])\n")
    plant("conftest.py", before="import multiprocessing\n")
    plant("setup.py", before="import multiprocessing\n")
    # Modules named like mpfix's own dependencies, and the hooks Python runs at start-up.
    for name in ("typer.py", "libcst.py", "pathspec.py", "sitecustomize.py", "usercustomize.py", "pkg/__init__.py"):
        plant(name, before="import multiprocessing\n")
    # A build backend, named by the pyproject.toml that mpfix reads its settings from.
    plant("backend.py", before="import multiprocessing\n")
    write(
        project,
        "pyproject.toml",
        '[build-system]\nrequires = []\nbuild-backend = "backend"\nbackend-path = ["."]\n\n'
        '[project]\nname = "planted"\ndynamic = ["version"]\n\n[tool.mpfix]\nextend-exclude = ["vendor"]\n',
    )
    write(project, "vendor/script.py")  # left alone only if the settings were read

    for command in (["check"], ["fix"], ["diff"]):
        result = mpfix_process(*command, "--no-cache", "--jobs", "2", ".", cwd=project)
        assert result.returncode in (0, 1), result.stderr
        assert list(markers.iterdir()) == []
    assert GUARD in (project / "script.py").read_text(encoding="utf-8")
    assert (project / "vendor" / "script.py").read_text(encoding="utf-8") == UNGUARDED


@pytest.mark.parametrize(
    "setting",
    [
        "select = [\"__import__('os').system('touch {marker}')\"]",
        'exclude = ["$(touch {marker})", "`touch {marker}`"]',
        'per-file-ignores = {{"$(touch {marker})" = ["MP001"]}}',
    ],
    ids=["select", "exclude", "per-file-ignores"],
)
def test_the_configuration_is_parsed_never_evaluated(tmp_path: Path, setting: str) -> None:
    marker = tmp_path / "marker"
    project = tmp_path / "project"
    write(project, "pyproject.toml", "[tool.mpfix]\n" + setting.format(marker=marker) + "\n")
    write(project, "script.py")

    result = mpfix_process("check", "--no-cache", ".", cwd=project)

    assert result.returncode in (1, 2)
    assert "Traceback" not in result.stderr
    assert not marker.exists()
