"""mkdocs hook: pages show what the mpfix command prints, run when the site is built.

Two markers, each alone on a line of a page:

- ``<!-- mpfix-help -->`` or ``<!-- mpfix-help: COMMAND -->`` becomes the ``--help`` of
  ``mpfix`` or of ``mpfix COMMAND``, so the CLI reference cannot drift from the Typer app;
- ``<!-- mpfix-run: ARGS -->`` becomes ``$ mpfix ARGS`` and what that prints, run from
  the repository's root (for example ``check examples/``), so a page's sample output is
  the real one.

The command runs as ``python -m mpfix`` in a subprocess with a fixed terminal (100
columns, no colour), whatever terminal or CI runs the build. Set in mkdocs.yml
(``hooks:``); the tests build the site and compare (tests/test_docs.py).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import Files
from mkdocs.structure.pages import Page

MARKER = re.compile(
    r"^<!--\s*mpfix-(?P<kind>help|run)(?::\s*(?P<args>[^>]*?))?\s*-->[ \t]*$", re.MULTILINE
)
WIDTH = 100
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
# Variables that make rich (Typer's help) or click colour their output even into a pipe.
FORCING_COLOUR = ("FORCE_COLOR", "PY_COLORS", "CLICOLOR_FORCE", "GITHUB_ACTIONS", "TTY_COMPATIBLE", "TERMINAL_WIDTH")


RULE_PAGE_SEARCH_BOOST = 10


def terminal_env(columns: int = WIDTH) -> dict[str, str]:
    """The environment of a plain terminal 100 columns wide: no colour, no ANSI codes."""
    env = {name: value for name, value in os.environ.items() if name not in FORCING_COLOUR}
    env.update(COLUMNS=str(columns), LINES="50", TERM="dumb", NO_COLOR="1")
    return env


def mpfix_output(args: list[str], cwd: Path, columns: int = WIDTH) -> tuple[int, str]:
    """Exit code and output (standard output, then standard error) of ``mpfix ARGS``."""
    run = subprocess.run(
        [sys.executable, "-m", "mpfix", *args],
        check=False,
        cwd=cwd,
        env=terminal_env(columns),
        capture_output=True,
        text=True,
        timeout=120,
    )
    text = ANSI.sub("", run.stdout + run.stderr)
    # Tabs as a terminal shows them (Markdown would make them 4 columns wide).
    lines = [line.expandtabs().rstrip() for line in text.splitlines()]
    return run.returncode, "\n".join(lines).strip("\n") + "\n"


def help_text(command: str | None, cwd: Path) -> str:
    """What ``mpfix [COMMAND] --help`` prints; an unknown command fails the build."""
    args = [command, "--help"] if command else ["--help"]
    # The help fills the terminal but for two columns: this gives WIDTH columns of help,
    # wide enough that no option's name or help is cut or squeezed.
    code, text = mpfix_output(args, cwd, columns=WIDTH + 2)
    if code != 0:
        raise PluginError(f"`mpfix {' '.join(args)}` failed with exit code {code}:\n{text}")
    return text


def _block(language: str, text: str) -> str:
    return f"```{language}\n{text}```"


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    root = Path(config["config_file_path"]).parent
    if page.file.src_uri.startswith("rules/") and page.file.src_uri != "rules/index.md":
        # A search for a rule's code or name lists the rule's own page first, ahead of the
        # pages that mention it.
        page.meta.setdefault("search", {}).setdefault("boost", RULE_PAGE_SEARCH_BOOST)

    def replace(match: re.Match[str]) -> str:
        args = (match["args"] or "").split()
        if match["kind"] == "help":
            if len(args) > 1:
                raise PluginError(f"{page.file.src_uri}: `{match[0]}` names more than one command")
            return _block("text", help_text(args[0] if args else None, root))
        if not args or args[0] == "fix":  # `fix` would rewrite the repository's files
            raise PluginError(f"{page.file.src_uri}: `{match[0]}`: give a command that writes nothing")
        _, text = mpfix_output(args, root)
        return _block("diff" if args[0] == "diff" else "text", f"$ mpfix {' '.join(args)}\n{text}")

    return MARKER.sub(replace, markdown)
