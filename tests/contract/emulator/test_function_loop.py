"""The multi-turn function-calling loop through the real SDK, as an app runs it against the live platform:
`/call NAME {json}` gives a `function_call` with a `call_id`, the app answers with a
`function_call_output` carrying that `call_id`, and the model's text includes the output. Chained by
`previous_response_id`, by `conversation`, and by resending the whole history; a `call_id` that answers
no call is OpenAI's 400. Every exchange is checked against the spec (in-process and over HTTP)."""

from __future__ import annotations

import json
from typing import Any

import openai
import pytest
from openai.types.responses import Response, ResponseFunctionToolCall

WEATHER: Any = {
    "type": "function",
    "name": "get_weather",
    "description": "Weather in a city",
    "parameters": {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
        "additionalProperties": False,
    },
    "strict": True,
}
TIME: Any = {"type": "function", "name": "get_time", "parameters": {"type": "object"}, "strict": False}


def _only_call(response: Response) -> ResponseFunctionToolCall:
    (item,) = response.output
    assert isinstance(item, ResponseFunctionToolCall)
    assert item.call_id.startswith("call_") and item.status == "completed"
    return item


def _output(call: ResponseFunctionToolCall, value: dict[str, Any]) -> Any:
    return {"type": "function_call_output", "call_id": call.call_id, "output": json.dumps(value)}


def test_loop_over_previous_response_id(client: openai.OpenAI) -> None:
    first = client.responses.create(
        model="gpt-4.1", input='/call get_weather {"city": "Paris"}', tools=[WEATHER, TIME]
    )
    call = _only_call(first)
    assert (call.name, json.loads(call.arguments)) == ("get_weather", {"city": "Paris"})
    second = client.responses.create(
        model="gpt-4.1",
        previous_response_id=first.id,
        input=[_output(call, {"temp_c": 21})],
        tools=[WEATHER, TIME],
    )
    assert second.status == "completed"
    assert second.output_text == 'tool result: {"temp_c": 21}'
    assert second.previous_response_id == first.id
    # A later turn in the same chain can call again, and answer that call too.
    third = client.responses.create(
        model="gpt-4.1", previous_response_id=second.id, input="/call get_time", tools=[WEATHER, TIME]
    )
    again = _only_call(third)
    assert (again.name, again.arguments) == ("get_time", "{}")
    fourth = client.responses.create(
        model="gpt-4.1", previous_response_id=third.id, input=[_output(again, {"now": "12:00"})]
    )
    assert fourth.output_text == 'tool result: {"now": "12:00"}'


def test_loop_over_a_conversation(client: openai.OpenAI) -> None:
    conversation = client.conversations.create(metadata={"app": "weather"})
    first = client.responses.create(
        model="gpt-4.1",
        conversation=conversation.id,
        input='/call get_weather {"city": "Oslo"}',
        tools=[WEATHER],
    )
    call = _only_call(first)
    second = client.responses.create(
        model="gpt-4.1", conversation=conversation.id, input=[_output(call, {"temp_c": -3})], tools=[WEATHER]
    )
    assert second.output_text == 'tool result: {"temp_c": -3}'
    assert second.conversation is not None and second.conversation.id == conversation.id
    items = list(client.conversations.items.list(conversation.id, order="asc"))
    assert [item.type for item in items] == ["message", "function_call", "function_call_output", "message"]
    assert items[1].call_id == items[2].call_id == call.call_id  # type: ignore[union-attr]


def test_loop_by_resending_the_history(client: openai.OpenAI) -> None:
    """No server-side state: the app sends the whole history back, output items included."""
    history: list[Any] = [{"role": "user", "content": '/call get_weather {"city": "Rome"}'}]
    first = client.responses.create(model="gpt-4.1", input=history, tools=[WEATHER], store=False)
    call = _only_call(first)
    history += [item.model_dump(exclude_none=True) for item in first.output]
    history.append(_output(call, {"temp_c": 30}))
    second = client.responses.create(model="gpt-4.1", input=history, tools=[WEATHER], store=False)
    assert second.output_text == 'tool result: {"temp_c": 30}'


@pytest.mark.parametrize("chained_by", ["nothing", "previous_response_id", "conversation"])
def test_output_for_an_unknown_call_id_is_refused(client: openai.OpenAI, chained_by: str) -> None:
    chain: Any = {}
    if chained_by == "previous_response_id":
        previous = client.responses.create(model="gpt-4.1", input="/call get_time", tools=[TIME])
        chain = {"previous_response_id": previous.id}
    elif chained_by == "conversation":
        conversation = client.conversations.create()
        client.responses.create(
            model="gpt-4.1", conversation=conversation.id, input="/call get_time", tools=[TIME]
        )
        chain = {"conversation": conversation.id}
    with pytest.raises(openai.BadRequestError) as caught:
        client.responses.create(
            model="gpt-4.1",
            input=[{"type": "function_call_output", "call_id": "call_unknown", "output": "x"}],
            tools=[TIME],
            **chain,
        )
    assert caught.value.status_code == 400
    assert caught.value.message.endswith(
        "No tool call found for function call output with call_id call_unknown."
    )
    assert isinstance(caught.value.body, dict) and caught.value.body["param"] == "input"
    assert caught.value.body["type"] == "invalid_request_error"


def test_refused_output_leaves_the_conversation_unchanged(client: openai.OpenAI) -> None:
    conversation = client.conversations.create()
    client.responses.create(
        model="gpt-4.1", conversation=conversation.id, input="/call get_time", tools=[TIME]
    )
    before = [item.id for item in client.conversations.items.list(conversation.id)]
    with pytest.raises(openai.BadRequestError):
        client.responses.create(
            model="gpt-4.1",
            conversation=conversation.id,
            input=[{"type": "function_call_output", "call_id": "call_nope", "output": "x"}],
        )
    assert [item.id for item in client.conversations.items.list(conversation.id)] == before
