"""Conversations and their items through the real SDK, every exchange validated against the spec."""

from __future__ import annotations

import openai
import pytest

from tests.contract.emulator.conftest import raw_json


def test_create_retrieve_update_delete(client: openai.OpenAI) -> None:
    conversation = client.conversations.create(metadata={"topic": "demo"})
    assert conversation.id.startswith("conv_")
    assert isinstance(
        raw_json(client.conversations.with_raw_response.retrieve(conversation.id))["created_at"], int
    )
    assert client.conversations.update(conversation.id, metadata={"topic": "new"}).metadata == {
        "topic": "new"
    }
    deleted = client.conversations.delete(conversation.id)
    assert (deleted.id, deleted.deleted, deleted.object) == (conversation.id, True, "conversation.deleted")
    with pytest.raises(openai.NotFoundError):
        client.conversations.retrieve(conversation.id)


def test_items_grow_and_list_in_both_orders(client: openai.OpenAI) -> None:
    conversation = client.conversations.create(items=[{"role": "user", "content": "one"}])
    added = client.conversations.items.create(
        conversation.id,
        items=[
            {"type": "message", "role": "assistant", "content": "two"},
            {"role": "user", "content": "three"},
        ],
    )
    assert len(added.data) == 2 and added.first_id == added.data[0].id
    ascending = list(client.conversations.items.list(conversation.id, order="asc"))
    texts = [item.content[0].text for item in ascending if item.type == "message"]  # type: ignore[union-attr]
    assert texts == ["one", "two", "three"]
    descending = [i.id for i in client.conversations.items.list(conversation.id)]
    assert descending == [i.id for i in reversed(ascending)]


def test_item_get_and_delete_returns_the_conversation(client: openai.OpenAI) -> None:
    conversation = client.conversations.create(items=[{"role": "user", "content": "x"}])
    (item,) = list(client.conversations.items.list(conversation.id))
    assert item.id is not None
    assert client.conversations.items.retrieve(item.id, conversation_id=conversation.id).id == item.id
    raw = raw_json(
        client.conversations.items.with_raw_response.delete(item.id, conversation_id=conversation.id)
    )
    assert (raw["id"], raw["object"]) == (conversation.id, "conversation")
    with pytest.raises(openai.NotFoundError):
        client.conversations.items.retrieve(item.id, conversation_id=conversation.id)


def test_empty_item_list_has_string_ids(client: openai.OpenAI) -> None:
    conversation = client.conversations.create()
    raw = raw_json(client.conversations.items.with_raw_response.list(conversation.id))
    assert (raw["data"], raw["first_id"], raw["last_id"], raw["has_more"]) == ([], "", "", False)


def test_items_paginate_through_the_sdk(client: openai.OpenAI) -> None:
    conversation = client.conversations.create()
    for batch in range(3):
        items = [{"role": "user", "content": f"{batch}-{i}"} for i in range(20)]
        client.conversations.items.create(conversation.id, items=items)  # type: ignore[arg-type]
    page = client.conversations.items.list(conversation.id, limit=25, order="asc")
    assert page.has_more is True
    assert len(list(page)) == 60


def test_limits_are_400(client: openai.OpenAI) -> None:
    conversation = client.conversations.create()
    with pytest.raises(openai.BadRequestError):
        client.conversations.items.create(
            conversation.id,
            items=[{"role": "user", "content": "x"}] * 21,
        )
    with pytest.raises(openai.BadRequestError) as caught:
        client.conversations.create(metadata={f"k{i}": "v" for i in range(17)})
    assert isinstance(caught.value.body, dict) and caught.value.body["param"] == "metadata"
