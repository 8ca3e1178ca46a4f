"""Installs the ``codemods/`` folder as the ``mpfix`` package (``python -m mpfix``), so
that no generic top-level name such as ``codemods`` can shadow a user's own package. The
rule pages and their snippets go into the package too, for ``mpfix explain``."""

import shutil
from pathlib import Path

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py

SOURCE = "codemods"
PACKAGE = "mpfix"
DOCS = ("rules", "snippets")  # folders of docs/ that `mpfix explain` reads


class BuildWithDocs(build_py):
    def run(self) -> None:
        super().run()
        for folder in DOCS:
            target = Path(self.build_lib, PACKAGE, "_docs", folder)
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(Path("docs", folder), target)


setup(
    package_dir={PACKAGE: SOURCE},
    packages=[PACKAGE, *(f"{PACKAGE}.{name}" for name in find_packages(SOURCE))],
    cmdclass={"build_py": BuildWithDocs},
)
