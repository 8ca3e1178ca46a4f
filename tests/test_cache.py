"""The result cache: a second run over unchanged files is answered without analysis."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

UNGUARDED = "import multiprocessing as mp\nmp.Process(target=print).start()\n"
GUARDED = "import multiprocessing as mp\nif __name__ == '__main__':\n    mp.Process(target=print).start()\n"


def mpfix(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """`python -X importtime -m mpfix ...`: stderr also lists every module imported."""
    return subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "mpfix", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=os.environ,
    )


def findings(run: subprocess.CompletedProcess[str]) -> str:
    return run.stdout


def imported(run: subprocess.CompletedProcess[str], module: str) -> bool:
    return any(line.rsplit("|", 1)[-1].strip() == module for line in run.stderr.splitlines())


def imported_libcst(run: subprocess.CompletedProcess[str]) -> bool:
    return imported(run, "libcst")


def test_second_run_is_answered_from_the_cache(tmp_path: Path) -> None:
    (tmp_path / "script.py").write_text(UNGUARDED)
    first = mpfix("check", "--output-format", "concise", ".", cwd=tmp_path)
    second = mpfix("check", "--output-format", "concise", ".", cwd=tmp_path)
    assert first.returncode == second.returncode == 1
    assert "MP001" in findings(first) and findings(second) == findings(first)
    assert imported_libcst(first) and not imported_libcst(second)
    # Nor the machinery of worker processes, nor the installed packages' metadata.
    assert imported(first, "concurrent.futures") and not imported(second, "concurrent.futures")
    assert not imported(first, "importlib.metadata") and not imported(second, "importlib.metadata")


def test_a_changed_file_is_analysed_again(tmp_path: Path) -> None:
    script = tmp_path / "script.py"
    script.write_text(UNGUARDED)
    assert mpfix("check", ".", cwd=tmp_path).returncode == 1
    script.write_text(GUARDED)
    assert mpfix("check", ".", cwd=tmp_path).returncode == 0
    # Still in need of the full analysis, so not settled by the pre-checks alone.
    script.write_text(UNGUARDED.replace("print", "repr"))
    again = mpfix("check", "--output-format", "concise", ".", cwd=tmp_path)
    assert again.returncode == 1 and "MP001" in findings(again) and imported_libcst(again)


def test_other_settings_do_not_share_results(tmp_path: Path) -> None:
    (tmp_path / "script.py").write_text(UNGUARDED)
    assert mpfix("check", ".", cwd=tmp_path).returncode == 1
    assert mpfix("check", "--select", "MP002", ".", cwd=tmp_path).returncode == 0


def test_a_corrupt_cache_is_rebuilt(tmp_path: Path) -> None:
    (tmp_path / "script.py").write_text(UNGUARDED)
    assert mpfix("check", ".", cwd=tmp_path).returncode == 1
    [cache_file] = Path(os.environ["MPFIX_CACHE_DIR"]).glob("results-*.json")
    cache_file.write_text("{not json")
    rebuilt = mpfix("check", "--output-format", "concise", ".", cwd=tmp_path)
    assert rebuilt.returncode == 1 and "MP001" in findings(rebuilt)
    assert "error" not in rebuilt.stderr.lower().replace("errors", "")
    assert mpfix("check", ".", cwd=tmp_path).returncode == 1 and cache_file.read_text().startswith("{")


def test_no_cache_neither_reads_nor_writes(tmp_path: Path) -> None:
    (tmp_path / "script.py").write_text(UNGUARDED)
    run = mpfix("check", "--no-cache", ".", cwd=tmp_path)
    assert run.returncode == 1 and imported_libcst(run)
    assert not list(Path(os.environ["MPFIX_CACHE_DIR"]).glob("results-*.json"))


def test_diff_from_the_cache_shows_the_same_fix(tmp_path: Path) -> None:
    (tmp_path / "script.py").write_text(UNGUARDED)
    first = mpfix("diff", ".", cwd=tmp_path)
    second = mpfix("diff", ".", cwd=tmp_path)
    assert first.returncode == second.returncode == 1
    assert 'if __name__ == "__main__":' in first.stdout and second.stdout == first.stdout
    assert not imported_libcst(second)


def test_fix_from_the_cache_writes_the_file(tmp_path: Path) -> None:
    script = tmp_path / "script.py"
    script.write_text(UNGUARDED)
    assert mpfix("diff", ".", cwd=tmp_path).returncode == 1  # fills the cache for fixing runs
    assert mpfix("fix", ".", cwd=tmp_path).returncode == 0
    assert 'if __name__ == "__main__":' in script.read_text()


# A worker module whose module-level queue is MP003's finding only when another module
# starts `work` in a child.
WORKERS = "import multiprocessing as mp\nresults = mp.Queue()\ndef work(n):\n    results.put(n)\n"
STARTS_WORK = (
    "import multiprocessing as mp\nfrom workers import work\n"
    "if __name__ == '__main__':\n    mp.Process(target=work, args=(1,)).start()\n"
)
CALLS_WORK = "from workers import work\nif __name__ == '__main__':\n    work(1)\n"


def test_a_change_in_a_module_it_depends_on_analyses_a_file_again(tmp_path: Path) -> None:
    (tmp_path / "workers.py").write_text(WORKERS)
    main = tmp_path / "main.py"
    main.write_text(CALLS_WORK)
    assert mpfix("check", ".", cwd=tmp_path).returncode == 0
    main.write_text(STARTS_WORK)
    started = mpfix("check", "--output-format", "concise", ".", cwd=tmp_path)
    assert started.returncode == 1 and findings(started).startswith("workers.py:2:11: MP003 ")
    main.write_text(CALLS_WORK)
    assert mpfix("check", ".", cwd=tmp_path).returncode == 0


def test_an_unchanged_program_of_several_modules_is_answered_from_the_cache(tmp_path: Path) -> None:
    (tmp_path / "workers.py").write_text(WORKERS)
    (tmp_path / "main.py").write_text(STARTS_WORK)
    first = mpfix("check", "--output-format", "concise", ".", cwd=tmp_path)
    second = mpfix("check", "--output-format", "concise", ".", cwd=tmp_path)
    assert first.returncode == second.returncode == 1 and findings(second) == findings(first)
    assert imported_libcst(first) and not imported_libcst(second)


IMPORTS_BOTH = STARTS_WORK.replace("import work", "import results, work") + "    print(results.get(timeout=5))\n"


def test_a_fix_across_files_is_answered_from_the_cache(tmp_path: Path) -> None:
    (tmp_path / "workers.py").write_text(WORKERS)
    (tmp_path / "main.py").write_text(IMPORTS_BOTH)
    first = mpfix("check", "--output-format", "concise", ".", cwd=tmp_path)
    second = mpfix("check", "--output-format", "concise", ".", cwd=tmp_path)
    assert "shares [*]\n" in findings(first) and findings(second) == findings(first)
    assert imported_libcst(first) and not imported_libcst(second)
    # A new module that imports the queue: the cached plan no longer holds.
    (tmp_path / "stats.py").write_text("from workers import results\n")
    third = mpfix("check", "--output-format", "concise", ".", cwd=tmp_path)
    assert "; not fixed: the children are started in main.py" in findings(third)


# Of the same length as UNGUARDED, but no multiprocessing: the prefilter passes over it.
CLEAN = "import threading as th\nth.Thread(target=print).start()  # one\n"


def test_an_edit_that_keeps_the_size_and_modification_time_goes_unseen_as_in_ruff(tmp_path: Path) -> None:
    script = tmp_path / "script.py"
    script.write_text(CLEAN)
    assert len(CLEAN) == len(UNGUARDED)
    assert mpfix("check", ".", cwd=tmp_path).returncode == 0
    before = script.stat()
    with open(script, "r+") as file:  # in place: the same inode
        file.write(UNGUARDED)
    os.utime(script, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert mpfix("check", ".", cwd=tmp_path).returncode == 0
    assert mpfix("check", "--no-cache", ".", cwd=tmp_path).returncode == 1


def test_a_file_the_prefilter_passed_over_is_read_again_once_its_modification_time_changes(tmp_path: Path) -> None:
    script = tmp_path / "script.py"
    script.write_text(CLEAN)
    assert mpfix("check", ".", cwd=tmp_path).returncode == 0
    before = script.stat()
    script.write_text(UNGUARDED)
    os.utime(script, ns=(before.st_atime_ns, before.st_mtime_ns + 1_000_000))
    again = mpfix("check", "--output-format", "concise", ".", cwd=tmp_path)
    assert again.returncode == 1 and "MP001" in findings(again)


def test_a_touched_but_unchanged_file_is_answered_from_the_cache(tmp_path: Path) -> None:
    script = tmp_path / "script.py"
    script.write_text(UNGUARDED)
    first = mpfix("check", "--output-format", "concise", ".", cwd=tmp_path)
    os.utime(script, ns=(script.stat().st_atime_ns, script.stat().st_mtime_ns + 1_000_000))
    touched = mpfix("check", "--output-format", "concise", ".", cwd=tmp_path)
    assert touched.returncode == first.returncode == 1 and findings(touched) == findings(first)
    assert not imported_libcst(touched)


def cache_files() -> dict[Path, int]:
    """Every file of the cache, with its modification time."""
    return {path: path.stat().st_mtime_ns for path in Path(os.environ["MPFIX_CACHE_DIR"]).rglob("*") if path.is_file()}


def test_a_run_that_learns_nothing_new_writes_no_cache_file(tmp_path: Path) -> None:
    (tmp_path / "script.py").write_text(UNGUARDED)
    (tmp_path / "clean.py").write_text(CLEAN)
    assert mpfix("check", ".", cwd=tmp_path).returncode == 1
    written = cache_files()
    assert any(path.suffix == ".marshal" for path in written) and any(path.suffix == ".json" for path in written)
    assert mpfix("check", ".", cwd=tmp_path).returncode == 1
    assert cache_files() == written


def test_a_corrupt_file_index_is_rebuilt(tmp_path: Path) -> None:
    (tmp_path / "script.py").write_text(UNGUARDED)
    assert mpfix("check", ".", cwd=tmp_path).returncode == 1
    for path in cache_files():
        if path.suffix == ".marshal":
            path.write_bytes(b"\x00not marshal")
    rebuilt = mpfix("check", "--output-format", "concise", ".", cwd=tmp_path)
    assert rebuilt.returncode == 1 and "MP001" in findings(rebuilt) and not rebuilt.stderr.count("Error")


def test_other_code_of_the_same_size_and_time_has_results_of_its_own(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Another release, or an edit put back to the old time: the bytes name the code."""
    from mpfix.run import cache

    package = tmp_path / "mpfix"
    package.mkdir()
    rule = package / "a_rule.py"
    rule.write_text("FOUND = 1\n")
    stamp = rule.stat().st_mtime_ns
    monkeypatch.setattr(cache, "__file__", str(package / "run" / "cache.py"))
    before = cache.ResultCache(tmp_path).path

    rule.write_text("FOUND = 2\n")
    os.utime(rule, ns=(stamp, stamp))
    assert cache.ResultCache(tmp_path).path != before


def test_a_copy_without_its_sources_is_named_by_its_version(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Bytecode only, or a zip file: no module to read, so the version names the code."""
    from mpfix.run import cache

    (tmp_path / "mpfix" / "run").mkdir(parents=True)
    monkeypatch.setattr(cache, "__file__", str(tmp_path / "mpfix" / "run" / "cache.pyc"))
    monkeypatch.setattr(cache, "mpfix_version", lambda: "1.0.0")
    one = cache.ResultCache(tmp_path).path
    monkeypatch.setattr(cache, "mpfix_version", lambda: "1.0.1")

    assert cache.ResultCache(tmp_path).path != one


def test_another_interpreter_has_results_of_its_own(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Whether a file parses, and the message when it does not, are the interpreter's."""
    from mpfix.run import cache

    this = cache.ResultCache(tmp_path).path
    monkeypatch.setattr(sys.implementation, "cache_tag", "cpython-399")

    assert cache.ResultCache(tmp_path).path != this


PYTHON_2 = "import multiprocessing\n\nprint 'started'\n"


def test_a_file_that_does_not_parse_is_answered_from_the_cache(tmp_path: Path) -> None:
    """Its bytes decide that it does not parse: a second run reports the same error
    without loading libcst to find it again, and an edit that mends it is analysed."""
    script = tmp_path / "legacy.py"
    script.write_text(PYTHON_2)
    first = mpfix("check", "--output-format", "concise", ".", cwd=tmp_path)
    second = mpfix("check", "--output-format", "concise", ".", cwd=tmp_path)
    assert first.returncode == second.returncode == 2
    assert "legacy.py:3:1: error: cannot parse" in first.stdout + first.stderr
    assert (second.stdout, _errors(second)) == (first.stdout, _errors(first))
    assert imported_libcst(first) and not imported_libcst(second)
    script.write_text(PYTHON_2.replace("print 'started'", "print('started')"))
    mended = mpfix("check", "--output-format", "concise", ".", cwd=tmp_path)
    assert mended.returncode == 0 and "error" not in mended.stdout + _errors(mended)


def _errors(run: subprocess.CompletedProcess[str]) -> str:
    """stderr without the lines of ``-X importtime``."""
    return "\n".join(line for line in run.stderr.splitlines() if not line.startswith("import time:"))


def test_only_errors_that_the_bytes_decide_are_kept() -> None:
    """A file that cannot be read, a worker that died, a bug in a rule, a fix that
    misbehaved: the next run tries again."""
    from mpfix.model import ErrorKind, FileError, FileResult
    from mpfix.run.cache import cacheable

    def result(kind: ErrorKind) -> FileResult:
        return FileResult("a.py", errors=[FileError("a.py", kind, "what happened")])

    assert cacheable(FileResult("a.py"))
    assert {kind for kind in ErrorKind if cacheable(result(kind))} == {ErrorKind.PARSE, ErrorKind.DECODE}


def test_other_needles_have_a_file_index_of_their_own(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from mpfix.registry import RULES
    from mpfix.run import cache, index

    this = cache.ResultCache(tmp_path).files.directory
    monkeypatch.setattr(index, "RULES", (replace(RULES[0], needles=((b"another",),)), *RULES[1:]))

    assert cache.ResultCache(tmp_path).files.directory != this


def test_a_copy_that_runs_from_its_sources_has_results_of_its_own_after_each_edit(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from mpfix.run import cache

    package = tmp_path / "mpfix"
    (package / "rules").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    rule = package / "rules" / "a_rule.py"
    rule.write_text("FOUND = 1\n")
    monkeypatch.setattr(cache, "__file__", str(package / "run" / "cache.py"))
    before = cache.ResultCache(tmp_path).path

    assert cache.ResultCache(tmp_path).path == before  # nothing changed: the same results
    rule.write_text("FOUND = 22\n")  # the version stays, the code does not
    assert cache.ResultCache(tmp_path).path != before


def test_a_warm_run_asks_the_index_what_the_model_asks_of_unchanged_bytes(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Whether a file names multiprocessing, and whether it may start processes, are
    looked for in its bytes once; until the file changes, the index of files answers."""
    from mpfix.registry import RULES
    from mpfix.run import cache, project
    from mpfix.run.pipeline import run
    from mpfix.run.request import Options, Request

    scripts = tmp_path / "project"
    scripts.mkdir()
    (scripts / "script.py").write_text(UNGUARDED)
    (scripts / "guarded.py").write_text(GUARDED)
    asked: list[str] = []
    for name in ("_names_scope", "_may_matter"):
        looked = getattr(project, name)
        monkeypatch.setattr(project, name, lambda data, name=name, looked=looked: asked.append(name) or looked(data))

    def check() -> list[list[str]]:
        results = run(Request([str(scripts)], Options(rules=RULES), jobs=1, cache=cache.ResultCache(tmp_path / "c")))
        return [[finding.code for finding in result.findings] for result in results]

    assert check() == [[], ["MP001"]]
    assert asked == ["_may_matter", "_may_matter"]  # (the prefilter found that both name it)
    asked.clear()
    assert check() == [[], ["MP001"]]
    assert asked == []
    touched = (scripts / "script.py").stat()
    os.utime(scripts / "script.py", ns=(touched.st_atime_ns, touched.st_mtime_ns + 1_000_000))
    assert check() == [[], ["MP001"]]
    assert asked == ["_may_matter"]


@pytest.mark.parametrize(
    "path",
    ["a.py", "./a.py", "pkg/a.py", "pkg//a.py", "pkg/./a.py", "../a.py", "pkg/../a.py", "/a.py", "//a.py",
     "/tmp/pkg/a.py", "//tmp/a.py", "pkg/..", "pkg/.", "pkg/", ".", "..", "/"],
)  # fmt: skip
def test_the_index_knows_a_file_by_its_absolute_path_and_its_folders(path: str, tmp_path: Path) -> None:
    from mpfix.run.index import FileIndex

    index = FileIndex(tmp_path)
    for _ in range(2):  # the second time, from the folder's absolute path made the first
        key, folder, name = index._place(path)
        assert key == os.path.normpath(os.path.join(os.getcwd(), path))
        assert (folder, name) == os.path.split(key)


def test_a_run_hashes_a_files_bytes_once_and_an_editors_checks_keep_no_digest(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A run asks the cache about a file's bytes with several salts (its result, its
    summary): their digest is made once. An editor's cache, asked about each keystroke's
    text, keeps none of them."""
    import hashlib

    from mpfix.registry import RULES
    from mpfix.run import cache
    from mpfix.run.pipeline import run
    from mpfix.run.request import Options, Request

    hashed: list[bytes] = []

    class Counting:
        @staticmethod
        def sha256(data: bytes = b"") -> object:
            hashed.append(bytes(data))
            return hashlib.sha256(data)

    monkeypatch.setattr(cache, "hashlib", Counting)
    scripts = tmp_path / "project"
    scripts.mkdir()
    (scripts / "script.py").write_text(UNGUARDED)
    results = cache.ResultCache(tmp_path / "c")
    for _ in range(2):  # cold, then warm
        hashed.clear()
        [result] = run(Request([str(scripts)], Options(rules=RULES), jobs=1, cache=results))
        assert [finding.code for finding in result.findings] == ["MP001"]
        assert hashed.count(UNGUARDED.encode()) == 1
        assert results.digests is None
    editor = cache.ResultCache(tmp_path / "c")
    hashed.clear()
    for salt in ("typed", "saved"):
        assert editor.get(UNGUARDED.encode(), salt) is None
    assert hashed.count(UNGUARDED.encode()) == 2 and editor.digests is None
