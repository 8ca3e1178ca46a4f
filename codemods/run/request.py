"""What a run is asked to do: ``Request`` for the whole run, ``Options`` for each file, ``Job``
for each file that passed the prefilter."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..model import RuleSpec, TargetVersion
from .discover import FileFilter

if TYPE_CHECKING:  # pragma: no cover
    from ..analysis.project.model import ProjectView
    from ..screening import Told
    from .cache import ResultCache

# (files done, files found): called from discovery on, as files are found, then analysed.
Progress = Callable[[int, int], None]
RulesFor = Callable[[str], tuple[RuleSpec, ...]]  # the rules for one path (per-file ignores)


@dataclass(frozen=True)
class Options:
    """What to do with each file; sent to the worker processes, so it must pickle."""

    rules: tuple[RuleSpec, ...]
    fix: bool = False  # compute fixes (for `fix` and `diff`), not only findings
    unsafe_fixes: bool = False
    report_unused_suppressions: bool = False
    target_version: TargetVersion = TargetVersion.PY310  # the oldest Python the code runs on
    prefilter: bool = True  # skip files that no rule can match (off: to measure what it saves)

    def salt(self) -> str:
        """What, besides a file's bytes, its result depends on: the key of the cache."""
        return json.dumps(
            [
                [spec.code for spec in self.rules],
                self.fix,
                self.unsafe_fixes,
                self.report_unused_suppressions,
                self.target_version.value,
            ]
        )


@dataclass(frozen=True)
class Request:
    """A run over files: which, what to do with each, and how (what the CLI asks the runner)."""

    paths: Sequence[str]
    options: Options
    jobs: int | None = None  # worker processes (default: one per CPU)
    files: FileFilter = FileFilter()  # which files a walk through folders yields
    rules_for: RulesFor | None = None  # narrows ``options.rules`` for one path (per-file ignores)
    cache: ResultCache | None = None  # results by bytes and options, read and written
    write: bool = False  # write the fixed files (``run``; a caller of ``analyse`` writes them itself)
    progress: Progress | None = None  # hears after each file found, and each analysed
    start_method: str | None = None  # of the workers ("fork", "forkserver", "spawn"); None: the default


@dataclass(frozen=True)
class Job:
    """A file that passed the prefilter, as handed to a worker (so it must pickle)."""

    path: str
    data: bytes
    options: Options
    # The rules of ``options.rules`` whose needles ``data`` holds: the engine does not look again.
    needled: tuple[RuleSpec, ...]
    # What the other modules of the project tell this file's rules; None when nothing.
    project: ProjectView | None = None
    # What a summary worker's screening of ``data`` found, when it screened it.
    told: Told | None = None
