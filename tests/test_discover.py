"""The exclusions that are names or names' endings (all of the defaults) are matched without
compiling the patterns, exactly as git's matching (pathspec's) would match them."""

from __future__ import annotations

import itertools
import subprocess
import sys
from pathlib import Path

import pytest
from mpfix.run.discover import DEFAULT_EXCLUDES, _compile
from pathspec import GitIgnoreSpec

PARTS = ["build", "builds", "rebuild", "dist", "distutils", "x.egg-info", ".egg-info", "egg-info", "src", "..", "."]
PARTS += [" build", "a\nb"]  # a name with a leading space, or a line break


def _paths() -> list[str]:
    paths = []
    for depth in (1, 2, 3):
        for parts in itertools.product(PARTS, repeat=depth):
            path = "/".join(parts)
            paths += [path + "/", path + "/m.py", path + ".py", "./" + path, "/" + path, "//" + path]
    return [*paths, "./", "."]


@pytest.mark.parametrize(
    "patterns",
    [
        list(DEFAULT_EXCLUDES),
        ["build", "# a comment", "", "*.egg-info"],
        ["src", "dist"],
        [".", "*."],
    ],
)
def test_names_and_endings_match_as_git_matches_them(patterns: list[str]) -> None:
    [(_, fast)] = _compile([(None, pattern) for pattern in patterns])
    assert fast.names is not None
    git = GitIgnoreSpec.from_lines(patterns)
    ordinary = [path for path in _paths() if "\n" not in path and "//" not in path]
    assert [path for path in ordinary if fast.match_file(path)] == [path for path in ordinary if git.match_file(path)]
    assert fast.spec is None  # answered without the patterns compiled
    # A line break, or an empty part, is left to the patterns.
    assert [path for path in _paths() if fast.match_file(path)] == [path for path in _paths() if git.match_file(path)]


@pytest.mark.parametrize("patterns", [list(DEFAULT_EXCLUDES), ["src", "*.", "."], ["build/", "dist"], ["!b", "dist"]])
def test_an_entry_of_a_folder_matches_as_its_whole_path(patterns: list[str]) -> None:
    [(_, spec)] = _compile([(None, pattern) for pattern in patterns])
    git = GitIgnoreSpec.from_lines(patterns)
    prefixes = ["", "../", "./", "/", "//"]
    prefixes += ["/".join(parts) + "/" for depth in (1, 2) for parts in itertools.product(PARTS, repeat=depth)]
    names = [*PARTS, *(part + "/" for part in PARTS), "m.py", "a.egg-info/"]

    def same(prefixes: list[str], names: list[str]) -> None:
        for prefix in prefixes:
            found = [name for name in names if spec.match_entry(prefix, name)]
            assert found == [name for name in names if git.match_file(prefix + name)], prefix
            # Where a walk decides by an entry's name alone (its bare name, a folder's too).
            if (by_name := spec.names_below(prefix)) is not None:
                bare = {name: name.removesuffix("/") for name in names}
                alone = [name for name in names if bare[name] in by_name[0] or bare[name].endswith(by_name[1])]
                assert alone == found, prefix

    # Each prefix twice: the second time, what the first found of its parts answers.
    ordinary = [prefix for prefix in prefixes if "\n" not in prefix and "//" not in prefix and prefix[:1] not in "./"]
    same([*ordinary, *ordinary], [name for name in names if "\n" not in name])
    assert (spec.spec is None) == (spec.names is not None)  # names and endings need no patterns
    # A line break, or an empty part, is left to the patterns.
    same(prefixes, names)


@pytest.mark.parametrize(
    "pattern", ["build/", "/build", "src/build", "b?ild", "*", "bu*ld", "*.egg-*", "build ", " build", "!b"]
)
def test_other_patterns_are_left_to_git_matching(pattern: str) -> None:
    [(_, spec)] = _compile([(None, pattern), (None, "dist")])
    git = GitIgnoreSpec.from_lines([pattern, "dist"])
    assert getattr(spec, "names", None) is None
    assert [path for path in _paths() if spec.match_file(path)] == [path for path in _paths() if git.match_file(path)]


def test_a_walk_skips_the_default_exclusions_without_compiling_them(tmp_path: Path) -> None:
    for path in ["build/a.py", "distutils/b.py", "pkg/x.egg-info/c.py", "pkg/rebuild.py", "venv/lib/d.py", "e.py"]:
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text("")
    walk = f"from mpfix.run.discover import discover; print(*discover([{str(tmp_path)!r}]), 'pathspec' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", "import sys; " + walk], capture_output=True, text=True, check=True)
    *found, compiled = done.stdout.split()
    kept = [Path(path).relative_to(tmp_path).as_posix() for path in found]
    assert kept == ["distutils/b.py", "e.py", "pkg/rebuild.py"]
    assert compiled == "False"
