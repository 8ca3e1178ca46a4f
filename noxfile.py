"""The test suite on every supported Python, 3.10 to 3.15.

    pip install -e ".[matrix]"        # nox and uv
    nox -s tests-3.12              # one version
    nox -s tests                   # every version, one after the other
    nox -s tests-3.12 -- --full    # the full suite instead of the fast subset
    nox -s tests-3.14 -- --fast -k guard   # the rest goes to pytest
    .ci/matrix.sh                  # every version, then one summary line each

3.11 and 3.14 run the full suite (``python -m pytest``), the other versions a fast subset:
the snippets, the command line and the tests of each rule, without the slow tests.
``--full`` or ``--fast`` first in the session's arguments, or MPFIX_SUITE=full|fast,
chooses otherwise.

The interpreters are the ones .ci/pythons.sh prints: pyenv's builds where there are some,
and Debian's own 3.14 and 3.15, which it downloads once into a cache folder (without
ensurepip: the environments are made and filled with uv, not pip). Each session makes a
fresh environment in .nox/tests-3-12 (say) and installs the project into it, editable,
with its test extra (and the docs extra for the full suite, which builds the site).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import nox

ROOT = Path(__file__).resolve().parent
VERSIONS = ["3.10", "3.11", "3.12", "3.13", "3.14", "3.15"]
FULL_BY_DEFAULT = {"3.11", "3.14"}

nox.options.sessions = ["tests"]
# Interpreters come from .ci/pythons.sh, never from a download by nox or uv.
nox.options.download_python = "never"


def fast_subset() -> list[str]:
    """The snippets, the command line, and the test file of every rule in codemods/rules/."""
    # A rule is a module, or a package when it owns helper modules.
    rules = sorted(
        path.stem
        for path in (ROOT / "codemods" / "rules").iterdir()
        if not path.stem.startswith("_") and (path.suffix == ".py" or (path / "__init__.py").exists())
    )
    files = ["tests/test_snippets.py", "tests/test_cli.py"]
    # A rule's tests may span files: test_unpicklable_task.py, test_unpicklable_task_mangled.py.
    files += [f"tests/{path.name}" for rule in rules for path in sorted((ROOT / "tests").glob(f"test_{rule}*.py"))]
    return ["-m", "not slow", *files]


def interpreter(session: nox.Session, version: str) -> str:
    """The interpreter .ci/pythons.sh gives for this version (downloading it if needs be)."""
    found = subprocess.run(
        ["bash", str(ROOT / ".ci" / "pythons.sh"), version], stdout=subprocess.PIPE, text=True, check=False
    )
    for line in found.stdout.splitlines():
        name, _, path = line.partition(" ")
        if name == version and path:
            return path
    session.error(f"no Python {version}: .ci/pythons.sh {version} found none (its message is above)")


def uv(session: nox.Session) -> str:
    """uv, installed next to nox (pip install nox uv) or on PATH."""
    try:
        from uv import find_uv_bin

        return find_uv_bin()
    except (ImportError, FileNotFoundError):
        found = shutil.which("uv")
    if not found:
        session.error("uv is needed next to nox: pip install nox uv")
    return found


def run_tests(session: nox.Session, version: str) -> None:
    args = list(session.posargs)
    suite = os.environ.get("MPFIX_SUITE") or ("full" if version in FULL_BY_DEFAULT else "fast")
    while args and args[0] in ("--full", "--fast"):
        suite = args.pop(0)[2:]
    if suite not in ("full", "fast"):
        session.error(f"MPFIX_SUITE is {suite!r}: full or fast")

    python = interpreter(session, version)
    env_dir = ROOT / ".nox" / f"tests-{version.replace('.', '-')}"
    env_python = env_dir / "bin" / "python"
    uv_env = {"UV_PYTHON_DOWNLOADS": "never", "UV_NO_PROGRESS": "1"}
    # A fresh environment each time (uv's cache makes it a matter of seconds). uv, unlike
    # pip, needs no pip in it and ignores the upper bound of requires-python.
    session.run(uv(session), "venv", "--quiet", "--clear", "--python", python, str(env_dir), external=True, env=uv_env)
    extras = "test,docs" if suite == "full" else "test"
    session.run(
        uv(session), "pip", "install", "--quiet", "--python", str(env_python), "-e", f".[{extras}]",
        external=True, env=uv_env,
    )
    selection = [] if suite == "full" else fast_subset()
    # On every core, unless the arguments choose otherwise (-n 0, -p no:xdist).
    chosen = any(arg.startswith(("-n", "--numprocesses", "no:xdist")) for arg in args)
    cores = [] if chosen else ["-n", "auto"]
    session.log(f"Python {version} ({python}), {suite} suite")
    session.run(
        str(env_python), "-m", "pytest", *cores, *selection, *args,
        external=True,
        env={
            "VIRTUAL_ENV": str(env_dir),
            "PATH": os.pathsep.join([str(env_dir / "bin"), os.environ.get("PATH", "")]),
        },
    )


def _tests_session(version: str):
    # Not nox's own python=[...] parametrisation: that makes the environments with
    # interpreters it finds itself, where these come from .ci/pythons.sh, on demand.
    def tests_on(session: nox.Session) -> None:
        run_tests(session, version)

    tests_on.__doc__ = f"The {'full' if version in FULL_BY_DEFAULT else 'fast'} suite on Python {version}."
    return nox.session(name=f"tests-{version}", venv_backend="none", tags=["tests"])(tests_on)


for _version in VERSIONS:
    globals()[f"tests_{_version.replace('.', '_')}"] = _tests_session(_version)


@nox.session(venv_backend="none", requires=[f"tests-{version}" for version in VERSIONS])
def tests(session: nox.Session) -> None:
    """Every version, one after the other (each is also a session of its own)."""
