"""The beta Agents API (`client.beta.agents`) through the real SDK, in-process and over HTTP.

The spec subset has no `/agents` paths, so the shapes are held to the SDK's own types: every success body
is rebuilt with `Agent.model_validate` / `AgentDeleted.model_validate` from the raw JSON and must carry
every field those models declare, and nothing else; error bodies are still checked against the spec's
`ErrorResponse` by the validating transport.
"""

from __future__ import annotations

from typing import Any

import openai
import pytest
from openai import Omit
from openai.types.beta.agent import Agent
from openai.types.beta.agent_deleted import AgentDeleted
from pydantic import BaseModel

from reconciler.emulator import EmulatorConfig, FaultConfig
from tests.contract.emulator.conftest import ClientFactory, FakeClock, raw_json

FUNCTION: Any = {
    "type": "function",
    "name": "lookup_order",
    "description": "Find an order",
    "parameters": {"type": "object", "properties": {"id": {"type": "string"}}},
}
EVERY_TOOL: Any = [
    FUNCTION,
    {**FUNCTION, "name": "notify", "defer_loading": True, "async": True},
    {"type": "tool_search"},
    {"type": "programmatic_tool_calling"},
    {
        "type": "mcp",
        "server_label": "docs",
        "transport": {"type": "http", "server_url": "https://mcp.example.com", "headers": {"X-Team": "a"}},
    },
    {"type": "mcp", "server_label": "local", "transport": {"type": "stdio", "command": "srv", "cwd": "/w"}},
    {"type": "web_search", "allowed_domains": ["example.com"], "location": {"country": "FR"}},
    {"type": "computer_use"},
    {"type": "automations"},
]


def _keys(model: type[BaseModel]) -> set[str]:
    return {field.alias or name for name, field in model.model_fields.items()}


def _agent(raw: dict[str, Any]) -> Agent:
    """The raw body as the SDK's Agent: every declared field present, no other key."""
    assert set(raw) == _keys(Agent), set(raw) ^ _keys(Agent)
    return Agent.model_validate(raw)


def test_create_minimal_fills_every_field(client: openai.OpenAI) -> None:
    raw = raw_json(client.beta.agents.with_raw_response.create(model="gpt-4.1"))
    agent = _agent(raw)
    assert agent.id.startswith("agent_") and len(agent.id) == len("agent_") + 24
    assert (agent.object, agent.model, agent.name, agent.instructions) == ("agent", "gpt-4.1", None, None)
    assert agent.created_at == agent.updated_at
    assert raw["metadata"] == {} and raw["tools"] == []
    assert raw["multi_agent"] == {"enabled": False, "max_concurrent_subagents": None}
    assert raw["reasoning"] == {"effort": None, "summary": None}
    assert raw["text"] == {"format": {"type": "text"}, "verbosity": "medium"}
    assert (raw["service_tier"], raw["compaction"], raw["experimental"]) == (
        "auto",
        {"async": True},
        {"time_awareness": False},
    )


def test_create_with_every_option_resolves_the_defaults(client: openai.OpenAI) -> None:
    raw = raw_json(
        client.beta.agents.with_raw_response.create(
            model="gpt-5",
            name="support",
            instructions="Be brief.",
            metadata={"team": "care"},
            compaction={"async_": False},
            experimental={"time_awareness": True},
            multi_agent={"enabled": True},
            reasoning={"effort": "high"},
            service_tier="flex",
            text={"format": {"type": "json_schema", "schema": {"type": "object"}}, "verbosity": "low"},
            tools=EVERY_TOOL,
        )
    )
    agent = _agent(raw)
    assert (agent.name, agent.instructions, agent.metadata) == ("support", "Be brief.", {"team": "care"})
    assert raw["compaction"] == {"async": False} and raw["experimental"] == {"time_awareness": True}
    assert raw["multi_agent"] == {"enabled": True, "max_concurrent_subagents": 6}
    assert raw["reasoning"] == {"effort": "high", "summary": None}
    assert raw["text"] == {
        "format": {"type": "json_schema", "schema": {"type": "object"}},
        "verbosity": "low",
    }
    assert [tool.type for tool in agent.tools] == [t["type"] for t in EVERY_TOOL]
    function, deferred, _, programmatic, http, stdio, web, computer, _ = raw["tools"]
    assert function == {**FUNCTION, "defer_loading": False}
    assert (deferred["defer_loading"], deferred["async"]) == (True, True)
    assert programmatic == {"type": "programmatic_tool_calling", "enabled": True}
    assert http == {
        "type": "mcp",
        "server_label": "docs",
        "transport": {"type": "http", "server_url": "https://mcp.example.com", "headers": {"X-Team": "a"}},
        "allowed_tools": None,
        "connection_origin": "service",
        "credential_id": None,
        "request_metadata": {},
        "required": False,
    }
    assert stdio["transport"] == {"type": "stdio", "command": "srv", "cwd": "/w", "args": [], "env_vars": []}
    assert web == {
        "type": "web_search",
        "allowed_domains": ["example.com"],
        "context_size": "medium",
        "location": {"country": "FR"},
        "mode": "live",
    }
    assert computer == {"type": "computer_use", "include_screenshots": False}


def test_retrieve_update_delete(client: openai.OpenAI, clock: FakeClock) -> None:
    created = client.beta.agents.create(
        model="gpt-4.1",
        name="a",
        metadata={"k": "v"},
        tools=[FUNCTION],
        experimental={"time_awareness": True},
    )
    assert client.beta.agents.retrieve(created.id) == created
    clock.advance(5)
    raw = raw_json(
        client.beta.agents.with_raw_response.update(
            created.id, model="gpt-5", name=None, metadata={"x": "y"}, tools=None, experimental={}
        )
    )
    updated = _agent(raw)
    assert (updated.model, updated.name, updated.metadata, updated.tools) == ("gpt-5", None, {"x": "y"}, [])
    assert updated.experimental is not None and updated.experimental.time_awareness is True  # merged
    assert (updated.created_at, updated.updated_at) == (created.created_at, created.created_at + 5)
    cleared = client.beta.agents.update(created.id, metadata=None, reasoning={"summary": "auto"})
    assert cleared.metadata == {} and cleared.reasoning.summary == "auto"
    assert client.beta.agents.update(created.id).model == "gpt-5"  # an empty update changes nothing
    deleted_raw = raw_json(client.beta.agents.with_raw_response.delete(created.id))
    assert set(deleted_raw) == _keys(AgentDeleted)
    assert AgentDeleted.model_validate(deleted_raw) == AgentDeleted(
        id=created.id, deleted=True, object="agent.deleted"
    )
    for call in (client.beta.agents.retrieve, client.beta.agents.delete):
        with pytest.raises(openai.NotFoundError) as missing:
            call(created.id)
        assert isinstance(missing.value.body, dict) and missing.value.body["param"] == "agent_id"
    with pytest.raises(openai.NotFoundError):
        client.beta.agents.update(created.id, name="x")


def test_list_pages_by_cursor(client: openai.OpenAI) -> None:
    ids = [client.beta.agents.create(model="gpt-4.1", name=f"a{i}").id for i in range(5)]
    first = client.beta.agents.list(limit=2)
    assert [a.id for a in first.data] == ids[::-1][:2] and first.has_more is True
    assert [a.id for a in client.beta.agents.list(limit=2)] == ids[::-1]  # auto-pagination
    ascending = client.beta.agents.list(order="asc", limit=2, after=ids[1])
    assert [a.id for a in ascending.data] == ids[2:4] and ascending.has_more is True
    last = client.beta.agents.list(order="asc", after=ids[3])
    assert [a.id for a in last.data] == [ids[4]] and last.has_more is False
    raw = raw_json(client.beta.agents.with_raw_response.list(limit=1))
    assert raw["object"] == "list" and [_agent(a).id for a in raw["data"]] == [ids[-1]]
    with pytest.raises(openai.BadRequestError):
        client.beta.agents.list(limit=101)


def test_metadata_is_validated_like_other_objects(client: openai.OpenAI) -> None:
    for metadata, param in (
        ({f"k{i}": "v" for i in range(17)}, "metadata"),
        ({"k" * 65: "v"}, "metadata." + "k" * 65),
        ({"k": "v" * 513}, "metadata.k"),
    ):
        with pytest.raises(openai.BadRequestError) as caught:
            client.beta.agents.create(model="gpt-4.1", metadata=metadata)
        assert isinstance(caught.value.body, dict) and caught.value.body["param"] == param
    agent = client.beta.agents.create(model="gpt-4.1", metadata={f"k{i}": "v" * 512 for i in range(16)})
    with pytest.raises(openai.BadRequestError):
        client.beta.agents.update(agent.id, metadata={f"k{i}": "v" for i in range(17)})


def test_the_beta_header_is_required(client: openai.OpenAI) -> None:
    for header in (Omit(), "assistants=v2", "agents=v2"):
        with pytest.raises(openai.BadRequestError) as caught:
            client.beta.agents.list(extra_headers={"OpenAI-Beta": header})  # type: ignore[dict-item]
        assert isinstance(caught.value.body, dict) and caught.value.body["code"] == "invalid_beta"
        assert "OpenAI-Beta: agents=v1" in caught.value.body["message"]
    both = client.beta.agents.list(extra_headers={"OpenAI-Beta": "assistants=v2, agents=v1"})
    assert both.data == []


@pytest.mark.parametrize(
    ("body", "param", "code"),
    [
        ({}, "model", "missing_required_parameter"),
        ({"model": "gpt-4.1", "frobnicate": 1}, "frobnicate", "unknown_parameter"),
        ({"model": "gpt-4.1", "name": 5}, "name", "invalid_type"),
        ({"model": "gpt-4.1", "service_tier": "turbo"}, "service_tier", "invalid_value"),
        ({"model": "gpt-4.1", "tools": [{"type": "bogus"}]}, "tools[0].type", "invalid_value"),
        ({"model": "gpt-4.1", "tools": [{"type": "function", "name": "f"}]}, "tools[0].description", None),
        ({"model": "gpt-4.1", "multi_agent": {"max_concurrent_subagents": 2}}, "multi_agent.enabled", None),
        ({"model": "gpt-4.1", "reasoning": {"effort": "extreme"}}, "reasoning.effort", "invalid_value"),
        ({"model": "gpt-4.1", "text": {"format": {"type": "json_schema"}}}, "text.format.schema", None),
        ({"model": "gpt-4.1", "tools": [{**FUNCTION, "name": "bad name"}]}, "tools[0].name", None),
        ({"model": "gpt-4.1", "tools": [FUNCTION, FUNCTION]}, "tools[1].name", None),
        ({"model": "gpt4o"}, "model", "model_not_found"),
        ({"model": "gpt-4.1", "tools": [{**FUNCTION, "description": "x" * 3_200_000}]}, "tools", None),
    ],
)
def test_bodies_the_sdk_types_do_not_describe_are_refused(
    client: openai.OpenAI, body: dict[str, Any], param: str, code: str | None
) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.post("/agents", body=body, cast_to=Agent, options={"headers": {"OpenAI-Beta": "agents=v1"}})
    assert isinstance(caught.value.body, dict)
    assert caught.value.body["param"] == param
    if code is not None:
        assert caught.value.body["code"] == code


def test_agents_have_their_own_fault_and_rate_limit_group(make_client: ClientFactory) -> None:
    client = make_client(EmulatorConfig(faults=FaultConfig(rpm=2)))
    client.beta.agents.create(model="gpt-4.1")
    client.beta.agents.list()
    with pytest.raises(openai.RateLimitError) as caught:
        client.beta.agents.list()
    assert caught.value.response.headers["x-ratelimit-limit-requests"] == "2"
    assert client.responses.create(model="gpt-4.1", input="hi").output_text == "echo: hi"  # other group
    broken = make_client(EmulatorConfig(faults=FaultConfig(error_rate=1.0, only=("agents",))))
    with pytest.raises(openai.InternalServerError):
        broken.beta.agents.list()
    assert broken.files.list().data == []
    served = make_client.app_of(broken).requests_served
    assert served == 2
