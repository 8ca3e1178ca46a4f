"""The assertions that every rule's table of cases shares: fixed, left alone, reported
without a fix, and fixed only with --unsafe-fixes."""

from __future__ import annotations

from mpfix import registry
from mpfix.engine import Result, analyze
from mpfix.model import Safety, TargetVersion


class RuleCases:
    """The checks of one rule's cases, on the engine with only that rule selected."""

    def __init__(self, code: str, target_version: TargetVersion = TargetVersion.PY310) -> None:
        self.code = code
        self.specs = [registry.BY_CODE[code]]
        self.target_version = target_version

    def check(self, source: str, *, unsafe_fixes: bool = False) -> Result:
        return analyze(source, rules=self.specs, unsafe_fixes=unsafe_fixes, target_version=self.target_version)

    def assert_fixes(self, before: str, after: str) -> None:
        """``before`` has safe findings of this rule only, is fixed to ``after``, and
        ``after`` has no finding left, even with the unsafe fixes."""
        result = self.check(before)
        assert result.findings and {(f.code, f.fix) for f in result.findings} == {(self.code, Safety.SAFE)}
        assert result.fixed == after
        again = self.check(after, unsafe_fixes=True)
        assert again.findings == [] and not again.changed

    def assert_leaves_alone(self, source: str) -> None:
        result = self.check(source, unsafe_fixes=True)
        assert result.findings == []
        assert not result.changed

    def assert_reports_without_fix(self, source: str, reason: str) -> None:
        result = self.check(source, unsafe_fixes=True)
        [finding] = result.findings
        assert finding.fix is Safety.NONE
        assert "; not fixed: " + reason in finding.message
        assert not result.changed

    def assert_unsafe_fix_only_on_request(self, before: str, after: str, reason: str) -> None:
        """``before`` has one finding, whose fix is unsafe for ``reason``: left as it is by
        default, fixed to ``after`` with the unsafe fixes, and ``after`` has no finding left."""
        safe_only = self.check(before)
        [finding] = safe_only.findings
        assert finding.fix is Safety.UNSAFE and "; the fix is unsafe: " + reason in finding.message
        assert not safe_only.changed
        assert self.check(before, unsafe_fixes=True).fixed == after
        assert self.check(after, unsafe_fixes=True).findings == []
