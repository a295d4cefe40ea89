"""Threads and messages through the real SDK, every exchange validated against the spec."""

from __future__ import annotations

import openai
import pytest

from tests.contract.emulator.conftest import raw_json

# The SDK warns on every beta Assistants call ("deprecated" and "The Assistants API is deprecated ...").
pytestmark = pytest.mark.filterwarnings("ignore:.*deprecated:DeprecationWarning")


def test_thread_create_retrieve_modify_delete(client: openai.OpenAI) -> None:
    thread = client.beta.threads.create(metadata={"team": "a"})
    assert thread.id.startswith("thread_")
    assert client.beta.threads.retrieve(thread.id).metadata == {"team": "a"}
    assert client.beta.threads.update(thread.id, metadata={"team": "b"}).metadata == {"team": "b"}
    deleted = client.beta.threads.delete(thread.id)
    assert (deleted.id, deleted.deleted, deleted.object) == (thread.id, True, "thread.deleted")
    with pytest.raises(openai.NotFoundError):
        client.beta.threads.retrieve(thread.id)


def test_thread_keeps_its_initial_messages_in_order(client: openai.OpenAI) -> None:
    thread = client.beta.threads.create(
        messages=[{"role": "user", "content": "first"}, {"role": "assistant", "content": "second"}]
    )
    messages = list(client.beta.threads.messages.list(thread.id, order="asc"))
    assert [m.role for m in messages] == ["user", "assistant"]
    texts = [m.content[0].text.value for m in messages if m.content[0].type == "text"]
    assert texts == ["first", "second"]


def test_message_create_get_modify_delete(client: openai.OpenAI) -> None:
    thread = client.beta.threads.create()
    message = client.beta.threads.messages.create(
        thread.id, role="user", content="hello", metadata={"k": "v"}
    )
    assert message.id.startswith("msg_")
    assert message.thread_id == thread.id
    assert client.beta.threads.messages.retrieve(message.id, thread_id=thread.id).metadata == {"k": "v"}
    updated = client.beta.threads.messages.update(message.id, thread_id=thread.id, metadata={"k": "w"})
    assert updated.metadata == {"k": "w"}
    deleted = client.beta.threads.messages.delete(message.id, thread_id=thread.id)
    assert deleted.deleted is True
    assert list(client.beta.threads.messages.list(thread.id)) == []


def test_message_spec_required_nullable_keys_are_present(client: openai.OpenAI) -> None:
    thread = client.beta.threads.create()
    raw = raw_json(client.beta.threads.messages.with_raw_response.create(thread.id, role="user", content="x"))
    for key in (
        "incomplete_details",
        "completed_at",
        "incomplete_at",
        "assistant_id",
        "run_id",
        "attachments",
    ):
        assert key in raw, key
    assert raw["content"] == [{"type": "text", "text": {"value": "x", "annotations": []}}]


def test_messages_paginate_through_the_sdk(client: openai.OpenAI) -> None:
    thread = client.beta.threads.create()
    for index in range(25):
        client.beta.threads.messages.create(thread.id, role="user", content=f"m{index}")
    page = client.beta.threads.messages.list(thread.id, limit=10, order="asc")
    assert page.has_more is True and len(page.data) == 10
    texts = [m.content[0].text.value for m in page if m.content[0].type == "text"]
    assert texts == [f"m{i}" for i in range(25)]


def test_empty_message_list_has_string_ids(client: openai.OpenAI) -> None:
    thread = client.beta.threads.create()
    raw = raw_json(client.beta.threads.messages.with_raw_response.list(thread.id))
    assert (raw["data"], raw["first_id"], raw["last_id"], raw["has_more"]) == ([], "", "", False)


def test_deleting_a_thread_removes_its_messages(client: openai.OpenAI) -> None:
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "x"}])
    client.beta.threads.delete(thread.id)
    with pytest.raises(openai.NotFoundError):
        client.beta.threads.messages.list(thread.id)


def test_bad_role_and_metadata_overflow_are_400(client: openai.OpenAI) -> None:
    thread = client.beta.threads.create()
    with pytest.raises(openai.BadRequestError):
        client.beta.threads.messages.create(thread.id, role="system", content="x")  # type: ignore[arg-type]
    with pytest.raises(openai.BadRequestError) as caught:
        client.beta.threads.update(thread.id, metadata={f"k{i}": "v" for i in range(17)})
    assert isinstance(caught.value.body, dict) and caught.value.body["param"] == "metadata"
