"""Responses' `file_search` tool through the real SDK: the deterministic model's `/search QUERY` (and a plain
question when file search is the only tool) searches the vector stores' ingested files, and the output is a
`file_search_call` followed by a message that quotes the best match and cites it. Every exchange is
checked against the spec, in-process and over HTTP."""

from __future__ import annotations

from typing import Any

import openai
import pytest
from openai.types.responses import ResponseFileSearchToolCall, ResponseOutputMessage

from reconciler.emulator import EmulatorConfig
from reconciler.emulator.model import count_tokens
from tests.contract.emulator.conftest import ClientFactory, FakeClock, raw_json

POLICY = b"""# Returns
Refunds are issued within 30 days of purchase.
Shipping is free for orders over 50 euros.
"""
HANDBOOK = b"""Holidays: 25 days a year.
Refunds of travel costs need a receipt.
"""
RESULTS = ["file_search_call.results"]


def _store(client: openai.OpenAI) -> tuple[str, str, str]:
    """A vector store holding policy.md (region eu) and handbook.txt (region us); returns the ids."""
    policy = client.files.create(file=("policy.md", POLICY), purpose="assistants").id
    handbook = client.files.create(file=("handbook.txt", HANDBOOK), purpose="assistants").id
    store = client.vector_stores.create(name="kb")
    client.vector_stores.files.create(store.id, file_id=policy, attributes={"region": "eu", "year": 2026})
    client.vector_stores.files.create(store.id, file_id=handbook, attributes={"region": "us", "year": 2024})
    return store.id, policy, handbook


def _tool(store_id: str, **options: Any) -> Any:
    return {"type": "file_search", "vector_store_ids": [store_id], **options}


def _split(response: Any) -> tuple[ResponseFileSearchToolCall, ResponseOutputMessage]:
    call, message = response.output
    assert isinstance(call, ResponseFileSearchToolCall) and isinstance(message, ResponseOutputMessage)
    return call, message


def test_search_command_gives_a_call_and_a_cited_quote(client: openai.OpenAI) -> None:
    store_id, policy, handbook = _store(client)
    response = client.responses.create(
        model="gpt-4.1", input="/search refunds within 30 days", tools=[_tool(store_id)], include=RESULTS
    )
    call, message = _split(response)
    assert call.id.startswith("fs_") and call.status == "completed"
    assert call.queries == ["refunds within 30 days"]
    assert call.results is not None
    best, other = call.results
    assert (best.file_id, best.filename, best.score) == (policy, "policy.md", 1.0)
    assert best.text == POLICY.decode() and best.attributes == {"region": "eu", "year": 2026}
    assert (other.file_id, other.filename, other.score) == (
        handbook,
        "handbook.txt",
        0.5,
    )  # "refunds", "days"
    text = 'From policy.md: "Refunds are issued within 30 days of purchase."'
    assert response.output_text == text
    (annotation,) = message.content[0].annotations  # type: ignore[union-attr]
    assert annotation.type == "file_citation"
    assert (annotation.file_id, annotation.filename, annotation.index) == (policy, "policy.md", len(text))


def test_results_are_null_unless_included(client: openai.OpenAI) -> None:
    store_id, _, _ = _store(client)
    raw = raw_json(
        client.responses.with_raw_response.create(
            model="gpt-4.1", input="/search shipping", tools=[_tool(store_id)]
        )
    )
    call = raw["output"][0]
    assert call["type"] == "file_search_call" and call["results"] is None
    assert set(call) == {"type", "id", "status", "queries", "results"}
    # The stored response keeps them: a GET that includes them shows them.
    again = client.responses.retrieve(raw["id"], include=RESULTS)
    stored, _ = _split(again)
    assert stored.results is not None and [r.filename for r in stored.results] == ["policy.md"]
    assert _split(client.responses.retrieve(raw["id"]))[0].results is None


def test_tool_echo_fills_the_defaults(client: openai.OpenAI) -> None:
    store_id, _, _ = _store(client)
    raw = raw_json(
        client.responses.with_raw_response.create(model="gpt-4.1", input="hi", tools=[_tool(store_id)])
    )
    assert raw["tools"] == [
        {
            "type": "file_search",
            "vector_store_ids": [store_id],
            "filters": None,
            "max_num_results": 20,
            "ranking_options": {"ranker": "auto", "score_threshold": 0.0},
        }
    ]


def test_a_plain_question_searches_when_file_search_is_the_only_tool(client: openai.OpenAI) -> None:
    store_id, _, _ = _store(client)
    only = client.responses.create(model="gpt-4.1", input="How many holidays?", tools=[_tool(store_id)])
    assert only.output_text == 'From handbook.txt: "Holidays: 25 days a year."'
    function: Any = {"type": "function", "name": "lookup", "parameters": {"type": "object"}, "strict": False}
    mixed = client.responses.create(
        model="gpt-4.1", input="How many holidays?", tools=[_tool(store_id), function]
    )
    assert mixed.output_text == "echo: How many holidays?"
    forced = client.responses.create(
        model="gpt-4.1",
        input="How many holidays?",
        tools=[_tool(store_id), function],
        tool_choice={"type": "file_search"},
    )
    assert [item.type for item in forced.output] == ["file_search_call", "message"]


def test_search_without_a_usable_tool_answers_in_text(client: openai.OpenAI) -> None:
    store_id, _, _ = _store(client)
    assert client.responses.create(model="gpt-4.1", input="/search x").output_text == (
        "tool file_search is not available"
    )
    refused = client.responses.create(
        model="gpt-4.1", input="/search refunds", tools=[_tool(store_id)], tool_choice="none"
    )
    assert refused.output_text == "tool file_search is not available"


def test_nothing_found_is_said_and_cites_nothing(client: openai.OpenAI) -> None:
    store_id, _, _ = _store(client)
    response = client.responses.create(
        model="gpt-4.1", input="/search penguins", tools=[_tool(store_id)], include=RESULTS
    )
    call, message = _split(response)
    assert call.results == []
    assert response.output_text == "file search found nothing for: penguins"
    assert message.content[0].annotations == []  # type: ignore[union-attr]


def test_filters_threshold_and_result_count(client: openai.OpenAI) -> None:
    store_id, _, _ = _store(client)

    def found(query: str = "refunds days", **options: Any) -> list[str]:
        response = client.responses.create(
            model="gpt-4.1", input=f"/search {query}", tools=[_tool(store_id, **options)], include=RESULTS
        )
        results = _split(response)[0].results
        assert results is not None
        return [r.filename or "" for r in results]

    assert found() == ["policy.md", "handbook.txt"]
    assert found(filters={"type": "eq", "key": "region", "value": "us"}) == ["handbook.txt"]
    assert found(filters={"type": "lt", "key": "year", "value": 2025}) == ["handbook.txt"]
    assert found(filters={"type": "in", "key": "region", "value": ["eu", "apac"]}) == ["policy.md"]
    compound = {
        "type": "or",
        "filters": [
            {"type": "eq", "key": "region", "value": "us"},
            {"type": "and", "filters": [{"type": "gte", "key": "year", "value": 2026}]},
        ],
    }
    assert found(filters=compound) == ["policy.md", "handbook.txt"]
    assert found(filters={"type": "eq", "key": "team", "value": "x"}) == []
    assert found(max_num_results=1) == ["policy.md"]
    # "shipping" is only in policy.md: handbook.txt scores 2/3.
    assert found("refunds days shipping") == ["policy.md", "handbook.txt"]
    assert found("refunds days shipping", ranking_options={"score_threshold": 0.6667}) == [
        "policy.md",
        "handbook.txt",
    ]
    assert found("refunds days shipping", ranking_options={"score_threshold": 0.7}) == ["policy.md"]


def test_unknown_store_and_out_of_range_options_are_refused(client: openai.OpenAI) -> None:
    store_id, _, _ = _store(client)
    with pytest.raises(openai.NotFoundError) as missing:
        client.responses.create(model="gpt-4.1", input="hi", tools=[_tool("vs_missing")])
    assert isinstance(missing.value.body, dict)
    assert missing.value.body["param"] == "tools[0].vector_store_ids[0]"
    assert "vs_missing" in missing.value.body["message"]
    with pytest.raises(openai.BadRequestError) as many:
        client.responses.create(model="gpt-4.1", input="hi", tools=[_tool(store_id, max_num_results=51)])
    assert isinstance(many.value.body, dict) and many.value.body["code"] == "integer_above_max_value"
    with pytest.raises(openai.BadRequestError) as threshold:
        client.responses.create(
            model="gpt-4.1", input="hi", tools=[_tool(store_id, ranking_options={"score_threshold": 1.5})]
        )
    assert isinstance(threshold.value.body, dict)
    assert threshold.value.body["param"] == "tools[0].ranking_options.score_threshold"


def test_only_completed_files_are_searched(make_client: ClientFactory, clock: FakeClock) -> None:
    client = make_client(EmulatorConfig(ingestion_seconds=30))
    store_id, _, _ = _store(client)
    early = client.responses.create(model="gpt-4.1", input="/search refunds", tools=[_tool(store_id)])
    assert early.output_text == "file search found nothing for: refunds"
    clock.advance(31)
    late = client.responses.create(model="gpt-4.1", input="/search refunds", tools=[_tool(store_id)])
    assert late.output_text == 'From policy.md: "Refunds are issued within 30 days of purchase."'


def test_usage_counts_what_the_search_read(client: openai.OpenAI) -> None:
    store_id, _, _ = _store(client)
    response = client.responses.create(model="gpt-4.1", input="/search holidays", tools=[_tool(store_id)])
    assert response.usage is not None
    read = count_tokens(HANDBOOK.decode())
    assert response.usage.input_tokens == count_tokens("/search holidays") + read
    assert response.usage.output_tokens == count_tokens("holidays") + count_tokens(response.output_text)
    assert response.usage.total_tokens == response.usage.input_tokens + response.usage.output_tokens


def test_costs_price_the_tokens_the_search_read(client: openai.OpenAI, clock: FakeClock) -> None:
    """Costs count tokens, not tool calls: a search shows in them through what the model read."""
    store_id, _, _ = _store(client)
    response = client.responses.create(model="gpt-4.1", input="/search holidays", tools=[_tool(store_id)])
    assert response.usage is not None
    day = int(clock.now) - int(clock.now) % 86_400
    costs = client.admin.organization.usage.costs(
        start_time=day, end_time=day + 86_400, group_by=["line_item"]
    )
    quantities = {r.line_item: r.quantity for r in costs.data[0].results}  # type: ignore[union-attr]
    assert quantities == {
        "gpt-4.1, input": response.usage.input_tokens,
        "gpt-4.1, output": response.usage.output_tokens,
    }


def test_conversation_keeps_the_search_items(client: openai.OpenAI) -> None:
    store_id, _, _ = _store(client)
    conversation = client.conversations.create()
    client.responses.create(
        model="gpt-4.1", conversation=conversation.id, input="/search shipping", tools=[_tool(store_id)]
    )
    plain = list(client.conversations.items.list(conversation.id, order="asc"))
    assert [item.type for item in plain] == ["message", "file_search_call", "message"]
    assert plain[1].results is None  # type: ignore[union-attr]
    included = list(client.conversations.items.list(conversation.id, order="asc", include=RESULTS))
    assert included[1].results is not None  # type: ignore[union-attr]
    one = client.conversations.items.retrieve(plain[1].id, conversation_id=conversation.id, include=RESULTS)  # type: ignore[arg-type]
    assert isinstance(one, ResponseFileSearchToolCall) and one.results is not None
    # The next turn reads the conversation (the search call is not text the model reads).
    follow = client.responses.create(model="gpt-4.1", conversation=conversation.id, input="thanks")
    assert follow.output_text == "echo: thanks"


def test_search_items_can_be_sent_back_as_input(client: openai.OpenAI) -> None:
    store_id, _, _ = _store(client)
    first = client.responses.create(
        model="gpt-4.1", input="/search shipping", tools=[_tool(store_id)], store=False, include=RESULTS
    )
    history: list[Any] = [{"role": "user", "content": "/search shipping"}]
    history += [item.model_dump(exclude_none=True) for item in first.output]
    history.append({"role": "user", "content": "and returns?"})
    second = client.responses.create(model="gpt-4.1", input=history, tools=[_tool(store_id)])
    assert second.output_text == 'From policy.md: "# Returns"'
    items = list(client.responses.input_items.list(second.id, order="asc", include=RESULTS))
    assert [item.type for item in items] == ["message", "file_search_call", "message", "message"]
    assert items[1].results is not None  # type: ignore[union-attr]
