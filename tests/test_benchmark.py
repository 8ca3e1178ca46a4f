"""benchmarks/scan.py keeps working: on a tiny corpus, its output has every table and row,
and every number parses; its corpora are gathered, recorded and copied as its docs say, and
its targets are judged against the right limits. Timings are never judged."""

from __future__ import annotations

import hashlib
import io
import os
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCAN = ROOT / "benchmarks" / "scan.py"
# The benchmark's modules import one another as scripts beside each other do.
sys.path.insert(0, str(SCAN.parent))
import corpora  # noqa: E402
import measure  # noqa: E402
import per_file  # noqa: E402
import scan as scan_script  # noqa: E402

CORPUS = {
    "pool.py": "import multiprocessing as mp\n\n\ndef double(x):\n    return 2 * x\n\n\n"
    "with mp.Pool(2) as pool:\n    print(pool.map(double, range(3)))\n",
    "words.py": "def count(text):\n    return len(text.split())\n",
    "pkg/paths.py": "import os\n\nprint(os.getcwd())\n",
}
MPFIX_CONTENDERS = ["mpfix (cold, no cache)", "mpfix (cold, no cache, --jobs 1)", "mpfix (warm cache)"]
SLOW_CONTENDERS = ["mpfix, prefilter off", "naive libcst scan"]
FLOORS = ["ast.parse floor (1 process)", f"ast.parse floor ({os.cpu_count()} processes)"]
NUMBER = r"\d[\d,]*(?:\.\d+)?"


def ruff_folder() -> str | None:
    ruff = shutil.which("ruff") or shutil.which("ruff", path=str(Path(sys.executable).parent))
    return str(Path(ruff).parent) if ruff else None


def without_ruff(path: str) -> str:
    return os.pathsep.join(folder for folder in path.split(os.pathsep) if shutil.which("ruff", path=folder) is None)


def tables(output: str, header: str) -> list[list[list[str]]]:
    """The rows of each markdown table whose header row starts with ``header``, as cells."""
    lines = output.splitlines()
    found = []
    for start in (i for i, line in enumerate(lines) if line.startswith(header)):
        assert re.fullmatch(r"\|(---\|)+", lines[start + 1])
        rows = []
        for line in lines[start + 2 :]:
            if not line.startswith("|"):
                break
            rows.append([cell.strip() for cell in line.strip("|").split("|")])
        found.append(rows)
    return found


def table(output: str, header: str) -> list[list[str]]:
    """The rows of the one markdown table whose header row starts with ``header``."""
    (rows,) = tables(output, header)
    return rows


def write_corpus(folder: Path) -> Path:
    for name, text in CORPUS.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    return folder


def scan(tmp_path: Path, path: str, *options: str) -> tuple[str, str]:
    corpus = write_corpus(tmp_path / "corpus")
    env = {**os.environ, "PATH": path, "TMPDIR": str(tmp_path)}
    command = [sys.executable, str(SCAN), "--runs", "1", "--corpus", str(corpus), *options]
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert "warning" not in done.stderr, done.stderr
    return done.stdout, done.stderr


def assert_measures(rows: list[list[str]], names: list[str]) -> None:
    assert [row[0] for row in rows] == names
    for _, median, spread, per_second, main, worker in rows:
        assert re.fullmatch(NUMBER, median) and re.fullmatch(NUMBER, per_second) and re.fullmatch(NUMBER, main)
        assert re.fullmatch(f"{NUMBER}–{NUMBER}", spread)
        assert worker == "–" or re.fullmatch(NUMBER, worker)


@pytest.mark.parametrize("with_ruff", [True, False], ids=["ruff, every contender, a big tree", "no ruff, --quick"])
def test_scan_prints_every_table(tmp_path: Path, with_ruff: bool) -> None:
    if with_ruff:
        folder = ruff_folder()
        if folder is None:
            pytest.skip("ruff is not installed")
        tree = ["--tree-from", str(tmp_path / "corpus"), "--tree-files", "5"]
        output, errors = scan(tmp_path, os.pathsep.join([folder, os.environ.get("PATH", "")]), *tree)
        expected = [*MPFIX_CONTENDERS, *SLOW_CONTENDERS, *FLOORS, "ruff --select ALL"]
    else:
        output, errors = scan(tmp_path, without_ruff(os.environ.get("PATH", "")), "--quick")
        expected = [*MPFIX_CONTENDERS, *FLOORS]
        assert "ruff is not on PATH" in errors
        assert "ruff not found" in output

    assert re.search(r"^machine: .+, \d+ cores, Python [\d.]+, libcst [\d.]+, ruff ", output, re.MULTILINE)
    assert len(re.findall(rf"^load average \(1, 5, 15 min\): {NUMBER}, {NUMBER}, {NUMBER}$", output, re.MULTILINE)) == 2
    assert re.search(rf"^median {NUMBER} s, min–max {NUMBER}–{NUMBER} s$", output, re.MULTILINE)
    assert re.search(r"^libcst imported: (yes|no)$", output, re.MULTILINE)

    measures = tables(output, "| contender |")
    assert_measures(measures[0], expected)
    stages = {row[0]: int(row[1]) for row in table(output, "| files |")}
    assert stages == {"found": 3, "pass the byte prefilter": 1, "reach libcst (after the `ast` pre-checks)": 1}
    slowest = table(output, "| slowest files")
    assert sorted(row[0] for row in slowest) == sorted(str(Path(name)) for name in CORPUS)
    seconds = [float(row[1]) for row in slowest]
    assert seconds == sorted(seconds, reverse=True)
    assert re.search(rf"^speed-up of the default \(\d+ jobs\) over --jobs 1: {NUMBER}x$", output, re.MULTILINE)

    targets = table(output, "| target |")
    names = [row[0] for row in targets]
    assert names[:2] == [
        "start-up on one clean file under 0.12 s",
        "start-up on one clean file does not import libcst",
    ]
    corpus = str(tmp_path / "corpus")
    expected_targets = [f"{corpus}: peak memory of a cold run under 300 MB", f"{corpus}: no file over 1 s"]
    if with_ruff:
        expected_targets.insert(0, f"{corpus}: cold mpfix / ruff at most 1")
        # Two copies of the three files make the five asked for.
        assert "2 copies of" in output
        assert re.search(rf"^The cache filled by a cold run over one copy: {NUMBER} s\.$", output, re.MULTILINE)
        assert_measures(measures[1], ["mpfix (first run on the tree)", "mpfix (warm cache)"])
        tree_targets = ["warm run under 1 s", "peak memory of the first run under 300 MB"]
        expected_targets += [f"6-file tree: {target}" for target in tree_targets]
    else:
        assert len(measures) == 1  # --quick builds no big tree
    assert names[2:] == expected_targets

    (summary,) = table(output, "| corpus |")  # one row, one corpus
    assert summary[:2] == [corpus, "3"]
    assert len(summary) == len(scan_script.SIDE_BY_SIDE)
    assert (summary[4] == "–") != with_ruff  # ruff's time
    for _, measured, met in targets:
        assert re.search(NUMBER, measured) or measured in ("imported", "not imported")
        assert met in ("yes", "no")


# -- the corpora and targets, without running any contender ------------------------------


def sdist(folder: Path, name: str, files: dict[str, bytes], zipped: bool = False) -> Path:
    """An sdist of ``files`` (paths inside its top folder, ``name``) in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    if zipped:
        archive = folder / f"{name}.zip"
        with zipfile.ZipFile(archive, "w") as out:
            for path, data in files.items():
                out.writestr(f"{name}/{path}", data)
        return archive
    archive = folder / f"{name}.tar.gz"
    with tarfile.open(archive, "w:gz") as out:
        for path, data in files.items():
            info = tarfile.TarInfo(f"{name}/{path}")
            info.size = len(data)
            out.addfile(info, io.BytesIO(data))
    return archive


def pinned(archive: Path, name: str, version: str) -> corpora.Sdist:
    return corpora.Sdist(name, version, hashlib.sha256(archive.read_bytes()).hexdigest(), archive)


def test_the_dense_corpus_holds_the_files_that_mention_process_pools_and_says_where_each_comes_from(
    tmp_path: Path,
) -> None:
    pool = sdist(
        tmp_path / "sdists",
        "pool-1.0",
        {
            "pool/run.py": b"import multiprocessing\n",
            "pool/futures.py": b"from concurrent.futures import ProcessPoolExecutor\n",
            "pool/plain.py": b"print('no processes')\n",
            "docs/notes.txt": b"multiprocessing\n",
            "../escape.py": b"import multiprocessing\n",
        },
    )
    zipped = sdist(tmp_path / "sdists", "zipped-2.0", {"z/pools.py": b"with Pool(2) as p:\n    pass\n"}, zipped=True)
    sdists = [pinned(pool, "pool", "1.0"), pinned(zipped, "zipped", "2.0")]

    dense = corpora.gather_dense(sdists, tmp_path / "dense")

    copied = sorted(str(path.relative_to(dense)) for path in dense.rglob("*.py"))
    assert copied == ["pool-1.0/pool/futures.py", "pool-1.0/pool/run.py", "zipped-2.0/z/pools.py"]
    assert (dense / "zipped-2.0/z/pools.py").read_bytes() == b"with Pool(2) as p:\n    pass\n"
    rows = (dense / corpora.MANIFEST).read_text().splitlines()
    assert rows[0] == "package\tversion\tsdist_sha256\tpath"
    assert sorted(rows[1:]) == sorted(
        [
            f"pool\t1.0\t{sdists[0].sha256}\tpool/run.py",
            f"pool\t1.0\t{sdists[0].sha256}\tpool/futures.py",
            f"zipped\t2.0\t{sdists[1].sha256}\tz/pools.py",
        ]
    )
    origin = corpora.dense_origin(dense)
    assert origin[2:4] == [f"| pool==1.0 | `{sdists[0].sha256}` | 2 |", f"| zipped==2.0 | `{sdists[1].sha256}` | 1 |"]


def test_a_corpus_already_gathered_is_kept_as_it_is(tmp_path: Path) -> None:
    archive = sdist(tmp_path / "sdists", "pool-1.0", {"run.py": b"import multiprocessing\n"})
    dense = tmp_path / "dense"
    dense.mkdir()
    assert corpora.gather_dense([pinned(archive, "pool", "1.0")], dense) == dense
    assert list(dense.iterdir()) == []


def test_an_sdist_is_unpacked_whole_without_its_top_folder(tmp_path: Path) -> None:
    archive = sdist(tmp_path / "sdists", "lib-3.1", {"lib/core.py": b"x = 1\n", "tests/test_core.py": b"y = 2\n"})
    unpacked = corpora.unpack(pinned(archive, "lib", "3.1"), tmp_path / "lib-3.1")
    assert sorted(str(path.relative_to(unpacked)) for path in unpacked.rglob("*.py")) == [
        "lib/core.py",
        "tests/test_core.py",
    ]


def test_pins_name_a_version_and_a_sha256_and_cached_sdists_are_found_by_it(tmp_path: Path) -> None:
    archive = sdist(tmp_path / "cache", "lib-3.1", {"lib/core.py": b"x = 1\n"})
    sha256 = hashlib.sha256(archive.read_bytes()).hexdigest()
    pins = tmp_path / "pins.txt"
    pins.write_text(f"# a comment\n\nlib==3.1 --hash=sha256:{sha256}\n")
    # Found in the cache by its hash: pip is not asked.
    assert corpora.download(pins, tmp_path / "cache") == [corpora.Sdist("lib", "3.1", sha256, archive)]

    pins.write_text("lib>=3.1\n")
    with pytest.raises(ValueError, match="not a pinned sdist"):
        corpora.read_pins(pins)


def test_every_pinned_corpus_names_exact_versions_with_hashes() -> None:
    names = sorted(path.stem for path in corpora.PINS.glob("*.txt"))
    assert names == ["datasets", "dense", "django"]
    assert len(corpora.read_pins(corpora.PINS / "dense.txt")) == 15
    assert [pin.name for pin in corpora.read_pins(corpora.PINS / "datasets.txt")] == ["datasets"]


def test_a_folder_is_a_corpus_of_its_own(tmp_path: Path) -> None:
    assert corpora.prepare(str(tmp_path), tmp_path / "work") == corpora.Corpus(str(tmp_path), tmp_path, [])


def test_the_big_tree_links_copies_until_it_has_the_files_asked_for(tmp_path: Path) -> None:
    source = write_corpus(tmp_path / "corpus")
    tree = corpora.big_tree(source, 3, 7, tmp_path / "tree")
    assert sorted(path.name for path in tree.iterdir()) == ["copy000", "copy001", "copy002"]
    assert len(list(tree.rglob("*.py"))) == 9
    assert (tree / "copy002/pkg/paths.py").stat().st_ino == (source / "pkg/paths.py").stat().st_ino


def test_the_survey_lists_the_files_found_and_the_slowest_first(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "corpus")
    listing = tmp_path / "files.txt"
    surveyed = per_file.survey(corpus, listing, slowest=2)
    assert (surveyed.found, surveyed.prefiltered, surveyed.parsed) == (3, 1, 1)
    assert sorted(Path(path).relative_to(corpus).as_posix() for path in listing.read_text().splitlines()) == sorted(
        CORPUS
    )
    assert len(surveyed.slowest) == 2
    assert surveyed.slowest[0][1] >= surveyed.slowest[1][1]
    assert per_file.count_files(corpus) == 3


def measured(name: str, walls: list[float], main_mb: float = 40, worker_mb: float = 0) -> measure.Measure:
    return measure.Measure(name, [], walls=walls, main_mb=[main_mb], worker_mb=[worker_mb] if worker_mb else [])


def targets_of(label: str, cold: float, slowest_s: float = 0.5, worker_mb: float = 100) -> dict[str, tuple[str, bool]]:
    medians = {scan_script.COLD: cold, scan_script.WARM: 0.2, scan_script.FLOOR: 1.0, scan_script.RUFF: 4.0}
    cold_run = measured(scan_script.COLD, [cold], worker_mb=worker_mb)
    found = scan_script.corpus_targets(label, medians, cold_run, [("big.py", slowest_s), ("small.py", 0.1)])
    return {name: (text, met) for name, text, met in found}


def test_each_corpus_is_held_to_its_own_targets() -> None:
    assert targets_of("stdlib", cold=1.0) == {
        "stdlib: cold mpfix / ruff at most 0.25": ("0.25", True),
        "stdlib: peak memory of a cold run under 300 MB": ("main 40 MB, largest worker 100 MB", True),
        "stdlib: no file over 1 s": ("0.50 s (big.py)", True),
        "stdlib: warm run under 0.3 s": ("0.20 s", True),
    }
    assert targets_of("django", cold=1.2)["django: cold mpfix / ruff at most 0.25"] == ("0.30", False)
    dense = targets_of("dense", cold=3.5, slowest_s=1.5, worker_mb=320)
    assert dense == {
        "dense: cold mpfix / ruff at most 1": ("0.88", True),
        "dense: peak memory of a cold run under 300 MB": ("main 40 MB, largest worker 320 MB", False),
        "dense: no file over 1 s": ("1.50 s (big.py)", False),
        f"dense: cold mpfix / {scan_script.FLOOR} at most 3": ("3.50", False),
    }
    assert set(targets_of("datasets", cold=2.0)) == {
        "datasets: cold mpfix / ruff at most 1",
        "datasets: peak memory of a cold run under 300 MB",
        "datasets: no file over 1 s",
    }


def test_the_big_tree_alone(tmp_path: Path) -> None:
    tree = ["--quick", "--tree-only", "--tree-from", str(tmp_path / "corpus"), "--tree-files", "3"]
    output, _ = scan(tmp_path, without_ruff(os.environ.get("PATH", "")), *tree)
    assert_measures(table(output, "| contender |"), ["mpfix (first run on the tree)", "mpfix (warm cache)"])
    assert "| corpus |" not in output
    assert [row[0] for row in table(output, "| target |")][2:] == [
        "3-file tree: warm run under 1 s",
        "3-file tree: peak memory of the first run under 300 MB",
    ]
