"""targets.agents_wire: a release bundle becomes the arguments of `client.beta.agents.create`, every key one
the SDK's own param TypedDicts declare (required ones present), within what a persisted agent holds, and
labelled so the agent names its bundle again."""

from __future__ import annotations

from typing import Any

from openai.types.beta import (
    agent_create_params,
    agent_reasoning_param,
    persisted_agent_tool_param,
    text_format_param,
)

from reconciler.model import labels
from reconciler.targets.agents_wire import agent_metadata, agent_params
from reconciler.targets.bundles import BundleHandler, bundle_id_of
from tests.unit.targets.test_bundles import SCHEMA, _write

CREATE = agent_create_params.AgentCreateParams
FUNCTION = persisted_agent_tool_param.PersistedAgentToolConfigParamFunction


def _keys(typed: Any) -> tuple[set[str], set[str]]:
    """(every key, the required keys) of a TypedDict."""
    return set(typed.__required_keys__) | set(typed.__optional_keys__), set(typed.__required_keys__)


def _holds(params: dict[str, Any], typed: Any) -> None:
    every, required = _keys(typed)
    assert set(params) <= every, set(params) - every  # a typo would be a key the SDK does not know
    assert required <= set(params), required - set(params)


def _bundle(**overrides: Any) -> Any:
    return BundleHandler().create(_write("2", **overrides))


def test_agent_params_are_what_agents_create_takes() -> None:
    params = agent_params(_bundle())
    _holds(params, CREATE)
    assert params["model"] == "gpt-4.1-2025-04-14"
    assert params["instructions"] == "Be brief."
    assert params["name"] == "CorporateAssist v2"
    # file_search and code_interpreter have no persisted Agents tool: left out, not approximated.
    assert params["tools"] == [
        {"type": "function", "name": "create_meeting", "description": "", "parameters": SCHEMA}
    ]
    _holds(params["tools"][0], FUNCTION)
    assert params["reasoning"] == {"effort": "low"}
    _holds(params["reasoning"], agent_reasoning_param.AgentReasoningParam)
    assert params["text"] == {"format": {"type": "json_schema", "schema": SCHEMA}}
    _holds(params["text"]["format"], text_format_param.TextFormatParamJSONSchema)
    for absent in ("temperature", "top_p", "description"):
        assert absent not in params


def test_the_metadata_is_the_users_and_our_labels_and_names_the_bundle() -> None:
    bundle = _bundle()
    metadata = agent_params(bundle)["metadata"]
    assert metadata == {
        "team": "tools",
        labels.MANAGED_BY: labels.MANAGED_BY_VALUE,
        labels.OWNER: "demo/local",
        labels.NAME: "CorporateAssist",
        labels.VERSION: "2",
        labels.FINGERPRINT: "abc",
    }
    assert bundle_id_of(metadata) == bundle.id  # how the agent is found again: no label of its own


def test_a_full_user_budget_with_every_label_fits_the_platforms_pairs() -> None:
    user = {f"k{i}": "v" for i in range(labels.USER_PAIR_BUDGET)}
    full = labels.with_labels(user, owner="o/w", name="A", version="3", parent="2", fingerprint="f")
    assert len(agent_metadata(full)) == labels.MAX_PAIRS
    # Nothing that is not ours or the user's is carried over (a stray reserved key, say).
    assert agent_metadata({**full, "reconciler/stray": "x"}) == full


def test_a_function_with_a_description_and_text_formats() -> None:
    tool = {"type": "function", "name": "f", "description": "Does f.", "parameters": None, "strict": True}
    params = agent_params(_bundle(tools=[tool], response_format="auto", reasoning_effort=None))
    assert params["tools"] == [
        {
            "type": "function",
            "name": "f",
            "description": "Does f.",
            "parameters": {"type": "object", "properties": {}},
        }
    ]
    assert "text" not in params and "reasoning" not in params
    plain = agent_params(_bundle(response_format={"type": "text"}))
    assert plain["text"] == {"format": {"type": "text"}}
    _holds(plain["text"]["format"], text_format_param.TextFormatParamText)
    assert "text" not in agent_params(_bundle(response_format="json_object"))  # no Agents equivalent


def test_no_tools_and_no_instructions_send_neither() -> None:
    params = agent_params(_bundle(tools=[{"type": "file_search"}], instructions=None))
    assert "tools" not in params and "instructions" not in params
    _holds(params, CREATE)
