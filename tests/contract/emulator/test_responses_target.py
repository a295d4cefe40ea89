"""Issue 15's contract: every request the Responses-era target sends during a full example apply (spend
controls included), a re-plan, a new version and the example application's conversation is recorded and
checked against OpenAI's spec, and none goes to `/assistants` or `/threads`. In process and over the served
emulator (the target then speaks HTTP to it like to api.openai.com)."""

from __future__ import annotations

import importlib.util
import io
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import httpx2
import openai
import pytest

from reconciler import service
from reconciler.emulator import EmulatorApp, EmulatorConfig
from reconciler.emulator.server import EmulatorServer
from reconciler.emulator.transport import EmulatorTransport
from reconciler.runtime import Router
from tests.contract.emulator.conftest import ValidatingTransport
from tests.contract.emulator.spec_check import SpecChecker
from tests.integration.support import edit_file, make_project

EXAMPLE_APP = Path(__file__).resolve().parents[3] / "examples" / "chat_app.py"
DEAD = ("/v1/assistants", "/v1/threads")


class Recording(httpx2.BaseTransport):
    def __init__(self, inner: httpx2.BaseTransport) -> None:
        self.inner = inner
        self.sent: list[str] = []

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        self.sent.append(f"{request.method} {request.url.path}")
        return self.inner.handle_request(request)

    def close(self) -> None:
        """Shared by several clients in a test: the fixture closes the transport underneath."""


def _example_app() -> ModuleType:
    spec = importlib.util.spec_from_file_location("chat_app", EXAMPLE_APP)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["chat_app"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(params=["inprocess", pytest.param("server", marks=pytest.mark.server)])
def platform(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Path, str, httpx2.BaseTransport]]:
    """The example project (spend controls included) on a Responses-era target, and how it reaches the
    platform: the emulator in process, or a served emulator on 127.0.0.1 named by `baseURL`."""
    if request.param == "inprocess":
        app = EmulatorApp(EmulatorConfig())
        root = make_project(tmp_path / "project", spend=True, api="responses")
        inner: httpx2.BaseTransport = EmulatorTransport(app)
        yield root, "http://127.0.0.1/v1", inner
        inner.close()
        app.close()
        return
    server = EmulatorServer(EmulatorConfig()).start()
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("OPENAI_ADMIN_KEY", "sk-admin-test")
    targets = (
        "  targets:\n    local:\n      type: openai\n      api: responses\n"
        f"      baseURL: {server.base_url}\n      projectId: proj_local\n"
    )
    root = make_project(tmp_path / "project", spend=True, api="responses", target_yaml=targets)
    http = httpx2.HTTPTransport()
    yield root, server.base_url, http
    http.close()
    server.close()


def test_a_full_apply_and_a_conversation_send_only_live_endpoints_each_valid_under_the_spec(
    platform: tuple[Path, str, httpx2.BaseTransport], spec_checker: SpecChecker
) -> None:
    root, base_url, inner = platform
    violations: list[str] = []
    recording = Recording(ValidatingTransport(inner, spec_checker, violations))

    with service.open_workspace(root, transport=recording) as ws:
        plan, report = service.apply(ws, sleep=lambda _: None)
        assert report is not None and report.ok
        assert {c.kind.value for c in plan.changes} >= {"Assistant", "VectorStore", "File", "SpendAlert"}
        replan, _ = service.make_plan(ws, allow_empty=True)
        assert not replan.has_changes
    edit_file(root, "manifests/corporate-assist.yaml", "You are CorporateAssist", "You are CorporateAssist 2")
    with service.open_workspace(root, transport=recording) as ws:
        _, report = service.apply(ws, sleep=lambda _: None)
        assert report is not None and report.ok
        versions = ws.store.versions(ws.name, "CorporateAssist")
    assert [v.number for v in versions] == [1, 2] and all(v.bundle for v in versions)

    # The application: its own SDK client (through the same checks), the release from the runtime.
    chat = _example_app()
    http = httpx2.Client(transport=recording)
    with (
        openai.OpenAI(base_url=base_url, api_key="sk-test", http_client=http) as client,
        Router(f"sqlite:///{root / '.reconcile' / 'state.db'}", "local") as router,
    ):
        transcript = chat.converse(client, router, "CorporateAssist", chat.DEMO_TURNS)
    assert transcript.release.version == 2
    assert [name for name, _ in transcript.tool_calls] == ["create_meeting", "list_expenses"]
    assert all(m["reconciler/version"] == "2" for m in transcript.response_metadata)

    assert violations == []
    assert recording.sent, "nothing was recorded"
    dead = [line for line in recording.sent if line.split(" ", 1)[1].startswith(DEAD)]
    assert dead == []
    assert any(line.startswith("POST /v1/responses") for line in recording.sent)
    assert any("spend_alerts" in line for line in recording.sent)


def test_the_example_app_prints_its_conversation(tmp_path: Path) -> None:
    """`python examples/chat_app.py` after an apply, as `make demo` runs it."""
    root = make_project(tmp_path / "project", api="responses")
    from reconciler.cli.main import run

    assert run(["apply", str(root), "--auto-approve"]) == 0
    out = io.StringIO()
    assert _example_app().main(["--project", str(root)], out=out) == 0
    text = out.getvalue()
    assert "on CorporateAssist v1" in text
    assert "tool call: create_meeting(" in text and "tool call: list_expenses(" in text
    assert "answer: From expense-rules" in text and "USD 220 per night" in text  # file_search, from the store

    # The stop button: the app prints its fallback line, no traceback, no turn.
    assert run(["stop", "CorporateAssist", str(root), "--reason", "maintenance"]) == 0
    out = io.StringIO()
    assert _example_app().main(["--project", str(root)], out=out) == 0
    assert out.getvalue() == "fallback: CorporateAssist is paused (maintenance); please try again later.\n"


def test_the_example_app_finds_its_project_from_a_subdirectory_and_says_when_nothing_was_applied(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_project(tmp_path / "project", api="responses")
    monkeypatch.chdir(root / "manifests")
    chat = _example_app()
    assert chat.main([], out=io.StringIO()) == 1  # nothing applied yet: one line, no traceback
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("error: ") and "apply" in line
    assert not (root / "manifests" / ".reconcile").exists()  # no stray state where it was run

    from reconciler.cli.main import run

    assert run(["apply", str(root), "--auto-approve"]) == 0
    out = io.StringIO()
    assert chat.main([], out=out) == 0
    assert "on CorporateAssist v1" in out.getvalue()


def test_a_stop_pressed_during_a_conversation_refuses_its_next_turn(tmp_path: Path) -> None:
    """A conversation is pinned to its release, not exempt from the stop button (issue 16 item 7)."""
    from reconciler.cli.main import run
    from reconciler.runtime import Stopped
    from reconciler.service import open_release_state, stops

    root = make_project(tmp_path / "project", api="responses")
    assert run(["apply", str(root), "--auto-approve"]) == 0
    chat = _example_app()

    def meeting_then_stop(arguments: dict[str, object]) -> dict[str, object]:
        with open_release_state(root) as state:  # another operator presses stop mid-conversation
            stops.stop(state, "CorporateAssist", reason="incident 42")
        return {"meeting_id": "mtg_1"}

    app = EmulatorApp(EmulatorConfig(db_path=str(root / ".reconcile" / "local-platform.db")))
    http = httpx2.Client(transport=EmulatorTransport(app))
    try:
        with (
            openai.OpenAI(base_url="http://127.0.0.1/v1", api_key="sk-test", http_client=http) as client,
            Router(f"sqlite:///{root / '.reconcile' / 'state.db'}", "local", ttl_seconds=3600) as router,
        ):
            chat.HANDLERS["create_meeting"] = meeting_then_stop
            with pytest.raises(Stopped, match="incident 42"):
                chat.converse(client, router, "CorporateAssist", chat.DEMO_TURNS)
    finally:
        chat.HANDLERS["create_meeting"] = chat.create_meeting
        app.close()
