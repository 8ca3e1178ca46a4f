"""Every rule words its findings alike, as ruff does: a message, a note and a fix title
start with a capital letter or with code in backticks, and end without a period."""

from __future__ import annotations

from pathlib import Path

import pytest
from mpfix import registry
from mpfix.engine import analyze
from mpfix.model import Finding
from mpfix.output.text import finding_block, split_message

SNIPPETS = Path(__file__).resolve().parent.parent / "docs" / "snippets"
# The snippets with findings: what each rule fixes, and what it reports without a fix.
REPORTING = sorted([*SNIPPETS.glob("*/*.before.py"), *SNIPPETS.glob("*/*.reported.py")])


def _is_sentence(text: str) -> bool:
    return (text[:1] == "`" or text[:1].isupper()) and not text.endswith(".")


def _wordings(finding: Finding, source: str) -> list[str]:
    """What a user reads of ``finding``: its heading, its ``= note:`` lines, its fix title."""
    block = finding_block("snippet.py", finding, source, unsafe_fixes=True)
    notes = [line.partition("= note: ")[2] for line in block.splitlines() if "= note: " in line]
    return [split_message(finding.heading)[0], *notes, *([finding.fix_title] if finding.fix_title else [])]


@pytest.mark.parametrize("path", REPORTING, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_every_message_note_and_fix_title_is_worded_as_a_sentence(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    findings = analyze(source, rules=registry.RULES, unsafe_fixes=True).findings
    assert findings
    for finding in findings:
        assert not finding.message.endswith(".")
        for wording in _wordings(finding, source):
            assert _is_sentence(wording), f"{finding.code}: {wording}"


@pytest.mark.parametrize(
    ("text", "sentence"),
    [
        ("`pool.map()` pickles its task", True),
        ("Each call of `deposit` creates its own `lock`", True),
        ("each call of `deposit` creates its own `lock`", False),
        ("Move `work` to module level.", False),
    ],
)
def test_the_convention_tells_a_sentence_from_a_fragment(text: str, sentence: bool) -> None:
    assert _is_sentence(text) is sentence
