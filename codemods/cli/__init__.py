"""The `mpfix` command: ``commands`` holds the commands, ``options`` the options that check,
diff and fix share, ``config`` the settings of ``[tool.mpfix]``, ``interactive`` the
review of each fix.

Nothing here imports libcst: start-up stays fast, and a run over files that the prefilter
rejects never loads it (the runner imports the engine only when a file needs it).
"""

import sys

from .commands import EXIT_ERROR, app

__all__ = ["app", "main"]


def main() -> None:
    """The `mpfix` console script. A bug of mpfix's own ends the run with its traceback and
    the exit code of an error (2), which a CI job cannot take for findings (1)."""
    try:
        app(prog_name="mpfix")
    except Exception:
        import traceback

        traceback.print_exc()
        print("mpfix: error: internal error (the traceback above); please report it", file=sys.stderr)
        sys.exit(EXIT_ERROR)
