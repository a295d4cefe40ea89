"""Runs through the real SDK on a fake clock: the status machine, tool calls, cancel, expiry, usage."""

from __future__ import annotations

import openai
import pytest

from reconciler.emulator import EmulatorConfig
from tests.contract.emulator.conftest import ClientFactory, FakeClock, raw_json

# The SDK warns on every beta Assistants call ("deprecated" and "The Assistants API is deprecated ...").
pytestmark = pytest.mark.filterwarnings("ignore:.*deprecated:DeprecationWarning")

TIMED = EmulatorConfig(run_queued_seconds=1.0, run_in_progress_seconds=2.0, run_expires_seconds=600)
MEETING_TOOL = {
    "type": "function",
    "function": {
        "name": "create_meeting",
        "parameters": {"type": "object", "properties": {"title": {"type": "string"}}},
    },
}
# Every key RunObject requires, several of them nullable: the SDK's model would default a missing one.
RUN_REQUIRED = (
    "id", "object", "created_at", "thread_id", "assistant_id", "status", "required_action", "last_error",
    "expires_at", "started_at", "cancelled_at", "failed_at", "completed_at", "model", "instructions", "tools",
    "metadata", "usage", "incomplete_details", "max_prompt_tokens", "max_completion_tokens",
    "truncation_strategy", "tool_choice", "parallel_tool_calls", "response_format",
)  # fmt: skip


def start(client: openai.OpenAI, text: str) -> tuple[str, str]:
    assistant = client.beta.assistants.create(model="gpt-4o", tools=[MEETING_TOOL])  # type: ignore[list-item]
    thread = client.beta.threads.create(messages=[{"role": "user", "content": text}])
    run = client.beta.threads.runs.create(thread.id, assistant_id=assistant.id)
    assert run.status == "queued"
    assert run.id.startswith("run_")
    return thread.id, run.id


def test_full_tool_call_round_trip(make_client: ClientFactory, clock: FakeClock) -> None:
    client = make_client(TIMED)
    thread_id, run_id = start(client, '/call create_meeting {"title": "planning"}')
    clock.advance(1.5)
    assert client.beta.threads.runs.retrieve(run_id, thread_id=thread_id).status == "in_progress"
    clock.advance(2.0)
    run = client.beta.threads.runs.retrieve(run_id, thread_id=thread_id)
    assert run.status == "requires_action"
    assert run.required_action is not None
    (call,) = run.required_action.submit_tool_outputs.tool_calls
    assert (call.function.name, call.function.arguments) == ("create_meeting", '{"title":"planning"}')
    run = client.beta.threads.runs.submit_tool_outputs(
        run_id, thread_id=thread_id, tool_outputs=[{"tool_call_id": call.id, "output": "meeting booked"}]
    )
    assert run.status == "queued"
    clock.advance(3.0)
    run = client.beta.threads.runs.retrieve(run_id, thread_id=thread_id)
    assert run.status == "completed"
    assert run.usage is not None and run.usage.total_tokens > 0
    reply = client.beta.threads.messages.list(thread_id, limit=1).data[0]
    assert (reply.role, reply.run_id) == ("assistant", run_id)
    assert reply.content[0].type == "text" and reply.content[0].text.value == "tool result: meeting booked"


def test_plain_message_completes_with_an_echo(make_client: ClientFactory, clock: FakeClock) -> None:
    client = make_client(TIMED)
    thread_id, run_id = start(client, "what is on today?")
    clock.advance(10.0)
    run = client.beta.threads.runs.retrieve(run_id, thread_id=thread_id)
    assert run.status == "completed" and run.expires_at is None
    messages = client.beta.threads.messages.list(thread_id, run_id=run_id).data
    assert [m.content[0].text.value for m in messages if m.content[0].type == "text"] == [
        "echo: what is on today?"
    ]


def test_queued_run_has_every_required_key(make_client: ClientFactory) -> None:
    client = make_client(TIMED)
    assistant = client.beta.assistants.create(model="gpt-4o")
    thread = client.beta.threads.create()
    raw = raw_json(client.beta.threads.runs.with_raw_response.create(thread.id, assistant_id=assistant.id))
    for key in RUN_REQUIRED:
        assert key in raw, key
    assert raw["started_at"] is None and raw["usage"] is None and raw["required_action"] is None


def test_cancel_goes_through_cancelling_to_cancelled(make_client: ClientFactory, clock: FakeClock) -> None:
    client = make_client(TIMED)
    thread_id, run_id = start(client, "hello")
    assert client.beta.threads.runs.cancel(run_id, thread_id=thread_id).status == "cancelling"
    clock.advance(0.1)
    run = client.beta.threads.runs.retrieve(run_id, thread_id=thread_id)
    assert run.status == "cancelled" and run.cancelled_at is not None
    with pytest.raises(openai.BadRequestError):
        client.beta.threads.runs.cancel(run_id, thread_id=thread_id)


def test_requires_action_expires(make_client: ClientFactory, clock: FakeClock) -> None:
    client = make_client(TIMED)
    thread_id, run_id = start(client, "/call create_meeting")
    clock.advance(3.0)
    assert client.beta.threads.runs.retrieve(run_id, thread_id=thread_id).status == "requires_action"
    clock.advance(600.0)
    run = client.beta.threads.runs.retrieve(run_id, thread_id=thread_id)
    assert run.status == "expired" and run.required_action is None


def test_fail_command_gives_a_failed_run(make_client: ClientFactory, clock: FakeClock) -> None:
    client = make_client(TIMED)
    thread_id, run_id = start(client, "/fail no capacity")
    clock.advance(5.0)
    run = client.beta.threads.runs.retrieve(run_id, thread_id=thread_id)
    assert run.status == "failed"
    assert run.last_error is not None
    assert (run.last_error.code, run.last_error.message) == ("server_error", "no capacity")


def test_runs_list_and_modify(make_client: ClientFactory, clock: FakeClock) -> None:
    client = make_client(TIMED)
    thread_id, run_id = start(client, "hello")
    clock.advance(5.0)
    assert [r.id for r in client.beta.threads.runs.list(thread_id)] == [run_id]
    updated = client.beta.threads.runs.update(run_id, thread_id=thread_id, metadata={"k": "v"})
    assert updated.metadata == {"k": "v"}


def test_tool_not_offered_is_answered_in_text(make_client: ClientFactory, clock: FakeClock) -> None:
    client = make_client(TIMED)
    thread_id, run_id = start(client, "/call launch_rockets {}")
    clock.advance(5.0)
    assert client.beta.threads.runs.retrieve(run_id, thread_id=thread_id).status == "completed"
    reply = client.beta.threads.messages.list(thread_id, limit=1).data[0]
    assert reply.content[0].type == "text"
    assert reply.content[0].text.value == "tool launch_rockets is not available"


def test_run_on_missing_assistant_or_thread_is_404(client: openai.OpenAI) -> None:
    thread = client.beta.threads.create()
    with pytest.raises(openai.NotFoundError):
        client.beta.threads.runs.create(thread.id, assistant_id="asst_missing")
    with pytest.raises(openai.NotFoundError):
        client.beta.threads.runs.retrieve("run_missing", thread_id=thread.id)
