"""Suppression comments, as a user writes them: `# mpfix: ignore[...]` and `# noqa: ...`.

The scripts below start a pool at module level, which MP001 reports at the call on line 2
(`mp.Pool(2)`); each test puts a comment somewhere and checks what `mpfix` then says and
writes. Most runs select MP001 alone, so that what is tested is the comment, not a rule.
"""

from __future__ import annotations

import tokenize
from pathlib import Path

import pytest
from mpfix import suppressions
from mpfix.cli import app
from mpfix.edits import apply_edits
from mpfix.model import Finding
from typer.testing import CliRunner

HEAD = "import multiprocessing as mp\n"
BODY = "    print(p.map(abs, [-1]))\n"


def script(comment: str = "", *, top: str = "") -> str:
    """The unguarded script, with ``comment`` after its line 2 (the finding's) and ``top`` above it."""
    line = "with mp.Pool(2) as p:" + (f"  {comment}" if comment else "") + "\n"
    return top + HEAD + line + BODY


def mpfix(*args: str):
    return CliRunner().invoke(app, list(args))


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write(folder: Path, text: str, name: str = "script.py") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def check(*args: str):
    return mpfix("check", "--select", "MP001", "--output-format", "concise", *args)


def test_without_a_comment_the_finding_is_reported(project: Path) -> None:
    write(project, script())

    result = check("script.py")

    assert result.exit_code == 1
    assert result.stdout.startswith("script.py:2:6: MP001 ")


@pytest.mark.parametrize(
    "comment",
    [
        "# mpfix: ignore[MP001]",
        "# mpfix: ignore",
        "# mpfix: ignore[MP003, MP001]",
        "# mpfix: ignore[missing-main-guard]",
        "# MPFIX: Ignore[mp001]",
        "# mpfix: ignore  -- the pool only runs under fork here",
        "# noqa: MP001",
        "# noqa:E501,MP001",
        "# noqa",
        "# type: ignore  # noqa: MP001",
    ],
)
def test_a_comment_on_the_findings_line_suppresses_it(project: Path, comment: str) -> None:
    write(project, script(comment))

    result = check("script.py")

    assert (result.exit_code, result.stdout) == (0, "All checks passed!\n")


@pytest.mark.parametrize(
    "comment",
    [
        "# mpfix: ignore[MP002]",  # another rule
        "# noqa: E501",  # another tool's code
        "# mpfix: ignore[]",  # no code: not a directive, rather than "everything"
        "# mpfix: ignore:MP001",  # a typo, not a bare ignore
        "# noqa:",  # ruff ignores a colon with no codes after it
        "# mpfix ignore",
    ],
)
def test_a_comment_that_does_not_name_the_rule_leaves_the_finding(project: Path, comment: str) -> None:
    write(project, script(comment))

    result = check("script.py")

    assert result.exit_code == 1
    assert result.stdout.startswith("script.py:2:6: MP001 ")


def test_a_comment_inside_a_string_is_text_not_a_suppression(project: Path) -> None:
    write(project, HEAD + 'with mp.Pool(2, initargs=("# noqa # mpfix: ignore",)) as p:\n' + BODY)

    assert check("script.py").exit_code == 1


def test_a_finding_over_several_lines_takes_the_comment_on_its_first_or_last_line(project: Path) -> None:
    def pool(first: str = "", middle: str = "", last: str = "") -> str:
        return HEAD + f"pool = mp.Pool(  {first}\n    2,  {middle}\n)  {last}\n"

    comment = "# mpfix: ignore[MP001]"
    write(project, pool(first=comment), "first.py")
    write(project, pool(last=comment), "last.py")
    write(project, pool(middle=comment), "middle.py")

    result = check("first.py", "last.py", "middle.py")

    assert [line.split(":")[0] for line in result.stdout.splitlines()[:-1]] == ["middle.py"]


@pytest.mark.parametrize(
    "top",
    [
        "# mpfix: ignore[MP001]\n",
        "#!/usr/bin/env python\n# -*- coding: utf-8 -*-\n\n# mpfix: ignore\n",
    ],
)
def test_a_comment_of_its_own_before_the_first_statement_covers_the_file(project: Path, top: str) -> None:
    write(project, script(top=top))

    assert check("script.py").exit_code == 0


@pytest.mark.parametrize(
    "text",
    [
        HEAD + "# mpfix: ignore\n" + "with mp.Pool(2) as p:\n" + BODY,  # after the first statement
        '"""A docstring is a statement."""\n# mpfix: ignore\n' + script(),
        "# noqa: MP001\n" + script(),  # `# noqa` is never file-wide, as in ruff
    ],
)
def test_a_comment_after_the_first_statement_or_a_noqa_is_not_file_wide(project: Path, text: str) -> None:
    write(project, text)

    assert check("script.py").exit_code == 1


def test_a_suppressed_finding_is_neither_fixed_nor_shown_as_a_diff(project: Path) -> None:
    suppressed = write(project, script("# mpfix: ignore[MP001]"), "suppressed.py")
    plain = write(project, script(), "plain.py")

    diff = mpfix("diff", "--select", "MP001", "suppressed.py")
    assert (diff.exit_code, diff.stdout) == (0, "")

    fixed = mpfix("fix", "--select", "MP001", "suppressed.py", "plain.py")
    assert fixed.exit_code == 0
    assert fixed.stdout == "plain.py: fixed 1 finding (MP001)\nFixed 1 finding in 1 file, 0 remaining.\n"
    assert suppressed.read_text(encoding="utf-8") == script("# mpfix: ignore[MP001]")
    assert plain.read_text(encoding="utf-8") != script()


def test_a_suppression_holds_when_the_source_comes_from_stdin() -> None:
    result = CliRunner().invoke(app, ["fix", "--select", "MP001", "-"], input=script("# noqa: MP001"))

    assert (result.exit_code, result.stdout) == (0, script("# noqa: MP001"))


# -- unused suppressions --------------------------------------------------------------


def test_unused_suppressions_are_reported_as_mp000_when_asked(project: Path) -> None:
    write(
        project,
        "# mpfix: ignore[MP002]\n"  # whole file, but MP002 finds nothing here
        + HEAD
        + "with mp.Pool(2) as p:  # noqa: MP001\n"  # used
        + "    print(p.map(abs, [-1]))  # mpfix: ignore\n"  # nothing on this line
        + "x = 1  # noqa: E501, MP001, MP999\n"  # E501 is another tool's; MP001 unused; MP999 unknown
        + "y = 2  # noqa\n",  # a bare noqa may be for another tool: never reported
    )

    quiet = mpfix("check", "--output-format", "concise", "script.py")
    assert (quiet.exit_code, quiet.stdout) == (0, "All checks passed!\n")

    result = mpfix("check", "--output-format", "concise", "--report-unused-suppressions", "script.py")

    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "script.py:1:1: MP000 Unused suppression `# mpfix: ignore[MP002]`: no MP002 finding in this file",
        "script.py:4:30: MP000 Unused suppression `# mpfix: ignore`: no finding on this line",
        "script.py:5:8: MP000 Unused suppression `# noqa: E501, MP001, MP999`: no mpfix rule is called MP999",
        "script.py:5:8: MP000 Unused suppression `# noqa: E501, MP001, MP999`: no MP001 finding on this line",
        "Found 4 errors.",
    ]


def test_suppressions_of_rules_that_did_not_run_are_not_judged(project: Path) -> None:
    write(project, script("# mpfix: ignore[MP001, MP002]"))

    result = mpfix("check", "--select", "MP001", "--report-unused-suppressions", "script.py")

    assert (result.exit_code, result.stdout) == (0, "All checks passed!\n")


def test_unused_suppressions_are_found_in_files_no_rule_would_read(project: Path) -> None:
    # Nothing here names multiprocessing, so no rule would parse it; the comment is still judged.
    write(project, "print('hello')  # mpfix: ignore[MP001]\n", "plain.py")

    result = mpfix("check", "--output-format", "concise", "--report-unused-suppressions", "plain.py")

    assert result.exit_code == 1
    assert result.stdout.startswith("plain.py:1:17: MP000 Unused suppression `# mpfix: ignore[MP001]`")


def test_report_unused_suppressions_can_be_configured(project: Path) -> None:
    write(project, "[tool.mpfix]\nreport-unused-suppressions = true\n", "pyproject.toml")
    write(project, HEAD + "x = 1  # mpfix: ignore\n")

    assert mpfix("check", "script.py").exit_code == 1
    assert mpfix("check", "--no-report-unused-suppressions", "script.py").exit_code == 0


# -- the pure layer -------------------------------------------------------------------


def test_a_file_without_such_a_comment_is_never_tokenized(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_tokenizing(*args: object) -> None:
        raise AssertionError("tokenized a file that has no suppression comment")

    monkeypatch.setattr(tokenize, "generate_tokens", no_tokenizing)

    assert suppressions.scan(script("# an ordinary comment")) == []
    with pytest.raises(AssertionError):
        suppressions.scan(script("# noqa"))  # the control: this one is tokenized


def _finding(first: int, last: int | None = None) -> Finding:
    return Finding("MP001", "missing-main-guard", "message", first, 1, last or first, 2)


def test_a_file_whose_comments_stand_on_no_findings_line_is_not_tokenized(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_tokenizing(*args: object) -> None:
        raise AssertionError("tokenized a file whose comments can cover no finding")

    source = "x = 1\ny = 2  # noqa: E501\nz = 3\n"
    monkeypatch.setattr(tokenize, "generate_tokens", no_tokenizing)
    from mpfix import engine

    result = engine.analyze(source + script(), rules=[], fix=False)  # no rule: no finding to cover
    assert result.findings == []
    assert not suppressions.may_cover(source, [_finding(1), _finding(3)])
    assert not suppressions.may_cover(source, [])


@pytest.mark.parametrize(
    ("source", "lines"),
    [
        ("# mpfix: ignore\nx = 1\n", (9, 9)),  # whole file
        ("#!/usr/bin/env python\n\n  # mpfix: ignore\nx = 1\n", (9, 9)),
        ("\\\n# mpfix: ignore\nx = 1\n", (9, 9)),  # a backslash is no code
        ("x = 1  # noqa: MP001\n", (1, 1)),
        ("x = (\n    1\n)  # mpfix: ignore[MP001]\n", (1, 3)),  # the finding's last line
        ("x = 1\r\ny = 2  # noqa\r\n", (2, 2)),
    ],
)
def test_where_a_directive_covers_a_finding_the_file_is_tokenized(source: str, lines: tuple[int, int]) -> None:
    finding = _finding(*lines)
    covered = [d for d in suppressions.scan(source) if d.covers(finding)]

    assert covered  # the control: the comment covers the finding
    assert suppressions.may_cover(source, [finding])


def test_directives_know_the_findings_they_cover() -> None:
    [line, whole_file] = sorted(
        suppressions.scan("# mpfix: ignore[serial-result-wait]\nx = 1\ny = 2  # noqa: mp003 E501\n"),
        key=lambda directive: directive.whole_file,
    )

    def finding(code: str, name: str, first: int, last: int | None = None) -> Finding:
        return Finding(code, name, "message", first, 1, last or first, 2)

    assert whole_file.covers(finding("MP002", "serial-result-wait", 9))
    assert not whole_file.covers(finding("MP003", "ipc-outside-parent", 9))
    assert line.codes == frozenset({"MP003", "E501"})
    assert line.covers(finding("MP003", "ipc-outside-parent", 3))
    assert line.covers(finding("MP003", "ipc-outside-parent", 1, 3))  # ends on the comment's line
    assert not line.covers(finding("MP003", "ipc-outside-parent", 2))


# -- writing the comment (an editor's "ignore" action) ----------------------------------


def _ignored(source: str) -> str | None:
    """``source`` with its first MP001 finding ignored by the comment ``ignore_edit`` writes."""
    from mpfix import engine

    [finding] = [found for found in engine.analyze(source, fix=False).findings if found.code == "MP001"]
    edit = suppressions.ignore_edit(source, finding)
    if edit is None:
        return None
    ignored = apply_edits(source, [edit])
    assert [found.code for found in engine.analyze(ignored, fix=False).findings if found.code == "MP001"] == []
    return ignored


@pytest.mark.parametrize(
    ("written", "becomes"),
    [
        ("", "  # mpfix: ignore[MP001]"),
        ("   ", "  # mpfix: ignore[MP001]"),  # trailing spaces give way to the comment
        ("  # mpfix: ignore[MP011]", "  # mpfix: ignore[MP011, MP001]"),
        ("  # noqa: E501", "  # noqa: E501  # mpfix: ignore[MP001]"),
    ],
)
def test_the_ignore_comment_goes_on_the_findings_line(written: str, becomes: str) -> None:
    def ending(tail: str) -> str:
        return HEAD + "with mp.Pool(2) as p:" + tail + "\n" + BODY

    assert _ignored(ending(written)) == ending(becomes)


def test_a_whole_file_suppression_of_another_rule_is_left_as_it_is() -> None:
    top = "# mpfix: ignore[MP011]\n"
    assert _ignored(script(top=top)) == script("# mpfix: ignore[MP001]", top=top)


def test_a_line_that_goes_on_after_a_backslash_gets_the_comment_on_the_last_line() -> None:
    source = HEAD + "pool = mp.Pool(\\\n    2)\npool.close()\n"
    assert _ignored(source) == HEAD + "pool = mp.Pool(\\\n    2)  # mpfix: ignore[MP001]\npool.close()\n"


def test_no_comment_where_neither_line_can_end_with_one() -> None:
    source = HEAD + 'pool = mp.Pool(\\\n    2); NOTE = """\n"""\npool.close()\n'
    assert _ignored(source) is None
