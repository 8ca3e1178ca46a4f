"""The `mpfix` command: ``commands`` holds the commands, ``options`` the options that check,
diff and fix share, ``config`` the settings of ``[tool.mpfix]``, ``interactive`` the
review of each fix.

Nothing here imports libcst: start-up stays fast, and a run over files that the prefilter
rejects never loads it (the runner imports the engine only when a file needs it).
"""

from .commands import app, main

__all__ = ["app", "main"]
