"""`mpfix server`, driven by a real language client over stdin and stdout (pytest-lsp).

Each test starts the server as an editor would (`python -m mpfix server`), opens files
of a project in a temporary folder, and checks what the editor would show and write.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import pytest_lsp
import typer.main
from lsprotocol import types
from mpfix.cli import app
from mpfix.model import DOCS_URL
from mpfix.registry import BY_NAME
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities
from typer.testing import CliRunner

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
SERVER = [sys.executable, "-m", "mpfix", "server"]


def _server_env(cache: Path) -> dict[str, str]:
    """This checkout first on the path, and a cache of its own."""
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path, "MPFIX_CACHE_DIR": str(cache)}


CONFIG = ClientServerConfig(
    server_command=SERVER, server_env=_server_env(Path(tempfile.gettempdir()) / "mpfix-test-cache")
)
# One server per kind of client for the whole module, as an editor keeps one for its session.
lsp = pytest.mark.asyncio(loop_scope="module")

# A pool started at module level (MP001): its fix takes the rest of the script into a guard,
# in two edits around the blank line that stays as it is.
SCRIPT = """\
import multiprocessing


def square(x):
    return x * x


pool = multiprocessing.Pool(2)
results = pool.map(square, range(10))

print(sum(results))
pool.close()
pool.join()
"""
GUARDED = """\
import multiprocessing


def square(x):
    return x * x


if __name__ == "__main__":
    pool = multiprocessing.Pool(2)
    results = pool.map(square, range(10))

    print(sum(results))
    pool.close()
    pool.join()
"""
# MP001 (a safe fix) and an import in a task, MP006 (an unsafe fix).
MIXED = """\
import multiprocessing as mp


def checksum(text):
    import hashlib

    return hashlib.sha256(text.encode()).hexdigest()[:12]


with mp.Pool(2) as pool:
    print(pool.map(checksum, ["spawn", "fork"]))
"""


async def _start(client: LanguageClient, editor: str) -> None:
    await client.initialize_session(types.InitializeParams(capabilities=client_capabilities(editor)))


@pytest_lsp.fixture(config=CONFIG, scope="module")
async def vscode(lsp_client: LanguageClient):
    """A client that resolves a code action's edit when it is chosen (VS Code's capabilities)."""
    await _start(lsp_client, "visual-studio-code")
    yield
    await lsp_client.shutdown_session()


@pytest_lsp.fixture(config=CONFIG, scope="module")
async def eglot(lsp_client: LanguageClient):
    """A client that wants every edit at once and counts characters in code points (Emacs 29)."""
    await _start(lsp_client, "emacs")
    yield
    await lsp_client.shutdown_session()


def _write(folder: Path, text: str, name: str = "script.py") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


async def _published(client: LanguageClient) -> types.PublishDiagnosticsParams:
    return await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)


async def _open(client: LanguageClient, path: Path, language: str = "python") -> list[types.Diagnostic]:
    item = types.TextDocumentItem(uri=path.as_uri(), language_id=language, version=1, text=path.read_text())
    client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=item))
    return list((await _published(client)).diagnostics)


async def _change(client: LanguageClient, path: Path, text: str, version: int) -> None:
    document = types.VersionedTextDocumentIdentifier(uri=path.as_uri(), version=version)
    change = types.TextDocumentContentChangeWholeDocument(text=text)
    client.text_document_did_change(types.DidChangeTextDocumentParams(text_document=document, content_changes=[change]))


async def _actions(
    client: LanguageClient, path: Path, diagnostic: types.Diagnostic | None = None, only: list[str] | None = None
) -> list[types.CodeAction]:
    where = diagnostic.range if diagnostic else types.Range(start=types.Position(0, 0), end=types.Position(0, 0))
    params = types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=path.as_uri()),
        range=where,
        context=types.CodeActionContext(diagnostics=[diagnostic] if diagnostic else [], only=only),
    )
    return await client.text_document_code_action_async(params) or []


def _titled(actions: list[types.CodeAction], start: str) -> types.CodeAction:
    [action] = [action for action in actions if action.title.startswith(start)]
    return action


def _applied(text: str, uri: str, edit: types.WorkspaceEdit) -> str:
    """What a client makes of ``text`` with ``edit`` (ASCII text: characters are code points)."""
    assert edit.changes is not None
    lines = text.splitlines(keepends=True)

    def offset(position: types.Position) -> int:
        return sum(len(line) for line in lines[: position.line]) + position.character

    for change in sorted(edit.changes[uri], key=lambda change: offset(change.range.start), reverse=True):
        text = text[: offset(change.range.start)] + change.new_text + text[offset(change.range.end) :]
    return text


def _mpfix_fix(folder: Path, text: str, *options: str) -> str:
    """What `mpfix fix` writes for ``text``."""
    path = _write(folder, text, "fixed_by_the_cli.py")
    CliRunner().invoke(app, ["fix", "--no-cache", *options, str(path)])
    return path.read_text(encoding="utf-8")


# -- diagnostics ------------------------------------------------------------------------


@lsp
async def test_a_pool_at_module_level_gets_an_mp001_diagnostic_linking_its_page(vscode: LanguageClient, tmp_path):
    [diagnostic] = await _open(vscode, _write(tmp_path, SCRIPT))
    assert (diagnostic.code, diagnostic.source, diagnostic.severity) == (
        "MP001",
        "mpfix",
        types.DiagnosticSeverity.Warning,
    )
    assert diagnostic.code_description.href == BY_NAME["missing-main-guard"].url
    assert diagnostic.message.startswith("`multiprocessing.Pool()` starts processes at module level")
    assert diagnostic.range == types.Range(start=types.Position(7, 7), end=types.Position(7, 30))


@lsp
async def test_a_guarded_script_gets_no_diagnostic(vscode: LanguageClient, tmp_path):
    assert await _open(vscode, _write(tmp_path, GUARDED)) == []


@lsp
async def test_a_syntax_error_gets_one_diagnostic(vscode: LanguageClient, tmp_path):
    [diagnostic] = await _open(vscode, _write(tmp_path, SCRIPT + "def broken(:\n"))
    assert diagnostic.severity == types.DiagnosticSeverity.Error
    assert diagnostic.message.startswith("cannot parse")
    assert diagnostic.range.start.line == 13


@lsp
async def test_the_project_settings_apply_as_on_the_command_line(vscode: LanguageClient, tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[tool.mpfix]\nper-file-ignores = { "legacy_*.py" = ["MP001"] }\nextend-exclude = ["generated/"]\n'
    )
    (tmp_path / "generated").mkdir()
    (tmp_path / "tools").mkdir()
    (tmp_path / "tools" / "pyproject.toml").write_text('[tool.mpfix]\nignore = ["MP001"]\n')
    assert await _open(vscode, _write(tmp_path, SCRIPT, "tools/job.py")) == []
    assert await _open(vscode, _write(tmp_path, SCRIPT, "legacy_job.py")) == []
    assert await _open(vscode, _write(tmp_path, SCRIPT, "generated/job.py")) == []
    [diagnostic] = await _open(vscode, _write(tmp_path, SCRIPT, "job.py"))
    assert diagnostic.code == "MP001"


@lsp
async def test_a_broken_configuration_is_one_diagnostic(vscode: LanguageClient, tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.mpfix]\nselcet = ["MP001"]\n')
    [diagnostic] = await _open(vscode, _write(tmp_path, SCRIPT))
    assert diagnostic.severity == types.DiagnosticSeverity.Error
    assert "unknown key 'selcet' (did you mean 'select'?)" in diagnostic.message


@lsp
async def test_changes_are_checked_once_the_typing_pauses(vscode: LanguageClient, tmp_path):
    path = _write(tmp_path, SCRIPT)
    await _open(vscode, path)
    for version, text in enumerate([GUARDED, SCRIPT, GUARDED], start=2):
        await _change(vscode, path, text, version)
    published = await _published(vscode)
    assert (published.version, list(published.diagnostics)) == (4, [])


@lsp
async def test_saving_checks_at_once_and_closing_clears(vscode: LanguageClient, tmp_path):
    path = _write(tmp_path, GUARDED)
    await _open(vscode, path)
    await _change(vscode, path, SCRIPT, 2)
    vscode.text_document_did_save(
        types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(path.as_uri()))
    )
    published = await _published(vscode)
    assert [diagnostic.code for diagnostic in published.diagnostics] == ["MP001"]
    vscode.text_document_did_close(types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(path.as_uri())))
    assert not (await _published(vscode)).diagnostics


# -- code actions -----------------------------------------------------------------------


@lsp
async def test_the_quick_fix_writes_what_mpfix_fix_writes_and_clears_the_diagnostic(vscode: LanguageClient, tmp_path):
    path = _write(tmp_path, SCRIPT)
    [diagnostic] = await _open(vscode, path)
    actions = await _actions(vscode, path, diagnostic)
    quick_fix = _titled(actions, "MP001: Move the script part under")
    assert (quick_fix.kind, quick_fix.is_preferred, quick_fix.edit) == (types.CodeActionKind.QuickFix, True, None)

    resolved = await vscode.code_action_resolve_async(quick_fix)
    assert len(resolved.edit.changes[path.as_uri()]) == 2  # the guard with the first lines; the last ones
    fixed = _applied(SCRIPT, path.as_uri(), resolved.edit)
    assert fixed == GUARDED == _mpfix_fix(tmp_path, SCRIPT)
    compile(fixed, "script.py", "exec")

    await _change(vscode, path, fixed, 2)
    assert not (await _published(vscode)).diagnostics


@lsp
async def test_the_ignore_action_writes_a_comment_that_suppresses_the_finding(vscode: LanguageClient, tmp_path):
    path = _write(tmp_path, SCRIPT)
    [diagnostic] = await _open(vscode, path)
    ignore = _titled(await _actions(vscode, path, diagnostic), "Ignore MP001 on this line")
    suppressed = _applied(SCRIPT, path.as_uri(), ignore.edit)
    assert suppressed == SCRIPT.replace("Pool(2)\n", "Pool(2)  # mpfix: ignore[MP001]\n")
    await _change(vscode, path, suppressed, 2)
    assert not (await _published(vscode)).diagnostics


@lsp
async def test_fix_all_applies_the_safe_fixes_only(vscode: LanguageClient, tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.mpfix]\nunsafe-fixes = true\n")
    path = _write(tmp_path, MIXED)
    found = await _open(vscode, path)
    assert [diagnostic.code for diagnostic in found] == ["MP006", "MP001"]
    [fix_all] = await _actions(vscode, path, only=["source.fixAll"])
    assert fix_all.kind == "source.fixAll.mpfix"
    fixed = _applied(MIXED, path.as_uri(), (await vscode.code_action_resolve_async(fix_all)).edit)
    assert "    import hashlib\n" in fixed and 'if __name__ == "__main__":\n' in fixed
    assert fixed == _mpfix_fix(tmp_path, MIXED, "--isolated")


@lsp
async def test_an_unsafe_fix_is_offered_only_when_configured_and_says_so(vscode: LanguageClient, tmp_path):
    path = _write(tmp_path, MIXED)
    import_in_task = (await _open(vscode, path))[0]
    quick_fixes = [action.title for action in await _actions(vscode, path, import_in_task, only=["quickfix"])]
    assert quick_fixes == ["Ignore MP006 on this line"]

    (tmp_path / "pyproject.toml").write_text("[tool.mpfix]\nunsafe-fixes = true\n")
    unsafe = _titled(await _actions(vscode, path, import_in_task), "MP006: ")
    assert unsafe.title.startswith("MP006: ") and unsafe.title.endswith("(unsafe fix)")
    assert not unsafe.is_preferred
    fixed = _applied(MIXED, path.as_uri(), (await vscode.code_action_resolve_async(unsafe)).edit)
    assert "    import hashlib\n" not in fixed and "with mp.Pool(2) as pool:\n    print" in fixed


@lsp
async def test_a_client_without_resolve_gets_the_edits_at_once(eglot: LanguageClient, tmp_path):
    text = SCRIPT.replace("pool = multiprocessing", 'label, pool = "\U0001f600", multiprocessing')
    path = _write(tmp_path, text)
    [diagnostic] = await _open(eglot, path)
    line = text.splitlines()[7]
    assert diagnostic.range.start == types.Position(7, line.index("multiprocessing"))
    quick_fix = _titled(await _actions(eglot, path, diagnostic), "MP001: ")
    assert _applied(text, path.as_uri(), quick_fix.edit) == _mpfix_fix(tmp_path, text)


# -- hover ----------------------------------------------------------------------------


@lsp
async def test_hover_on_a_suppressed_code_shows_the_rules_summary(vscode: LanguageClient, tmp_path):
    text = GUARDED.replace("pool.join()\n", "pool.join()  # mpfix: ignore[MP011]\n")
    path = _write(tmp_path, text)
    await _open(vscode, path)
    line = text.splitlines()[13]
    at = types.TextDocumentIdentifier(path.as_uri())
    on_code = await vscode.text_document_hover_async(types.HoverParams(at, types.Position(13, line.index("MP011") + 2)))
    assert on_code.contents.value.startswith("**MP011** `pool-not-closed`: A pool or executor bound to a name")
    assert BY_NAME["pool-not-closed"].url in on_code.contents.value
    assert await vscode.text_document_hover_async(types.HoverParams(at, types.Position(13, 6))) is None


# -- the process ----------------------------------------------------------------------


LIBCST = re.compile(rb"\|\s+libcst$", re.MULTILINE)  # `-X importtime` names each module imported


def _message(method: str, params: object, id_: int | None = None) -> bytes:
    body = json.dumps({"jsonrpc": "2.0", "method": method, "params": params, **({"id": id_} if id_ else {})})
    return f"Content-Length: {len(body)}\r\n\r\n{body}".encode()


def _responses(stdout: bytes) -> dict[int, object]:
    """The server's answers by request id: the result, or the first key of a result's table."""
    bodies = [json.loads(part.split(b"\r\n\r\n", 1)[1]) for part in stdout.split(b"Content-Length: ")[1:]]
    results = {body["id"]: body.get("result", body.get("error")) for body in bodies if "id" in body}
    return {id_: next(iter(result)) if isinstance(result, dict) else result for id_, result in results.items()}


def _session(tmp_path: Path, opened: Path, language: str) -> subprocess.CompletedProcess[bytes]:
    """A whole session, piped in: initialize, open one file, shut down, exit."""
    item = {"uri": opened.as_uri(), "languageId": language, "version": 1, "text": opened.read_text()}
    messages = [
        _message("initialize", {"processId": None, "rootUri": tmp_path.as_uri(), "capabilities": {}}, 1),
        _message("initialized", {}),
        _message("textDocument/didOpen", {"textDocument": item}),
        _message("shutdown", None, 2),
        _message("exit", None),
    ]
    command = [sys.executable, "-X", "importtime", "-m", "mpfix", "server"]
    return subprocess.run(
        command, input=b"".join(messages), capture_output=True, env=_server_env(tmp_path / "cache"), timeout=60
    )


def test_libcst_waits_for_a_python_file_and_the_server_shuts_down_cleanly(tmp_path):
    notes = _session(tmp_path, _write(tmp_path, SCRIPT, "notes.txt"), "plaintext")
    assert notes.returncode == 0
    assert LIBCST.search(notes.stderr) is None
    assert _responses(notes.stdout) == {1: "capabilities", 2: None}

    script = _session(tmp_path, _write(tmp_path, SCRIPT), "python")
    assert script.returncode == 0
    assert LIBCST.search(script.stderr) is not None and b"MP001" in script.stdout


def test_without_pygls_the_command_says_what_to_install(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setitem(sys.modules, "pygls", None)
    result = CliRunner().invoke(app, ["server"])
    assert result.exit_code == 2
    assert result.output == 'mpfix: error: the language server needs pygls and lsprotocol: pip install "mpfix[lsp]"\n'


# -- the docs page --------------------------------------------------------------------


def test_the_site_address_is_the_one_mkdocs_builds():
    assert f"site_url: {DOCS_URL}\n" in (ROOT / "mkdocs.yml").read_text(encoding="utf-8")


def _snippets(language: str) -> list[str]:
    page = (ROOT / "docs" / "editors.md").read_text(encoding="utf-8")
    return re.findall(rf"^```{language}\n(.*?)^```$", page, re.MULTILINE | re.DOTALL)


def _real_command() -> list[str]:
    """The console script that pyproject.toml installs, and the command that starts the server."""
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]
    [script] = [name for name, target in scripts.items() if target == "mpfix.cli:main"]
    assert "server" in typer.main.get_command(app).commands  # type: ignore[attr-defined]
    return [script, "server"]


def test_the_editor_snippets_start_the_real_server():
    [helix] = [tomllib.loads(snippet) for snippet in _snippets("toml")]
    assert [helix["language-server"]["mpfix"]["command"], *helix["language-server"]["mpfix"]["args"]] == _real_command()
    assert "mpfix" in helix["language"][0]["language-servers"]

    [neovim] = _snippets("lua")
    assert re.search(r"cmd = \{ (.*?) \}", neovim)[1] == ", ".join(f'"{word}"' for word in _real_command())

    [vscode] = [json.loads(snippet) for snippet in _snippets("json")]
    assert [vscode["glspc.server.command"], *vscode["glspc.server.commandArguments"]] == _real_command()

    [emacs] = _snippets("elisp")
    assert " . (" + " ".join(f'"{word}"' for word in _real_command()) + ")" in emacs
