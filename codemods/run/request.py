"""What a run is asked to do: the options for each file, sent to the workers."""

from __future__ import annotations

import json
from dataclasses import dataclass

from codemods.rule import RuleSpec


@dataclass(frozen=True)
class Options:
    """What to do with each file; sent to the worker processes, so it must pickle."""

    rules: tuple[RuleSpec, ...]
    fix: bool = False  # compute fixes (for `fix` and `diff`), not only findings
    unsafe_fixes: bool = False
    report_unused_suppressions: bool = False
    prefilter: bool = True  # skip files that no rule can match (off: to measure what it saves)

    def salt(self) -> str:
        """What, besides a file's bytes, its result depends on: the key of the cache."""
        return json.dumps(
            [[spec.code for spec in self.rules], self.fix, self.unsafe_fixes, self.report_unused_suppressions]
        )
