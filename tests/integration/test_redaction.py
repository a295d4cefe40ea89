"""Issue 12 item 15: no secret (nor a piece of one) reaches stdout or stderr, with or without --debug.

Keys are read from the environment the target names; the platform runs as a real HTTP server on
127.0.0.1 (the emulator, or a stand-in that echoes the Authorization header back in its error).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from reconciler.cli.main import run
from reconciler.emulator import EmulatorConfig
from reconciler.emulator.server import EmulatorServer
from tests.integration.support import make_project

pytestmark = [pytest.mark.server, pytest.mark.filterwarnings("ignore:deprecated:DeprecationWarning")]

HEAD = "sk-proj-HEADSECRET0123456789abcdef"
TAIL = "TAILSECRET9876543210"
DEBUG = [[], ["--debug"]]


@pytest.fixture
def server() -> Iterator[EmulatorServer]:
    emulator = EmulatorServer(EmulatorConfig(project_id="proj_remote")).start()
    yield emulator
    emulator.close()


class _EchoingPlatform(BaseHTTPRequestHandler):
    """A platform (or proxy) that quotes the request's Authorization header in its 401."""

    def do_GET(self) -> None:
        header = self.headers.get("Authorization", "")
        body = json.dumps(
            {"error": {"message": f"Invalid credentials in header 'Authorization: {header}'", "type": "auth"}}
        ).encode()
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: object) -> None:
        """Quiet: the test reads what the CLI prints, not the server's log."""


@pytest.fixture
def echoing() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _EchoingPlatform)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=10)


def _project(tmp_path: Path, base_url: str, *, state: str | None = None) -> Path:
    targets = (
        "  targets:\n"
        "    remote:\n"
        "      type: openai\n"
        f"      baseURL: {base_url}\n"
        "      projectId: proj_remote\n"
    )
    root = make_project(tmp_path / "project", target_yaml=targets)
    config = root / "reconcile.yaml"
    text = config.read_text(encoding="utf-8").replace("defaultTarget: local", "defaultTarget: remote")
    if state is not None:
        text = text.replace("state: sqlite:///.reconcile/state.db", f'state: "{state}"')
    config.write_text(text, encoding="utf-8")
    return root


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = run(argv)
    out, err = capsys.readouterr()
    return code, out, err


def _assert_no_piece(text: str, *secrets: str) -> None:
    for secret in secrets:
        assert secret not in text, secret
        for piece in secret.split():  # nor any line of it
            assert piece not in text, piece


@pytest.mark.parametrize("debug", DEBUG, ids=["plain", "debug"])
@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("OPENAI_API_KEY", f"{HEAD}\n{TAIL}"),
        ("OPENAI_API_KEY", f"{HEAD}\r\n{TAIL}"),
        ("OPENAI_API_KEY", f"{HEAD}é{TAIL}"),
        ("OPENAI_ADMIN_KEY", f"sk-admin-{HEAD[8:]}\n{TAIL}"),
    ],
    ids=["newline", "crlf", "non-ascii", "admin-newline"],
)
def test_a_key_with_a_control_or_non_ascii_character_is_refused_and_never_printed(
    variable: str,
    value: str,
    debug: list[str],
    tmp_path: Path,
    server: EmulatorServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    root = _project(tmp_path, server.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-proj-good0000000000000000000000")
    monkeypatch.setenv("OPENAI_ADMIN_KEY", "sk-admin-good000000000000000000000")
    monkeypatch.setenv(variable, value)
    code, out, err = _run([*debug, "plan", str(root)], capsys)
    assert code == 1
    last = err.splitlines()[-1]
    assert last.startswith("error: ") and variable in last
    if not debug:
        assert err.count("\n") == 1 and "Traceback" not in err
    _assert_no_piece(out + err, HEAD.removeprefix("sk-proj-"), TAIL)
    assert server.app.storage.all("assistant") == []  # refused before anything was sent


@pytest.mark.parametrize("debug", DEBUG, ids=["plain", "debug"])
@pytest.mark.parametrize("key", [HEAD, "gateway-ECHOSECRET-0123456789"], ids=["openai-shaped", "other"])
def test_a_platform_error_echoing_the_authorization_header_is_redacted(
    key: str,
    debug: list[str],
    tmp_path: Path,
    echoing: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    root = _project(tmp_path, echoing)
    monkeypatch.setenv("OPENAI_API_KEY", key)
    code, out, err = _run([*debug, "plan", str(root)], capsys)
    assert code == 1
    last = err.splitlines()[-1]
    assert "401" in last and "Invalid credentials" in last
    if debug:
        assert "Traceback" in err  # the traceback was printed, redacted
    _assert_no_piece(out + err, key)
    assert "SECRET" not in out + err


@pytest.mark.parametrize("debug", DEBUG, ids=["plain", "debug"])
@pytest.mark.parametrize(
    "state",
    [
        "postgresql://postgres@127.0.0.1:9/db?password=PGSECRET-query-0123",
        "postgresql://postgres@127.0.0.1:9/db?sslmode=disable&password=PGSECRET%2Dquery%2D0123",
        "postgresql://postgres:PGSECRET-userinfo-0123@127.0.0.1:9/db",
    ],
    ids=["query", "query-escaped", "userinfo"],
)
def test_a_postgres_password_is_never_printed(
    state: str,
    debug: list[str],
    tmp_path: Path,
    server: EmulatorServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Nothing listens on port 9, so the store fails to connect and says where it tried."""
    root = _project(tmp_path, server.base_url, state=state)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-proj-good0000000000000000000000")
    code, out, err = _run([*debug, "plan", str(root)], capsys)
    assert code == 1
    last = err.splitlines()[-1]
    assert last.startswith("error: cannot connect to PostgreSQL state at postgresql://postgres")
    assert "PGSECRET" not in out + err
