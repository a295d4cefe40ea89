"""Responses through the real SDK: the deterministic model, function calls, conversations, chains."""

from __future__ import annotations

import openai
import pytest

from tests.contract.emulator.conftest import raw_json

MEETING = {
    "type": "function",
    "name": "create_meeting",
    "parameters": {"type": "object", "properties": {"title": {"type": "string"}}},
    "strict": False,
}
REQUIRED = (
    "id", "object", "created_at", "model", "output", "tools", "tool_choice", "parallel_tool_calls",
    "metadata", "error", "incomplete_details", "instructions", "temperature", "top_p",
)  # fmt: skip


def test_text_answer_with_all_required_keys(client: openai.OpenAI) -> None:
    raw = raw_json(
        client.responses.with_raw_response.create(model="gpt-4o", input="hello", metadata={"k": "v"})
    )
    for key in REQUIRED:
        assert key in raw, key
    assert "user" not in raw and raw["usage"] is not None
    assert set(raw["usage"]["input_tokens_details"]) == {"cached_tokens", "cache_write_tokens"}
    (message,) = raw["output"]
    assert message["id"].startswith("msg_")
    assert message["content"] == [
        {"type": "output_text", "text": "echo: hello", "annotations": [], "logprobs": []}
    ]
    assert raw["id"].startswith("resp_") and raw["status"] == "completed"
    assert (raw["tool_choice"], raw["parallel_tool_calls"], raw["metadata"]) == ("auto", True, {"k": "v"})


def test_call_produces_a_function_call_item(client: openai.OpenAI) -> None:
    response = client.responses.create(
        model="gpt-4o",
        input='/call create_meeting {"title": "retro"}',
        tools=[MEETING],  # type: ignore[list-item]
    )
    (call,) = response.output
    assert call.type == "function_call"
    assert call.id is not None and call.id.startswith("fc_")
    assert (call.name, call.arguments) == ("create_meeting", '{"title":"retro"}')
    follow_up = client.responses.create(
        model="gpt-4o",
        previous_response_id=response.id,
        input=[{"type": "function_call_output", "call_id": call.call_id, "output": "booked"}],
        tools=[MEETING],  # type: ignore[list-item]
    )
    assert follow_up.output_text == "tool result: booked"


def test_call_to_a_tool_not_offered_answers_in_text(client: openai.OpenAI) -> None:
    response = client.responses.create(model="gpt-4o", input="/call create_meeting {}")
    assert response.output_text == "tool create_meeting is not available"


def test_conversation_collects_input_and_output_items(client: openai.OpenAI) -> None:
    conversation = client.conversations.create()
    first = client.responses.create(
        model="gpt-4o", conversation=conversation.id, input="hi", instructions="x"
    )
    assert first.conversation is not None and first.conversation.id == conversation.id
    assert first.instructions == "x"
    client.responses.create(
        model="gpt-4o",
        conversation=conversation.id,
        input="/call create_meeting",
        tools=[MEETING],  # type: ignore[list-item]
    )
    kinds = [
        (i.type, getattr(i, "role", None))
        for i in client.conversations.items.list(conversation.id, order="asc")
    ]
    assert kinds == [
        ("message", "user"),
        ("message", "assistant"),
        ("message", "user"),
        ("function_call", None),
    ]


def test_retrieve_input_items_delete(client: openai.OpenAI) -> None:
    response = client.responses.create(model="gpt-4o", input=[{"role": "user", "content": "a"}])
    assert client.responses.retrieve(response.id).output_text == "echo: a"
    (item,) = list(client.responses.input_items.list(response.id))
    assert item.type == "message"
    client.responses.delete(response.id)
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve(response.id)
    with pytest.raises(openai.NotFoundError):
        client.responses.delete(response.id)


def test_fail_command_gives_a_failed_response(client: openai.OpenAI) -> None:
    response = client.responses.create(model="gpt-4o", input="/fail overloaded")
    assert response.status == "failed"
    assert response.error is not None and response.error.message == "overloaded"
    assert response.output == []


def test_unsupported_and_invalid_requests_are_400(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.responses.create(model="gpt-4o", input="x", stream=True)
    assert isinstance(caught.value.body, dict) and "streaming" in caught.value.body["message"]
    with pytest.raises(openai.BadRequestError):
        client.responses.create(model="gpt-4o", input="x", previous_response_id="resp_missing")
    conversation = client.conversations.create()
    previous = client.responses.create(model="gpt-4o", input="x")
    with pytest.raises(openai.BadRequestError):
        client.responses.create(
            model="gpt-4o", input="x", conversation=conversation.id, previous_response_id=previous.id
        )
    with pytest.raises(openai.BadRequestError):
        client.responses.cancel(previous.id)


def test_the_reasoning_settings_sent_are_echoed(client: openai.OpenAI) -> None:
    response = client.responses.create(model="gpt-4o", input="hi", reasoning={"effort": "high"})
    assert response.reasoning is not None and response.reasoning.effort == "high"
    assert client.responses.create(model="gpt-4o", input="hi").reasoning is None
