"""The language server: diagnostics on open, change and save; code actions; hover.

The engine runs in this process, on the server's own thread: a change is checked once
the typing has paused for ``DEBOUNCE_SECONDS``, and fixes are computed when chosen.
"""

from __future__ import annotations

import asyncio

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.workspace import TextDocument

from ..cli.config import ConfigError, Settings
from ..run.cache import ResultCache, mpfix_version
from ..run.discover import PYTHON_SUFFIXES
from . import actions, diagnostics
from .checker import Checker, Document
from .diagnostics import Reported
from .hover import hover
from .positions import Lines

DEBOUNCE_SECONDS = 0.3


class MpfixServer(LanguageServer):
    """The server, with what it knows of each open document: its findings as last reported."""

    def __init__(self) -> None:
        super().__init__("mpfix", mpfix_version())
        self.checker = Checker(ResultCache())
        self.reported: dict[str, list[Reported]] = {}
        self.pending: dict[str, asyncio.TimerHandle] = {}

    def document(self, uri: str) -> tuple[TextDocument, Document, Lines]:
        text_document = self.workspace.get_text_document(uri)
        text = text_document.source
        return text_document, Document(text, text_document.path), Lines(text, text_document.position_codec)

    def settings(self, document: Document) -> Settings | None:
        try:
            return self.checker.settings(document)
        except ConfigError:
            return None

    def cancel_pending(self, uri: str) -> None:
        """Forget the check that an edit of ``uri`` scheduled, if it has not run yet."""
        if (waiting := self.pending.pop(uri, None)) is not None:
            waiting.cancel()

    def publish(self, uri: str, *, remember: bool) -> None:
        """Check a document and send its diagnostics (none for a file that is not Python)."""
        self.pending.pop(uri, None)
        text_document, document, lines = self.document(uri)
        if text_document.language_id != "python" and not (document.path or "").endswith(PYTHON_SUFFIXES):
            return
        self.reported[uri] = []
        try:
            settings = self.checker.settings(document)
        except ConfigError as exc:
            self.send(uri, text_document.version, [diagnostics.error_at(str(exc))])
            return
        if self.checker.excluded(document, settings):
            self.send(uri, text_document.version, [])
            return
        result = self.checker.check(document, settings, remember=remember)
        self.reported[uri] = diagnostics.reported(result, lines)
        found = [item.diagnostic for item in self.reported[uri]]
        self.send(uri, text_document.version, diagnostics.of_errors(result, lines) + found)

    def send(self, uri: str, version: int | None, found: list[types.Diagnostic]) -> None:
        params = types.PublishDiagnosticsParams(uri=uri, version=version, diagnostics=found)
        self.text_document_publish_diagnostics(params)

    def resolve(self, action: types.CodeAction) -> types.CodeAction:
        """The action with its edit: the fix of its finding, or every safe fix."""
        fix = actions.fix_of(action)
        if fix is None:
            return action
        uri, finding = fix
        _, document, lines = self.document(uri)
        settings = self.settings(document)
        fixed = None
        if settings is not None:
            if finding is None:
                fixed = self.checker.fix_all(document, settings)
            else:
                fixed = self.checker.fix_one(document, settings, finding)
        action.edit = actions.fixed_edit(uri, lines, fixed)
        return action

    def resolves_lazily(self) -> bool:
        """Whether the client resolves an action's edit when it is chosen."""
        code_action = self.client_capabilities.text_document and self.client_capabilities.text_document.code_action
        support = code_action.resolve_support if code_action else None
        return support is not None and "edit" in support.properties


server = MpfixServer()


@server.feature(types.TEXT_DOCUMENT_DID_OPEN)
def did_open(ls: MpfixServer, params: types.DidOpenTextDocumentParams) -> None:
    ls.publish(params.text_document.uri, remember=True)


@server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
def did_change(ls: MpfixServer, params: types.DidChangeTextDocumentParams) -> None:
    uri = params.text_document.uri
    ls.cancel_pending(uri)
    ls.pending[uri] = asyncio.get_running_loop().call_later(DEBOUNCE_SECONDS, lambda: ls.publish(uri, remember=False))


@server.feature(types.TEXT_DOCUMENT_DID_SAVE)
def did_save(ls: MpfixServer, params: types.DidSaveTextDocumentParams) -> None:
    ls.cancel_pending(params.text_document.uri)
    ls.publish(params.text_document.uri, remember=True)


@server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
def did_close(ls: MpfixServer, params: types.DidCloseTextDocumentParams) -> None:
    uri = params.text_document.uri
    ls.cancel_pending(uri)
    ls.reported.pop(uri, None)
    ls.send(uri, None, [])


@server.feature(
    types.TEXT_DOCUMENT_CODE_ACTION,
    types.CodeActionOptions(code_action_kinds=actions.KINDS, resolve_provider=True),
)
def code_action(ls: MpfixServer, params: types.CodeActionParams) -> list[types.CodeAction]:
    uri = params.text_document.uri
    _, document, lines = ls.document(uri)
    settings = ls.settings(document)
    unsafe_fixes = settings is not None and settings.unsafe_fixes
    offered = actions.offered(uri, lines, ls.reported.get(uri, []), params, unsafe_fixes=unsafe_fixes)
    if ls.resolves_lazily():
        return offered
    return [ls.resolve(action) if action.edit is None else action for action in offered]


@server.feature(types.CODE_ACTION_RESOLVE)
def code_action_resolve(ls: MpfixServer, action: types.CodeAction) -> types.CodeAction:
    return ls.resolve(action)


@server.feature(types.TEXT_DOCUMENT_HOVER)
def on_hover(ls: MpfixServer, params: types.HoverParams) -> types.Hover | None:
    _, _, lines = ls.document(params.text_document.uri)
    return hover(lines, params.position)


@server.feature(types.SHUTDOWN)
def on_shutdown(ls: MpfixServer, *args: object) -> None:
    for waiting in ls.pending.values():
        waiting.cancel()
    ls.checker.close()


def serve() -> None:
    """Serve one client over stdin and stdout until it says exit."""
    server.start_io()
