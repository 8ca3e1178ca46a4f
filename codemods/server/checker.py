"""What mpfix says of the text of an open file: its findings, and its fixes as text.

An editor's text is checked as `mpfix check` checks a file of that path: the settings
come from the file's ``pyproject.toml`` as the command line finds them, excluded files
are left alone (as with ``--force-exclude``: an editor names each file it opens), and
results are kept in the command line's cache. The engine, and with it libcst, is
imported only when a file passes the byte prefilter.
"""

from __future__ import annotations

import io
import os
import tokenize
from dataclasses import dataclass, replace

from ..cli import config
from ..model import FileResult, Finding, Safety
from ..run.cache import ResultCache, cacheable, from_entry, to_entry
from ..run.discover import discover
from ..run.pipeline import check_bytes
from ..run.request import Options

STDIN = "-"  # the name a file without a path is checked under, as on the command line


@dataclass(frozen=True)
class Document:
    """An open file: its text, and its path when it has one."""

    text: str
    path: str | None

    @property
    def name(self) -> str:
        return self.path or STDIN

    def encoded(self) -> bytes:
        """The bytes the file would have on disk: in the encoding its coding cookie names."""
        data = self.text.encode("utf-8", "surrogatepass")
        try:
            encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
            return self.text.encode(encoding)
        except (SyntaxError, LookupError, UnicodeEncodeError):
            return data


class Checker:
    """Checks and fixes documents with the settings of their project."""

    def __init__(self, cache: ResultCache | None) -> None:
        self.cache = cache

    def settings(self, document: Document) -> config.Settings:
        """The settings in force for ``document``; ConfigError when its configuration is broken."""
        nothing_from_the_command_line = config.Layer(origin="", base=os.getcwd())
        return config.load([document.path or os.curdir], nothing_from_the_command_line)

    def excluded(self, document: Document, settings: config.Settings) -> bool:
        if document.path is None:
            return False
        files = replace(settings.files(), force_exclude=True)
        return not any(True for _ in discover([document.path], files=files))

    def check(self, document: Document, settings: config.Settings, *, remember: bool) -> FileResult:
        """The findings of ``document`` (without fixes); ``remember``: keep them in the cache
        (for the text of a file as saved, not each keystroke's)."""
        return self._analyse(document, settings.options(fix=False), settings, remember=remember)

    def fix_all(self, document: Document, settings: config.Settings) -> str | None:
        """The text with every safe fix applied (never the unsafe ones); None when unchanged."""
        options = replace(settings.options(fix=True), unsafe_fixes=False)
        return self._analyse(document, options, settings, remember=False).fixed

    def fix_one(self, document: Document, settings: config.Settings, finding: Finding) -> str | None:
        """The text with the fix of ``finding`` alone applied; None when it cannot be."""
        from .. import engine

        try:
            result = engine.analyze(
                document.text,
                rules=settings.rules_for(document.name),
                unsafe_fixes=finding.fix is Safety.UNSAFE,
                only=finding,
            )
        except (engine.SourceError, engine.FixError):
            return None
        return result.fixed if result.changed else None

    def _analyse(
        self, document: Document, options: Options, settings: config.Settings, *, remember: bool
    ) -> FileResult:
        options = replace(options, rules=settings.rules_for(document.name))
        data, salt = document.encoded(), options.salt()
        if self.cache is not None and (entry := self.cache.get(data, salt)) is not None:
            return from_entry(document.name, data, entry)
        result = check_bytes(document.name, data, options)
        if remember and self.cache is not None and cacheable(result):
            self.cache.put(data, salt, to_entry(result))
        return result

    def close(self) -> None:
        if self.cache is not None:
            self.cache.save()
