"""Rule pages: where a rule's page is on the site, and, for `mpfix explain`, the page as
plain Markdown for a terminal.

The pages and their snippets are installed with the package (``codemods/_docs``, see
pyproject.toml); in a source checkout they are read from ``docs/``.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..model import DOCS_URL


def rule_page(name: str) -> tuple[Path, Path] | None:
    """A rule's page and the snippets folder, from an installed wheel or the source tree."""
    package = Path(__file__).resolve().parent.parent
    for docs in (package / "_docs", package.parent / "docs"):
        page = docs / "rules" / f"{name}.md"
        if page.is_file():
            return page, docs / "snippets"
    return None


def _first_paragraph_of(lines: list[str]) -> str | None:
    """The paragraph that ``lines`` start with (after blank lines), on one line; None
    when a heading comes first."""
    paragraph: list[str] = []
    for line in lines:
        if line.startswith("#") or (not line.strip() and paragraph):
            break
        if line.strip():
            paragraph.append(line.strip())
    return " ".join(paragraph) or None


def first_paragraph(markdown: str, section: str) -> str | None:
    """The first paragraph of the ``## section`` of a page, on one line; None without one."""
    lines = markdown.splitlines()
    try:
        start = lines.index(f"## {section}") + 1
    except ValueError:
        return None
    return _first_paragraph_of(lines[start:])


def lead_paragraph(markdown: str) -> str | None:
    """The paragraph under a page's title, on one line: a rule page's one sentence."""
    lines = markdown.splitlines()
    title = next((index for index, line in enumerate(lines) if line.startswith("# ")), None)
    return None if title is None else _first_paragraph_of(lines[title + 1 :])


def rule_help(name: str) -> tuple[str, str] | None:
    """What a rule checks and why it matters, from its page: the sentence under its
    title and the first paragraph of *Why is this bad?*, for tools that show guidance (SARIF)."""
    found = rule_page(name)
    if found is None:
        return None
    markdown = found[0].read_text(encoding="utf-8")
    what, why = lead_paragraph(markdown), first_paragraph(markdown, "Why is this bad?")
    return (what, why) if what and why else None


_LINK = re.compile(r"\[(?P<text>[^\]]+)\]\((?P<target>[^)\s]+)\)")


def _plain_link(link: re.Match[str]) -> str:
    """A link as a terminal shows it: the text alone for a place on the same page, the
    text and its address for another page (of the site, or of the web)."""
    text, target = link["text"], link["target"]
    if target.startswith("#"):
        return text
    if not target.startswith(("http://", "https://")):
        # rules/x.md#part, ../why-spawn.md: the page on the site, as mkdocs names it.
        page, _, anchor = target.partition("#")
        page = re.sub(r"(^|/)index\.md$", r"\1", page.removeprefix("../")).removesuffix(".md")
        prefix = "" if target.startswith("../") else "rules/"
        target = DOCS_URL + prefix + (page + "/" if page and not page.endswith("/") else page)
        target += "#" + anchor if anchor else ""
    return f"{text} ({target})"


_HEADING = re.compile(r"#{1,6}(?=\s)")
# A content tab (`=== "Before"`) or a collapsed block (`??? note "Edge cases"`): a title
# over indented content.
_TITLED = re.compile(r'(?:===\+?|\?\?\?\+?\s+[\w-]+)\s+"(?P<title>[^"]*)"\s*$')
_SNIPPET = re.compile(r'--8<--\s+"(?P<path>[^"]+)"\s*$')  # a pymdownx.snippets include


def _snippet_text(include: str, snippets: Path) -> str:
    # Pages may name snippets from the snippets folder, the docs folder or the project.
    relative = include.removeprefix("docs/").removeprefix("snippets/")
    try:
        return (snippets / relative).read_text(encoding="utf-8")
    except OSError:
        return f"[snippet {include} not found]\n"


def render_rule_page(markdown: str, snippets: Path) -> str:
    """A rule page as plain Markdown for a terminal: snippets inlined, tabs and collapsed
    blocks as headings, links as their text (and address, for another page)."""
    out: list[str] = []
    level = 1  # of the last heading, so that tabs become the level below it
    tab_indents: list[int] = []  # the content indentation of each open tab or block
    in_code = False  # inside a fenced code block, `#` starts a comment, not a heading
    for line in markdown.splitlines():
        indent = len(line) - len(line.lstrip(" "))
        if line.strip():
            while tab_indents and indent < tab_indents[-1]:
                tab_indents.pop()
        if tab_indents:
            line = line[tab_indents[-1] :]
            indent -= tab_indents[-1]
        stripped = line.lstrip(" ")
        if stripped.startswith(("```", "~~~")):
            in_code = not in_code
        if not in_code and (tab := _TITLED.match(stripped)) is not None:
            out.append("#" * min(level + 1 + len(tab_indents), 6) + " " + tab["title"])
            tab_indents.append((tab_indents[-1] if tab_indents else 0) + indent + 4)
        elif (snippet := _SNIPPET.match(stripped)) is not None:
            text = _snippet_text(snippet["path"], snippets)
            out.extend(" " * indent + snippet_line for snippet_line in text.splitlines())
        else:
            if not in_code and not indent and (heading := _HEADING.match(stripped)) is not None:
                level = len(heading.group())
            out.append(line if in_code else _LINK.sub(_plain_link, line))
    return "\n".join(out) + "\n"
