"""The corpora that benchmarks/scan.py scans, prepared in a work folder, never stored here.

- stdlib: a copy of the running interpreter's standard library.
- django, datasets: the sdist pinned in pins/<name>.txt, unpacked whole.
- dense: from each sdist pinned in pins/dense.txt, every .py file whose bytes mention one
  of DENSE_NEEDLES, copied to ``<package>-<version>/<its path in the sdist>``; a manifest
  (MANIFEST.tsv) records each file's package, version, sdist sha256 and path.
- a big tree: hard links to one corpus, copied over and over up to a number of files.

Sdists come from PyPI through ``pip download --require-hashes``: the pins hold each one's
version and sha256.
"""

from __future__ import annotations

import hashlib
import os
import platform
import re
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

PINS = Path(__file__).resolve().parent / "pins"
# What makes a file part of the dense corpus: it names multiprocessing or a process pool.
DENSE_NEEDLES = (b"multiprocessing", b"ProcessPool", b"concurrent.futures", b"Pool(")
MANIFEST = "MANIFEST.tsv"
# "name==version --hash=sha256:HEX", the lines of a pins file that pip reads with --require-hashes.
_PIN = re.compile(r"^(?P<name>[\w.-]+)==(?P<version>\S+)\s+--hash=sha256:(?P<sha256>[0-9a-f]{64})$")


@dataclass(frozen=True)
class Sdist:
    name: str
    version: str
    sha256: str
    archive: Path

    @property
    def folder(self) -> str:
        return f"{self.name}-{self.version}"


@dataclass(frozen=True)
class Pin:
    name: str
    version: str
    sha256: str


def read_pins(pins_file: Path) -> list[Pin]:
    pins = []
    for line in pins_file.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            match = _PIN.match(line.strip())
            if match is None:
                raise ValueError(f"{pins_file}: not a pinned sdist with its sha256: {line!r}")
            pins.append(Pin(**match.groupdict()))
    return pins


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _archives_by_hash(folder: Path) -> dict[str, Path]:
    return {sha256_of(path): path for path in folder.glob("*") if path.name.endswith((".tar.gz", ".zip"))}


def download(pins_file: Path, cache: Path) -> list[Sdist] | None:
    """The sdists that ``pins_file`` pins, downloaded into ``cache`` unless they are there
    already (found by their sha256); None when pip cannot get them all."""
    pins = read_pins(pins_file)
    cache.mkdir(parents=True, exist_ok=True)
    archives = _archives_by_hash(cache)
    if any(pin.sha256 not in archives for pin in pins):
        command = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:", "--require-hashes"]
        done = subprocess.run(
            [*command, "-r", str(pins_file), "-d", str(cache)], check=False, capture_output=True, text=True
        )
        archives = _archives_by_hash(cache)
        if done.returncode != 0 or any(pin.sha256 not in archives for pin in pins):
            print(f"could not download the sdists of {pins_file.name}:\n{done.stderr[-2000:]}", file=sys.stderr)
            return None
    return [Sdist(pin.name, pin.version, pin.sha256, archives[pin.sha256]) for pin in pins]


def _members(archive: Path) -> Iterator[tuple[PurePosixPath, bytes]]:
    """The regular files of an sdist (a .tar.gz or a .zip): each one's path inside the
    sdist's top folder, and its bytes."""
    if archive.name.endswith(".zip"):
        with zipfile.ZipFile(archive) as unzipped:
            for info in unzipped.infolist():
                if not info.is_dir():
                    yield PurePosixPath(*PurePosixPath(info.filename).parts[1:]), unzipped.read(info)
        return
    with tarfile.open(archive) as untarred:
        for member in untarred:
            file = untarred.extractfile(member) if member.isfile() else None
            if file is not None:
                yield PurePosixPath(*PurePosixPath(member.name).parts[1:]), file.read()


def _safe(inside: PurePosixPath) -> bool:
    """Whether a member's path stays in the folder it is written to."""
    return bool(inside.parts) and not inside.is_absolute() and ".." not in inside.parts


def unpack(sdist: Sdist, target: Path) -> Path:
    """The whole sdist in ``target`` (its top folder dropped); done once."""
    if not target.exists():
        partial = target.with_name(target.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        for inside, data in _members(sdist.archive):
            if _safe(inside):
                (partial / inside).parent.mkdir(parents=True, exist_ok=True)
                (partial / inside).write_bytes(data)
        partial.rename(target)
    return target


def gather_dense(sdists: list[Sdist], target: Path) -> Path:
    """The dense corpus in ``target``: the .py files of ``sdists`` that mention one of
    DENSE_NEEDLES, each at ``<package>-<version>/<path>``, and the manifest; done once."""
    if target.exists():
        return target
    partial = target.with_name(target.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    rows = ["package\tversion\tsdist_sha256\tpath"]
    for sdist in sdists:
        for inside, data in _members(sdist.archive):
            if inside.suffix == ".py" and _safe(inside) and any(needle in data for needle in DENSE_NEEDLES):
                copy = partial / sdist.folder / inside
                copy.parent.mkdir(parents=True, exist_ok=True)
                copy.write_bytes(data)
                rows.append(f"{sdist.name}\t{sdist.version}\t{sdist.sha256}\t{inside}")
    (partial / MANIFEST).write_text("\n".join(rows) + "\n", encoding="utf-8")
    partial.rename(target)
    return target


def manifest_counts(corpus: Path) -> dict[tuple[str, str, str], int]:
    """How many files of the dense corpus come from each (package, version, sha256)."""
    counts: dict[tuple[str, str, str], int] = {}
    for line in (corpus / MANIFEST).read_text(encoding="utf-8").splitlines()[1:]:
        package, version, sha256, _ = line.split("\t")
        counts[package, version, sha256] = counts.get((package, version, sha256), 0) + 1
    return counts


def stdlib_corpus(workdir: Path) -> Path:
    """A copy of the running interpreter's standard library, without site-packages."""
    target = workdir / "stdlib"
    if not target.exists():
        ignore = shutil.ignore_patterns("site-packages", "dist-packages", "__pycache__")
        shutil.copytree(sysconfig.get_paths()["stdlib"], target, ignore=ignore, symlinks=True)
    return target


def big_tree(source: Path, source_files: int, files: int, target: Path) -> Path:
    """``target`` holding as many copies of ``source`` (which has ``source_files`` Python
    files) as make at least ``files`` files: hard links, so the tree costs no disk."""
    copies = max(1, -(-files // max(source_files, 1)))
    if not target.exists():
        partial = target.with_name(target.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir(parents=True)
        for copy in range(copies):
            shutil.copytree(source, partial / f"copy{copy:03}", symlinks=True, copy_function=_link)
        partial.rename(target)
    return target


def _link(source: str, target: str) -> None:
    try:
        os.link(source, target)
    except OSError:  # another file system, or one without hard links
        shutil.copy2(source, target)


# -- the corpora by name ---------------------------------------------------------------


@dataclass(frozen=True)
class Corpus:
    label: str
    path: Path
    origin: list[str]  # markdown lines: where the files come from


def sdist_origin(sdists: list[Sdist]) -> list[str]:
    return [f"from PyPI: {s.name}=={s.version}, sdist sha256 `{s.sha256}`" for s in sdists]


def dense_origin(path: Path) -> list[str]:
    """Where the dense corpus's files come from: a table of sdists, and the manifest."""
    lines = ["| sdist (PyPI) | sha256 | files copied |", "|---|---|---|"]
    for (package, version, sha256), count in sorted(manifest_counts(path).items()):
        lines.append(f"| {package}=={version} | `{sha256}` | {count} |")
    needles = ", ".join(f"`{needle.decode()}`" for needle in DENSE_NEEDLES)
    lines += [
        "",
        f"Every .py file of these sdists whose bytes mention {needles}, at `<package>-<version>/<path in the sdist>`;",
        f"each file's package, version, sdist sha256 and path: `{path / MANIFEST}`.",
    ]
    return lines


def prepare(name: str, workdir: Path) -> Corpus | None:
    """The corpus that ``name`` names (stdlib, django, datasets, dense, or a folder),
    prepared in ``workdir``; None when its sdists cannot be downloaded."""
    if name == "stdlib":
        return Corpus(name, stdlib_corpus(workdir), [f"the standard library of Python {platform.python_version()}"])
    if name not in {pins.stem for pins in PINS.glob("*.txt")}:
        return Corpus(name, Path(name), [])
    sdists = download(PINS / f"{name}.txt", workdir / "sdists")
    if sdists is None:
        return None
    if name == "dense":
        path = gather_dense(sdists, workdir / "dense")
        return Corpus(name, path, dense_origin(path))
    (sdist,) = sdists
    return Corpus(name, unpack(sdist, workdir / sdist.folder), sdist_origin(sdists))
