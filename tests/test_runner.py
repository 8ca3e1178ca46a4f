"""The runner: which files it finds, how it reads and writes them, and how it survives failures."""

from __future__ import annotations

import multiprocessing
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from mpfix import screening
from mpfix.analysis.project.summary import summarize
from mpfix.model import ErrorKind, FileError, FileResult
from mpfix.registry import RULES, matching
from mpfix.run import feed, workers
from mpfix.run.discover import DEFAULT_EXCLUDES, decode, discover
from mpfix.run.pipeline import check_bytes, run
from mpfix.run.request import Options, Request
from mpfix.run.write import write_atomically
from mpfix.screening import screen, settled_on_ast

UNGUARDED = "import multiprocessing as mp\nwith mp.Pool(2) as p:\n    print(p.map(abs, [-1]))\n"
GUARD = 'if __name__ == "__main__":'
# A library module that sets the start method (a finding decided on ``ast``) and uses a pool.
LIBRARY = """\
import multiprocessing


def setup():
    multiprocessing.set_start_method("spawn")


def run(xs):
    with multiprocessing.Pool(2) as pool:
        return pool.map(abs, xs)
"""
CHECK = Options(rules=RULES)
FIX = Options(rules=RULES, fix=True)


def write(folder: Path, name: str, text: str = UNGUARDED) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def found(*paths: Path | str, excludes: tuple[str, ...] = ()) -> list[str]:
    return list(discover([str(path) for path in paths], excludes))


# -- discovery ------------------------------------------------------------------------


def test_discover_walks_python_files_in_a_stable_order(tmp_path: Path) -> None:
    for name in ["b.py", "a.pyw", "sub/c.py", "sub/d.txt", "README.md", "setup.cfg"]:
        write(tmp_path, name)

    assert found(tmp_path) == [str(tmp_path / name) for name in ["a.pyw", "b.py", "sub/c.py"]]


def test_discover_names_each_file_once(tmp_path: Path) -> None:
    write(tmp_path, "a.py")

    assert found(tmp_path, tmp_path / "a.py", str(tmp_path) + "/./a.py") == [str(tmp_path / "a.py")]


def test_discover_skips_the_default_excludes(tmp_path: Path) -> None:
    excluded = [".git", ".venv", "venv", "build", "dist", "__pycache__", "node_modules", "pkg.egg-info", "deep/.tox"]
    for folder in excluded:
        write(tmp_path, f"{folder}/x.py")
    write(tmp_path, "deep/kept.py")

    assert found(tmp_path) == [str(tmp_path / "deep" / "kept.py")]


def test_discover_applies_extra_excludes(tmp_path: Path) -> None:
    write(tmp_path, "migrations/0001.py")
    write(tmp_path, "app/generated_pb2.py")
    write(tmp_path, "app/models.py")

    assert found(tmp_path, excludes=("migrations/", "*_pb2.py")) == [str(tmp_path / "app" / "models.py")]


EXCLUDE_PATTERNS = [
    *DEFAULT_EXCLUDES, "/build/", "docs/**/gen", "*_pb2.py", "tmp*", "a b", "build\t", "#comment", "", "**", "*",
]  # fmt: skip
PATHS = [
    "build", "build/", "a/build/x.py", "builds/", "x.egg-info/", "a/.git/", "docs/a/b/gen", "docs/gen", "m_pb2.py",
    "tmpdir/", "a b/", "src/app.py", "comment", "#comment", "",
]  # fmt: skip


@pytest.mark.parametrize("pattern", EXCLUDE_PATTERNS)
def test_an_exclude_is_asked_only_of_paths_that_may_match_and_answers_as_gitignore_patterns(pattern: str) -> None:
    from mpfix.run.discover import _compile, _spec

    for patterns in ([pattern], [*DEFAULT_EXCLUDES, pattern], [pattern, "!keep.py"], [pattern, "[ab].py"]):
        [(_, quick)] = _compile((None, each) for each in patterns)
        spec = _spec(patterns)
        assert [quick.match_file(path) for path in PATHS] == [spec.match_file(path) for path in PATHS], patterns


def test_nested_gitignore_files_apply_below_their_folder(tmp_path: Path) -> None:
    write(tmp_path, ".gitignore", "*.gen.py\nlegacy/\n")
    write(tmp_path, "top.gen.py")
    write(tmp_path, "legacy/old.py")
    write(tmp_path, "app/.gitignore", "local.py\n!keep.gen.py\n")
    write(tmp_path, "app/local.py")
    write(tmp_path, "app/keep.gen.py")  # re-included by the nearer .gitignore
    write(tmp_path, "app/other.gen.py")
    write(tmp_path, "lib/local.py")  # the app/ rule does not reach here
    write(tmp_path, "legacy/.gitignore", "!old.py\n")  # as in git: no way back into an ignored folder

    assert found(tmp_path) == [str(tmp_path / name) for name in ["app/keep.gen.py", "lib/local.py"]]


def test_a_gitignore_line_that_is_no_pattern_is_passed_over_as_git_passes_it_over(tmp_path: Path) -> None:
    write(tmp_path, ".gitignore", "!\n*.gen.py\n")  # a lone "!" negates nothing
    write(tmp_path, "top.gen.py")
    write(tmp_path, "app.py")
    assert found(tmp_path) == [str(tmp_path / "app.py")]


def test_a_gitignore_above_the_named_folder_counts_inside_its_repository(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    write(tmp_path, ".gitignore", "src/vendored/\n")
    write(tmp_path, "src/vendored/lib.py")
    write(tmp_path, "src/app.py")

    assert found(tmp_path / "src") == [str(tmp_path / "src" / "app.py")]


def test_a_gitignore_outside_any_repository_does_not_reach_down_into_a_named_folder(tmp_path: Path) -> None:
    write(tmp_path, ".gitignore", "src/vendored/\n")
    write(tmp_path, "src/vendored/lib.py")

    assert found(tmp_path / "src") == [str(tmp_path / "src" / "vendored" / "lib.py")]


def test_named_files_are_found_whatever_excludes_them(tmp_path: Path) -> None:
    write(tmp_path, ".gitignore", "ignored.py\n")
    named = [write(tmp_path, "ignored.py"), write(tmp_path, "build/x.py"), write(tmp_path, "script")]

    assert found(*named) == [str(path) for path in named]


def test_symlinks_are_not_followed_while_walking(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    write(outside, "target.py")
    project = tmp_path / "project"
    write(project, "real.py")
    (project / "linked.py").symlink_to(outside / "target.py")
    (project / "linked_dir").symlink_to(outside, target_is_directory=True)

    assert found(project) == [str(project / "real.py")]
    assert found(project / "linked.py") == [str(project / "linked.py")]


def test_a_folder_named_like_a_python_file_is_walked(tmp_path: Path) -> None:
    write(tmp_path, "odd.py/inner.py")

    assert found(tmp_path) == [str(tmp_path / "odd.py" / "inner.py")]


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="needs file permissions that bind")
def test_a_folder_that_cannot_be_listed_is_one_error(tmp_path: Path) -> None:
    write(tmp_path, "locked/x.py")
    write(tmp_path, "open.py")
    (tmp_path / "locked").chmod(0)
    try:
        results = run(Request([str(tmp_path)], CHECK, jobs=1))
    finally:
        (tmp_path / "locked").chmod(0o755)

    assert {result.path: result.errors for result in results} == {
        str(tmp_path / "locked"): [FileError(str(tmp_path / "locked"), ErrorKind.LIST, "Permission denied")],
        str(tmp_path / "open.py"): [],
    }


# -- reading --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "encoding", "text"),
    [
        (b"x = 1\r\ny = 2\r\n", "utf-8", "x = 1\r\ny = 2\r\n"),
        (b"\xef\xbb\xbfx = '\xc3\xa9'\n", "utf-8-sig", "x = 'é'\n"),
        (b"# coding: latin-1\nx = '\xe9'\n", "iso-8859-1", "# coding: latin-1\nx = 'é'\n"),
    ],
)
def test_decode_keeps_line_endings_and_remembers_the_encoding(data: bytes, encoding: str, text: str) -> None:
    assert decode(data) == (text, encoding)
    assert text.encode(encoding) == data


def test_undecodable_and_unparsable_files_are_errors_of_their_own(tmp_path: Path) -> None:
    (tmp_path / "latin.py").write_bytes(b"import multiprocessing\nname = '\xe9'\n")  # no cookie
    write(tmp_path, "broken.py", "import multiprocessing\ndef broken(:\n")
    write(tmp_path, "script.py")

    results = {Path(result.path).name: result for result in run(Request([str(tmp_path)], CHECK, jobs=1))}

    [decode_error] = results["latin.py"].errors
    assert (decode_error.kind, decode_error.message[:15]) == (ErrorKind.DECODE, "cannot decode: ")
    [parse_error] = results["broken.py"].errors
    assert (parse_error.kind, parse_error.line) == (ErrorKind.PARSE, 2)
    assert parse_error.message.startswith("cannot parse: ")
    assert [finding.code for finding in results["script.py"].findings] == ["MP001"]


def test_bytes_that_fail_the_prefilter_are_not_parsed() -> None:
    result = check_bytes("-", b"def broken(:\n", CHECK)  # would be a parse error if parsed

    assert (result.findings, result.errors) == ([], [])


def test_the_needles_are_looked_for_in_the_runner_only(monkeypatch: pytest.MonkeyPatch) -> None:
    from mpfix import registry

    looked_again: list[bytes] = []
    matching = registry.matching

    def counted(data: bytes, specs: tuple[registry.RuleSpec, ...]) -> list[registry.RuleSpec]:
        looked_again.append(data)
        return matching(data, specs)

    monkeypatch.setattr(registry, "matching", counted)  # as the engine calls it

    result = check_bytes("script.py", UNGUARDED.encode(), CHECK)

    assert [finding.code for finding in result.findings] == ["MP001"]
    assert looked_again == []


def test_a_missing_file_is_an_error(tmp_path: Path) -> None:
    [result] = run(Request([str(tmp_path / "gone.py")], CHECK))

    assert result.errors == [FileError(str(tmp_path / "gone.py"), ErrorKind.READ, "No such file or directory")]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_named_pipe_is_refused_rather_than_waited_on(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.py")

    [result] = run(Request([str(tmp_path / "pipe.py")], CHECK))

    assert result.errors == [FileError(str(tmp_path / "pipe.py"), ErrorKind.READ, "not a regular file")]


# -- writing --------------------------------------------------------------------------


def test_run_writes_only_in_write_mode_and_only_changed_files(tmp_path: Path) -> None:
    script = write(tmp_path, "script.py")
    library = write(tmp_path, "library.py", "import multiprocessing\n")
    os.utime(library, (0, 0))

    [library_result, script_result] = run(Request([str(tmp_path)], FIX, jobs=1))
    assert script_result.fixed is not None and GUARD in script_result.fixed
    assert script.read_text(encoding="utf-8") == UNGUARDED

    run(Request([str(tmp_path)], FIX, jobs=1, write=True))
    assert script.read_text(encoding="utf-8") == script_result.fixed
    assert library_result.fixed is None
    assert library.stat().st_mtime == 0


def test_a_file_changed_while_mpfix_ran_is_not_written(tmp_path: Path) -> None:
    script = write(tmp_path, "script.py")
    edited = UNGUARDED + "# edited meanwhile\n"

    def edit_while_analysing(done: int, total: int) -> None:
        script.write_text(edited, encoding="utf-8")

    [result] = run(Request([str(script)], FIX, jobs=1, write=True, progress=edit_while_analysing))

    assert script.read_text(encoding="utf-8") == edited
    assert result.errors == [FileError(str(script), ErrorKind.WRITE, "changed on disk while mpfix ran; not written")]
    assert (result.fixed, result.applied, result.remaining) == (None, [], result.findings)


def test_writing_through_a_named_symlink_keeps_the_link(tmp_path: Path) -> None:
    target = write(tmp_path, "target.py")
    link = tmp_path / "link.py"
    link.symlink_to(target)

    run(Request([str(link)], FIX, write=True))

    assert link.is_symlink()
    assert GUARD in target.read_text(encoding="utf-8")


def test_write_atomically_keeps_the_mode_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    path = tmp_path / "tool.py"
    path.write_bytes(b"old\n")
    path.chmod(0o740)

    write_atomically(str(path), b"new\n")

    assert path.read_bytes() == b"new\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o740
    assert os.listdir(tmp_path) == ["tool.py"]


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="only root may give a file away")
def test_write_atomically_keeps_the_owner_when_it_may(tmp_path: Path) -> None:
    path = tmp_path / "tool.py"
    path.write_bytes(b"old\n")
    os.chown(path, 4321, 4322)

    write_atomically(str(path), b"new\n")

    assert (path.stat().st_uid, path.stat().st_gid) == (4321, 4322)


# -- workers --------------------------------------------------------------------------

START_METHODS = [
    method for method in ("fork", "forkserver", "spawn") if method in multiprocessing.get_all_start_methods()
]


@pytest.mark.parametrize("method", START_METHODS)
def test_workers_started_by_every_start_method_analyse_every_file(tmp_path: Path, method: str) -> None:
    # Under forkserver a worker's OS parent is the fork server, not mpfix: a worker must not
    # take that for mpfix's death.
    for number in range(6):
        write(tmp_path, f"script{number}.py")

    results = run(Request([str(tmp_path)], CHECK, jobs=2, start_method=method))

    assert [
        (Path(result.path).name, result.errors, [finding.code for finding in result.findings]) for result in results
    ] == [(f"script{number}.py", [], ["MP001"]) for number in range(6)]


_HOLD_WORKERS = """
import sys, time
from mpfix.analysis.project.summary import summarize
from mpfix.registry import RULES, matching
from mpfix.run.pipeline import analyse
from mpfix.run.request import Options, Request
from mpfix import screening
from mpfix.screening import screen, settled_on_ast
results = analyse(Request([sys.argv[1]], Options(rules=RULES), jobs=2, start_method=sys.argv[2]))
next(results)
print("workers started", flush=True)
time.sleep(300)
"""


def _processes_marked(marker: bytes) -> list[int]:
    """The live (not zombie) processes whose environment holds ``marker``."""
    marked = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as environ:
                if marker not in environ.read().split(b"\0"):
                    continue
            with open(f"/proc/{entry}/stat", "rb") as status:
                if status.read().rpartition(b")")[2].split()[0] == b"Z":
                    continue
        except OSError:  # gone meanwhile, or not ours to read
            continue
        marked.append(int(entry))
    return marked


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="finds the workers through /proc")
@pytest.mark.parametrize("method", START_METHODS)
def test_workers_end_when_mpfix_is_killed_whatever_started_them(tmp_path: Path, method: str) -> None:
    for number in range(6):
        write(tmp_path, f"script{number}.py")
    marker = f"MPFIX_TEST_RUN={os.getpid()}-{method}".encode()
    environment = {**os.environ, marker.split(b"=")[0].decode(): marker.split(b"=")[1].decode()}
    parent = subprocess.Popen(
        [sys.executable, "-c", _HOLD_WORKERS, str(tmp_path), method],
        env=environment,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert parent.stdout is not None and parent.stdout.readline() == "workers started\n"
        assert len(set(_processes_marked(marker)) - {parent.pid}) >= 2  # the workers at least
        parent.kill()  # SIGKILL: no clean-up runs in mpfix
        parent.wait()
        deadline = time.monotonic() + 20
        while _processes_marked(marker) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _processes_marked(marker) == []
    finally:
        parent.kill()
        for pid in _processes_marked(marker):
            os.kill(pid, signal.SIGKILL)

_analyse = workers.analyse_file


def _crash_or_fail_on_marked_files(job: workers.Job) -> FileResult:
    if b"# crash" in job.data:
        os._exit(70)
    if b"# fail" in job.data:
        raise RuntimeError("a rule blew up")
    return _analyse(job)


def _project_with_a_crash_and_a_failure(folder: Path) -> None:
    for number in range(4):
        write(folder, f"script{number}.py")
    write(folder, "crash.py", UNGUARDED + "# crash\n")
    write(folder, "fail.py", UNGUARDED + "# fail\n")


@pytest.mark.skipif("fork" not in START_METHODS, reason="the patched worker function reaches workers only by fork")
def test_a_dying_or_failing_worker_costs_only_its_own_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _project_with_a_crash_and_a_failure(tmp_path)
    monkeypatch.setattr(workers, "analyse_file", _crash_or_fail_on_marked_files)

    request = Request([str(tmp_path)], CHECK, jobs=2, start_method="fork")
    results = {Path(result.path).name: result for result in run(request)}

    assert results["crash.py"].errors == [
        FileError(str(tmp_path / "crash.py"), ErrorKind.CRASH, "the worker process analysing it died")
    ]
    assert results["fail.py"].errors == [
        FileError(str(tmp_path / "fail.py"), ErrorKind.INTERNAL, "internal error: RuntimeError: a rule blew up")
    ]
    for number in range(4):
        result = results[f"script{number}.py"]
        assert (result.errors, [finding.code for finding in result.findings]) == ([], ["MP001"])


def test_a_failing_rule_costs_only_its_own_file_in_process_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, "fail.py", UNGUARDED + "# fail\n")
    write(tmp_path, "script.py")
    monkeypatch.setattr(workers, "analyse_file", _crash_or_fail_on_marked_files)

    [fail, script] = run(Request([str(tmp_path)], CHECK, jobs=1))

    assert fail.errors == [
        FileError(str(tmp_path / "fail.py"), ErrorKind.INTERNAL, "internal error: RuntimeError: a rule blew up")
    ]
    assert [finding.code for finding in script.findings] == ["MP001"]


def test_a_file_the_model_does_not_summarise_is_screened_with_the_first_summaries_unless_cached(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mpfix.run.cache import ResultCache

    # It names multiprocessing but no API that starts processes: the model does not
    # summarise it, and library-sets-start-method decides its finding on ``ast``.
    setter = 'import multiprocessing\n\n\ndef setup():\n    multiprocessing.set_start_method("spawn")\n'
    write(tmp_path, "setter.py", setter)
    write(tmp_path, "unguarded.py", UNGUARDED)
    analysed: list[str] = []
    analyse = workers.analyse_in_process
    monkeypatch.setattr(workers, "analyse_in_process", lambda job: analysed.append(job.path) or analyse(job))
    screened: list[tuple[bytes, bool]] = []
    summarize_and_screen = workers.summarize_and_screen

    def recorded(item):  # type: ignore[no-untyped-def]
        screened.append((item[0], item[2]))
        return summarize_and_screen(item)

    monkeypatch.setattr(workers, "summarize_and_screen", recorded)
    cache = ResultCache(tmp_path / "cache")

    results = run(Request([str(tmp_path)], CHECK, jobs=1, cache=cache))

    assert screened == [(UNGUARDED.encode(), True), (setter.encode(), False)]
    assert [Path(path).name for path in analysed] == ["unguarded.py"]
    assert [[finding.code for finding in result.findings] for result in results] == [["MP017"], ["MP001"]]
    # Once the cache holds its result, it is not read again.
    screened.clear()
    analysed.clear()
    again = run(Request([str(tmp_path)], CHECK, jobs=1, cache=cache))
    assert setter.encode() not in [data for data, _ in screened] and not analysed
    assert [result.findings for result in again] == [result.findings for result in results]


def test_a_failing_pre_check_costs_only_its_own_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Both are screened as they are summarised, then the failing one by its job.
    write(tmp_path, "fail.py", UNGUARDED + "# fail\n")
    write(tmp_path, "script.py")
    prefiltered = screening.prefiltered

    def failing(source: str, *args, **kwargs):  # type: ignore[no-untyped-def]
        if "# fail" in source:
            raise RuntimeError("a pre-check blew up")
        return prefiltered(source, *args, **kwargs)

    monkeypatch.setattr(screening, "prefiltered", failing)

    [fail, script] = run(Request([str(tmp_path)], CHECK, jobs=1))

    assert fail.errors == [
        FileError(str(tmp_path / "fail.py"), ErrorKind.INTERNAL, "internal error: RuntimeError: a pre-check blew up")
    ]
    assert [finding.code for finding in script.findings] == ["MP001"]


def _imported(folder: Path, text: str, *args: str) -> tuple[set[str], str]:
    """The modules that `mpfix check` of a file holding ``text`` imports, and its output."""
    (folder / "program.py").write_text(text, encoding="utf-8")
    run = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "mpfix", "check", "program.py", "--no-cache", *args],
        cwd=folder, capture_output=True, text=True, check=False,
    )  # fmt: skip
    imported = {line.rsplit("|", 1)[-1].strip() for line in run.stderr.splitlines() if line.startswith("import time:")}
    return imported, run.stdout


def _imports_libcst(folder: Path, text: str, *args: str) -> tuple[bool, str]:
    """Whether `mpfix check` of a file holding ``text`` imports libcst, and its output."""
    imported, output = _imported(folder, text, *args)
    return "libcst" in imported, output


def test_a_file_that_names_no_multiprocessing_api_loads_neither_the_project_model_nor_gitignore_patterns(
    tmp_path: Path,
) -> None:
    imported, output = _imported(tmp_path, "import os\n\nprint(os.getcwd())\n")
    assert output == "All checks passed!\n"
    assert not imported & {"pathspec", "mpfix.analysis.project.model", "mpfix.analysis.project.summary"}
    # A folder is walked with its exclusions, compiled when a path holds a word of one
    # that is more than a name (the defaults are names) or a .gitignore has patterns; a
    # module that starts processes is summarised.
    (tmp_path / "pool.py").write_text(f"import multiprocessing as mp\n\n{GUARD}\n    mp.Pool(2).close()\n")

    def walked(*options: str) -> set[str]:
        run = subprocess.run(
            [sys.executable, "-X", "importtime", "-m", "mpfix", "check", ".", "--no-cache", *options],
            cwd=tmp_path, capture_output=True, text=True, check=False,
        )  # fmt: skip
        return {line.rsplit("|", 1)[-1].strip() for line in run.stderr.splitlines()}

    first = walked()
    assert "mpfix.analysis.project.model" in first and "pathspec" not in first
    (tmp_path / "build").mkdir()
    assert "pathspec" not in walked()
    assert "pathspec" in walked("--extend-exclude", "build/")
    (tmp_path / "build").rmdir()
    (tmp_path / ".gitignore").write_text("*.log\n")
    assert "pathspec" in walked()


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_file_no_rule_must_analyse_in_full_loads_no_libcst(tmp_path: Path, jobs: str) -> None:
    # It names multiprocessing, so it passes the byte prefilter; the pre-checks settle it.
    clean = f"import multiprocessing as mp\n\n{GUARD}\n    with mp.Pool(2) as p:\n        print(p.map(abs, [-1]))\n"
    assert _imports_libcst(tmp_path, clean, "--jobs", jobs) == (False, "All checks passed!\n")
    loaded, output = _imports_libcst(tmp_path, UNGUARDED, "--jobs", jobs)
    assert loaded and "MP001" in output


@pytest.mark.parametrize("method", multiprocessing.get_all_start_methods())
def test_the_workers_summarise_and_screen_modules_as_this_process_would(method: str) -> None:
    snippets = Path(__file__).resolve().parent.parent / "docs" / "snippets"
    datas = [path.read_bytes() for path in sorted(snippets.rglob("*.py"))[:30]] + [LIBRARY.encode(), b"def broken(:\n"]
    assert len(datas) > workers.SUMMARIES_IN_PROCESS_MAX
    here = [summarize(data) for data in datas]
    assert here[-1] is None and sum(summary is not None and bool(summary.handovers) for summary in here) > 5
    # Screened for the rules whose needles they hold, as a job's pre-checks screen them.
    items = [(data, tuple(spec.code for spec in matching(data, RULES)), True) for data in datas]
    on_ast = [settled_on_ast(decode(data)[0], screen(decode(data)[0], RULES, matching(data, RULES))) for data in datas]
    assert any(found == [] for found in on_ast) and any(found for found in on_ast) and None in on_ast
    made = feed.summaries(items, 2, multiprocessing.get_context(method))
    assert [(summary, told and told.settled) for summary, told in made] == list(zip(here, on_ast, strict=True))
    # What a job's screening follows from is what it would find itself.
    for data, (_, told) in zip(datas, made, strict=True):
        text, needled = decode(data)[0], matching(data, RULES)
        screened = screen(text, RULES, needled)
        resumed = told.resume(RULES, None) if told is not None else None
        assert (screened.tree is None) is (resumed is None)
        assert resumed is None or (resumed.passed, resumed.decided) == (screened.passed, screened.decided)
    # Not screened: each needs its job. Not wanted: no summary.
    assert feed.summaries([(data, None, True) for data in datas], 2) == [(summary, None) for summary in here]
    unwanted = feed.summaries([(data, code, False) for data, code, _ in items], 2)
    assert [(summary, told and told.settled) for summary, told in unwanted] == [(None, f) for f in on_ast]


def test_a_file_screened_as_it_is_summarised_is_not_analysed_again_unless_libcst_must(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # All three name a pool, so all are summarised. No rule passes the guarded script;
    # library-sets-start-method decides on ``ast`` in the library; missing-main-guard must
    # run on libcst in the unguarded one.
    guarded = f"import multiprocessing as mp\n\n{GUARD}\n    with mp.Pool(2) as p:\n        print(p.map(abs, [-1]))\n"
    write(tmp_path, "guarded.py", guarded)
    write(tmp_path, "library.py", LIBRARY)
    write(tmp_path, "unguarded.py", UNGUARDED)
    analysed: list[str] = []
    analyse = workers.analyse_in_process
    monkeypatch.setattr(workers, "analyse_in_process", lambda job: analysed.append(job.path) or analyse(job))
    screened_again: list[str] = []  # by a job, which takes what the summary's screening told
    screen = workers.screen

    def recorded(text: str, *args: object, tree: object = None, **kwargs: object) -> object:
        if tree is None:  # the summary's screening hands over the tree it parsed
            screened_again.append(text)
        return screen(text, *args, tree=tree, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(workers, "screen", recorded)

    results = run(Request([str(tmp_path)], CHECK, jobs=2))

    assert [Path(path).name for path in analysed] == ["unguarded.py"]
    assert screened_again == []
    assert results[0] == FileResult(str(tmp_path / "guarded.py"))
    assert [[finding.code for finding in result.findings] for result in results] == [[], ["MP017"], ["MP001"]]
    # Without the screening, their jobs give the same.
    analysed.clear()
    monkeypatch.setattr(workers, "summarize_and_screen", lambda item: (summarize(item[0]), None))
    again = run(Request([str(tmp_path)], CHECK, jobs=1))
    assert sorted(Path(path).name for path in analysed) == ["guarded.py", "library.py", "unguarded.py"]
    assert [(result.findings, result.source, result.encoding) for result in again] == [
        (result.findings, result.source, result.encoding) for result in results
    ]


@pytest.mark.parametrize("collector_on", [True, False])
def test_a_file_analysed_in_full_has_the_collector_off_and_gives_it_back(
    collector_on: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    import gc

    from mpfix import engine
    from mpfix.run.request import Job

    seen: list[bool] = []
    analyze = engine.analyze
    recorded = lambda *args, **kwargs: seen.append(gc.isenabled()) or analyze(*args, **kwargs)  # noqa: E731
    monkeypatch.setattr(engine, "analyze", recorded)
    data = b"import multiprocessing\n\nwith multiprocessing.Pool() as pool:\n    pool.map(abs, [1])\n"
    was = gc.isenabled()
    try:
        gc.enable() if collector_on else gc.disable()
        result = workers.analyse_and_trim(Job("script.py", data, CHECK, tuple(matching(data, RULES))))
        assert gc.isenabled() is collector_on
    finally:
        gc.enable() if was else gc.disable()
    assert seen == [False]
    assert [finding.code for finding in result.findings] == ["MP001"]


def test_a_run_reads_its_files_and_builds_its_model_with_the_collector_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the main process makes while it finds and reads the files lives to the end of
    the run: it is not walked by collections. The collector is on again afterwards."""
    import gc

    from mpfix.run import pipeline, project

    write(tmp_path, "script.py")
    write(tmp_path, "clean.py", "print(1)\n")
    seen: list[bool] = []
    read, build = pipeline.read, project.build
    monkeypatch.setattr(pipeline, "read", lambda path: seen.append(gc.isenabled()) or read(path))
    monkeypatch.setattr(project, "build", lambda *args: seen.append(gc.isenabled()) or build(*args))
    assert gc.isenabled()
    [clean, script] = run(Request([str(tmp_path)], CHECK, jobs=1))
    assert gc.isenabled()
    assert seen == [False, False, False]  # two files read, one model built
    assert (clean.findings, [finding.code for finding in script.findings]) == ([], ["MP001"])


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="needs fork")
def test_a_process_forked_while_the_collector_is_paused_has_it_on() -> None:
    import gc

    from mpfix.collector import paused

    context = multiprocessing.get_context("fork")
    queue = context.SimpleQueue()
    with paused():
        assert not gc.isenabled()
        child = context.Process(target=_put_collector_state, args=(queue,))
        child.start()
        child.join()
    assert queue.get() is True and child.exitcode == 0
    assert gc.isenabled()


def _put_collector_state(queue: multiprocessing.SimpleQueue) -> None:
    import gc

    queue.put(gc.isenabled())


def test_a_fix_runs_its_later_rounds_with_the_collector_on_and_pauses_again(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each round's trees are garbage once the next round has its own: a fix of many
    rounds, paused throughout, would hold them all until the file is done."""
    import gc

    from mpfix import engine
    from mpfix.run.request import Job

    seen: list[bool] = []
    analyse = engine._analyse
    recorded = lambda *args: seen.append(gc.isenabled()) or analyse(*args)  # noqa: E731
    monkeypatch.setattr(engine, "_analyse", recorded)
    # The first round moves the pool into the guard; the second then finds its lambda task.
    data = b"import multiprocessing\n\nwith multiprocessing.Pool() as pool:\n    pool.map(lambda x: x, [1])\n"
    was = gc.isenabled()
    try:
        gc.enable()
        result = workers.analyse_and_trim(Job("script.py", data, FIX, tuple(matching(data, RULES))))
        assert gc.isenabled()
    finally:
        gc.enable() if was else gc.disable()
    assert seen[0] is False and True in seen[1:]
    assert result.fixed is not None and "__main__" in result.fixed
