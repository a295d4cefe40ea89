"""What a conversation migration (issue 17) asks of the platform, checked against the spec through the
real SDK: copies created with up to 20 items, items appended in the input shapes
`targets.conversation_items` produces, pages read forward with `after`, metadata within its limits,
deletes; on Assistants v2 thread metadata and run cancellation; the rate limit on conversations."""

from __future__ import annotations

import re
from typing import Any

import openai
import pytest

from reconciler.emulator import EmulatorConfig, FaultConfig
from tests.contract.emulator.conftest import ClientFactory, FakeClock

pytestmark = pytest.mark.filterwarnings("ignore:.*deprecated:DeprecationWarning")

# The shapes ConversationOps.read_items produces, one of each.
COPYABLE: Any = [
    {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "book a room"}]},
    {"type": "message", "role": "developer", "content": [{"type": "input_text", "text": "be brief"}]},
    {"type": "function_call", "call_id": "call_1", "name": "book", "arguments": '{"room": "A"}'},
    {"type": "function_call_output", "call_id": "call_1", "output": '{"ok": true}'},
    {"type": "file_search_call", "id": "fs_1", "status": "completed", "queries": ["rooms"]},
    {"type": "message", "role": "assistant", "content": "Booked room A."},
]


def _error(caught: pytest.ExceptionInfo[openai.BadRequestError]) -> dict[str, Any]:
    body = caught.value.body
    assert isinstance(body, dict) and set(body) >= {"message", "type", "param", "code"}
    return body


def test_a_copy_is_created_with_20_items_and_metadata_not_21(client: openai.OpenAI) -> None:
    twenty: Any = [{"role": "user", "content": f"m{i}"} for i in range(20)]
    copy = client.conversations.create(metadata={"reconciler/migrated-from": "conv_old"}, items=twenty)
    assert copy.metadata == {"reconciler/migrated-from": "conv_old"}
    assert len(list(client.conversations.items.list(copy.id, limit=100))) == 20
    with pytest.raises(openai.BadRequestError) as caught:
        client.conversations.create(items=[*twenty, {"role": "user", "content": "x"}])
    assert _error(caught)["param"] == "items"


def test_items_accept_every_copyable_shape_and_keep_call_pairs(client: openai.OpenAI) -> None:
    conversation = client.conversations.create()
    added = client.conversations.items.create(conversation.id, items=COPYABLE).data
    assert [i.type for i in added] == [i["type"] for i in COPYABLE]
    stored = list(client.conversations.items.list(conversation.id, order="asc"))
    pairs = [(i.type, i.call_id) for i in stored if i.type in ("function_call", "function_call_output")]
    assert pairs == [("function_call", "call_1"), ("function_call_output", "call_1")]
    assistant = stored[-1]
    assert assistant.type == "message" and assistant.content[0].type == "output_text"


def test_output_text_parts_need_the_output_message_shape(client: openai.OpenAI) -> None:
    """The spec takes `output_text` only inside an OutputMessage (id, status, annotations, logprobs)."""
    conversation = client.conversations.create()
    bare: Any = [{"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "x"}]}]
    with pytest.raises(openai.BadRequestError):
        client.conversations.items.create(conversation.id, items=bare)
    with pytest.raises(openai.BadRequestError) as caught:
        client.conversations.items.create(conversation.id, items=COPYABLE * 4)  # 24 items
    assert _error(caught)["param"] == "items"


def test_items_page_forward_with_after(client: openai.OpenAI) -> None:
    conversation = client.conversations.create()
    for batch in range(3):
        items: Any = [{"role": "user", "content": f"{batch}-{i}"} for i in range(20)]
        client.conversations.items.create(conversation.id, items=items)
    texts: list[str] = []
    after: str | None = None
    for _ in range(10):
        page = client.conversations.items.list(
            conversation.id, limit=25, order="asc", **({"after": after} if after else {})
        )
        texts += [i.content[0].text for i in page.data]  # type: ignore[union-attr]
        if not page.has_more:
            break
        after = page.last_id
    assert texts == [f"{b}-{i}" for b in range(3) for i in range(20)]
    first = client.conversations.items.list(conversation.id, limit=1).data[0]
    assert first.content[0].text == "2-19"  # type: ignore[union-attr]  # default order: desc


@pytest.mark.parametrize(
    ("metadata", "param"),
    [
        ({f"k{i}": "v" for i in range(17)}, "metadata"),
        ({"k" * 65: "v"}, "metadata." + "k" * 65),
        ({"k": "v" * 513}, "metadata.k"),
    ],
)
def test_update_outside_the_metadata_limits_is_400(
    client: openai.OpenAI, metadata: dict[str, str], param: str
) -> None:
    conversation = client.conversations.create(metadata={"keep": "me"})
    with pytest.raises(openai.BadRequestError) as caught:
        client.conversations.update(conversation.id, metadata=metadata)
    assert _error(caught)["param"] == param
    assert client.conversations.retrieve(conversation.id).metadata == {"keep": "me"}
    sixteen = {f"k{i}": "v" * 512 for i in range(16)}
    assert client.conversations.update(conversation.id, metadata=sixteen).metadata == sixteen


def test_a_deleted_conversation_is_404_on_every_route(client: openai.OpenAI) -> None:
    conversation = client.conversations.create(items=[{"role": "user", "content": "x"}])
    assert client.conversations.delete(conversation.id).deleted is True
    with pytest.raises(openai.NotFoundError):
        client.conversations.delete(conversation.id)
    with pytest.raises(openai.NotFoundError):
        client.conversations.items.list(conversation.id)


MEETING_TOOL: Any = {
    "type": "function",
    "function": {"name": "create_meeting", "parameters": {"type": "object", "properties": {}}},
}


@pytest.mark.parametrize("text", ["/call create_meeting", "hello"])
def test_active_runs_cancel_through_cancelling(
    make_client: ClientFactory, clock: FakeClock, text: str
) -> None:
    client = make_client(EmulatorConfig(run_queued_seconds=1.0, run_cancel_seconds=1.0))
    assistant = client.beta.assistants.create(model="gpt-4o", tools=[MEETING_TOOL])
    thread = client.beta.threads.create(messages=[{"role": "user", "content": text}])
    run = client.beta.threads.runs.create(thread.id, assistant_id=assistant.id)
    if text.startswith("/call"):
        clock.advance(1.5)
        assert client.beta.threads.runs.retrieve(run.id, thread_id=thread.id).status == "requires_action"
    else:
        assert run.status == "queued"
    assert client.beta.threads.runs.cancel(run.id, thread_id=thread.id).status == "cancelling"
    statuses = [r.status for r in client.beta.threads.runs.list(thread.id)]
    assert statuses == ["cancelling"]
    clock.advance(1.5)
    assert [r.status for r in client.beta.threads.runs.list(thread.id)] == ["cancelled"]
    labelled = client.beta.threads.update(thread.id, metadata={"reconciler/version": "2"})
    assert labelled.metadata == {"reconciler/version": "2"}


def test_conversations_are_rate_limited_with_openai_headers(make_client: ClientFactory) -> None:
    client = make_client(EmulatorConfig(faults=FaultConfig(rpm=2)))
    ok = client.conversations.with_raw_response.create()
    assert ok.headers["x-ratelimit-limit-requests"] == "2"
    assert ok.headers["x-ratelimit-remaining-requests"] == "1"
    # OpenAI writes durations as Go does: 20ms, 1s, 6m0s.
    assert re.fullmatch(r"(\d+ms|(\d+m)?\d+(\.\d+)?s)", ok.headers["x-ratelimit-reset-requests"])
    client.conversations.items.list(ok.parse().id)  # the same group: the items routes count too
    with pytest.raises(openai.RateLimitError) as caught:
        client.conversations.create()
    headers = caught.value.response.headers
    assert int(headers["retry-after"]) >= 1 and headers["x-ratelimit-remaining-requests"] == "0"
