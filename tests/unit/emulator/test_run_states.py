"""The run status machine, driven by a fake clock through the WSGI app in-process (no sockets)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx2
import pytest

from reconciler.emulator import EmulatorApp, EmulatorConfig
from reconciler.emulator.transport import http_client

START = 1_700_000_000.0


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now


class Api:
    def __init__(self, client: httpx2.Client, clock: Clock) -> None:
        self.client = client
        self.clock = clock

    def call(self, method: str, path: str, json: Any = None, status: int = 200) -> Any:
        response = self.client.request(
            method, f"http://127.0.0.1/v1{path}", json=json, headers={"Authorization": "Bearer sk-test"}
        )
        assert response.status_code == status, response.text
        return response.json()

    def thread_with(self, text: str, tools: tuple[str, ...] = ("create_meeting",)) -> tuple[str, str]:
        functions = [{"type": "function", "function": {"name": n}} for n in tools]
        assistant = self.call("POST", "/assistants", {"model": "gpt-4o", "tools": functions})
        thread = self.call("POST", "/threads", {"messages": [{"role": "user", "content": text}]})
        return thread["id"], assistant["id"]

    def run(self, text: str) -> tuple[str, str]:
        thread_id, assistant_id = self.thread_with(text)
        run = self.call("POST", f"/threads/{thread_id}/runs", {"assistant_id": assistant_id})
        assert run["status"] == "queued"
        return thread_id, run["id"]

    def get(self, thread_id: str, run_id: str) -> Any:
        return self.call("GET", f"/threads/{thread_id}/runs/{run_id}")


@pytest.fixture
def api() -> Iterator[Api]:
    clock = Clock()
    config = EmulatorConfig(run_queued_seconds=1.0, run_in_progress_seconds=2.0, run_expires_seconds=60)
    app = EmulatorApp(config, clock=clock)
    client = http_client(app)
    yield Api(client, clock)
    client.close()
    app.close()


def test_queued_then_in_progress_then_completed_on_the_clock(api: Api) -> None:
    thread_id, run_id = api.run("hello")
    api.clock.now += 0.5
    assert api.get(thread_id, run_id)["status"] == "queued"
    api.clock.now += 1.0
    run = api.get(thread_id, run_id)
    assert run["status"] == "in_progress" and run["started_at"] == int(START + 1)
    api.clock.now += 2.0
    run = api.get(thread_id, run_id)
    assert run["status"] == "completed"
    assert run["completed_at"] == int(START + 3)
    assert run["expires_at"] is None
    assert run["usage"]["total_tokens"] == run["usage"]["prompt_tokens"] + run["usage"]["completion_tokens"]
    messages = api.call("GET", f"/threads/{thread_id}/messages?order=asc")["data"]
    assert [m["role"] for m in messages] == ["user", "assistant"]
    assert messages[1]["content"][0]["text"]["value"] == "echo: hello"
    assert messages[1]["run_id"] == run_id


def test_stamps_do_not_depend_on_how_often_the_client_polls(api: Api) -> None:
    thread_id, run_id = api.run("hello")
    api.clock.now += 100.0  # one late look sees the whole history, stamped when it happened
    run = api.get(thread_id, run_id)
    assert (run["status"], run["started_at"], run["completed_at"]) == (
        "completed",
        int(START + 1),
        int(START + 3),
    )


def test_tool_call_requires_action_then_expires(api: Api) -> None:
    thread_id, run_id = api.run('/call create_meeting {"title": "sync"}')
    api.clock.now += 3.0
    run = api.get(thread_id, run_id)
    assert run["status"] == "requires_action"
    call = run["required_action"]["submit_tool_outputs"]["tool_calls"][0]
    assert call["function"] == {"name": "create_meeting", "arguments": '{"title":"sync"}'}
    assert run["usage"] is None
    api.clock.now += 60.0
    run = api.get(thread_id, run_id)
    assert run["status"] == "expired" and run["expires_at"] == int(START) + 60
    assert run["required_action"] is None
    error = api.call(
        "POST",
        f"/threads/{thread_id}/runs/{run_id}/submit_tool_outputs",
        {"tool_outputs": [{"tool_call_id": call["id"], "output": "x"}]},
        status=400,
    )
    assert "expired" in error["error"]["message"]


def test_submit_tool_outputs_requeues_and_completes_with_the_result(api: Api) -> None:
    thread_id, run_id = api.run("/call create_meeting")
    api.clock.now += 3.0
    call_id = api.get(thread_id, run_id)["required_action"]["submit_tool_outputs"]["tool_calls"][0]["id"]
    wrong = {"tool_outputs": [{"tool_call_id": "call_other", "output": "x"}]}
    api.call("POST", f"/threads/{thread_id}/runs/{run_id}/submit_tool_outputs", wrong, status=400)
    right = {"tool_outputs": [{"tool_call_id": call_id, "output": "booked"}]}
    run = api.call("POST", f"/threads/{thread_id}/runs/{run_id}/submit_tool_outputs", right)
    assert run["status"] == "queued" and run["required_action"] is None
    api.clock.now += 3.0
    run = api.get(thread_id, run_id)
    assert run["status"] == "completed"
    last = api.call("GET", f"/threads/{thread_id}/messages?limit=1")["data"][0]
    assert last["content"][0]["text"]["value"] == "tool result: booked"


def test_cancel_goes_through_cancelling(api: Api) -> None:
    thread_id, run_id = api.run("hello")
    run = api.call("POST", f"/threads/{thread_id}/runs/{run_id}/cancel")
    assert run["status"] == "cancelling"
    api.clock.now += 0.1
    run = api.get(thread_id, run_id)
    assert run["status"] == "cancelled" and run["cancelled_at"] == int(START)
    api.call("POST", f"/threads/{thread_id}/runs/{run_id}/cancel", status=400)


def test_fail_command_fails_the_run_with_last_error(api: Api) -> None:
    thread_id, run_id = api.run("/fail boom")
    api.clock.now += 3.0
    run = api.get(thread_id, run_id)
    assert run["status"] == "failed"
    assert run["last_error"] == {"code": "server_error", "message": "boom"}
    assert run["failed_at"] == int(START + 3)


def test_an_active_run_blocks_new_messages_and_new_runs(api: Api) -> None:
    thread_id, _ = api.run("hello")
    message = {"role": "user", "content": "more"}
    api.call("POST", f"/threads/{thread_id}/messages", message, status=400)
    assistant = api.call("POST", "/assistants", {"model": "gpt-4o"})
    api.call("POST", f"/threads/{thread_id}/runs", {"assistant_id": assistant["id"]}, status=400)
    api.clock.now += 3.0
    api.call("POST", f"/threads/{thread_id}/messages", message)
