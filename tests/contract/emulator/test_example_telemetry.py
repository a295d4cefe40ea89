"""The example application on the runtime of issue 16: its conversation is pinned in the store by its id
(and says so in its metadata), every response is observed with its latency, and a tool handler that
fails is reported as a tool error and answered to the model as an error output. On the in-process
emulator."""

from __future__ import annotations

import importlib.util
import json
import sys
import time
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx2
import openai

from reconciler.cli.main import run
from reconciler.emulator import EmulatorApp, EmulatorConfig
from reconciler.emulator.transport import EmulatorTransport
from reconciler.runtime import Router
from reconciler.store import open_store
from tests.integration.support import make_project

EXAMPLE_APP = Path(__file__).resolve().parents[3] / "examples" / "chat_app.py"
NAME = "CorporateAssist"


def _example_app() -> ModuleType:
    spec = importlib.util.spec_from_file_location("chat_app_telemetry", EXAMPLE_APP)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["chat_app_telemetry"] = module
    spec.loader.exec_module(module)
    return module


def test_the_example_app_pins_its_conversation_and_reports_responses_and_tool_errors(tmp_path: Path) -> None:
    root = make_project(tmp_path / "project", api="responses")
    assert run(["apply", str(root), "--auto-approve"]) == 0
    chat = _example_app()

    def failing(arguments: dict[str, Any]) -> dict[str, Any]:
        raise TimeoutError("the expenses service did not answer")

    chat.HANDLERS["list_expenses"] = failing
    dsn = f"sqlite:///{root / '.reconcile' / 'state.db'}"
    sent: list[dict[str, Any]] = []

    class Spy(httpx2.BaseTransport):
        def __init__(self, inner: httpx2.BaseTransport) -> None:
            self.inner = inner

        def handle_request(self, request: httpx2.Request) -> httpx2.Response:
            if request.url.path == "/v1/responses":
                sent.append(json.loads(request.content))
            return self.inner.handle_request(request)

    app = EmulatorApp(EmulatorConfig(db_path=str(root / ".reconcile" / "local-platform.db")))
    started = time.time()
    try:
        with (
            openai.OpenAI(
                base_url="http://127.0.0.1/v1",
                api_key="sk-test",
                http_client=httpx2.Client(transport=Spy(EmulatorTransport(app))),
            ) as client,
            Router(dsn, "local") as router,
        ):
            transcript = chat.converse(client, router, NAME, chat.DEMO_TURNS)
            conversation = client.conversations.retrieve(transcript.conversation_id)
    finally:
        app.close()

    assert transcript.release.version == 1
    assert conversation.metadata == {"reconciler/name": NAME, "reconciler/version": "1"}
    # The failed handler's output told the model what went wrong.
    outputs = [item for body in sent if isinstance(body["input"], list) for item in body["input"]]
    assert any("TimeoutError: the expenses service did not answer" in item["output"] for item in outputs)
    with open_store(dsn) as store:
        pin = store.assignment("local", NAME, transcript.conversation_id)
        assert pin is not None and pin.version == 1
        counts = store.telemetry("local", NAME, 1, since=started - 1, until=time.time() + 1)
    assert counts.responses == len(sent) == 5  # three turns, two of them with a tool round
    assert (counts.tool_calls, counts.invalid_tool_calls, counts.tool_errors, counts.failed) == (2, 0, 1, 0)
    assert counts.latency_ms_sum > 0 and counts.input_tokens > 0
