"""A release bundle as the keyword arguments of `client.beta.agents.create(...)` (the SDK's
`AgentCreateParams`): the platform agent `materialize: agents` makes of each version. Pure data; no SDK
import.

The neutral assistant (`model.live.LiveAssistant`) maps as `responses_wire` maps it for a response, within
what a persisted agent holds: function tools become the Agents `function` tool (`description` is required
there, so a function without one sends `""`; the Agents tool has no `strict`); `reasoning_effort` becomes
`reasoning.effort`; a `json_schema` response format becomes `text.format` (`{"type", "schema"}`, all the
Agents format holds) and `text` stays `text`. What an agent cannot hold is left out, not approximated:
`file_search` and `code_interpreter` (no persisted Agents tool), `temperature`, `top_p`, `description`
and a `json_object` format. The agent records the version; it is not what the runtime serves.

The name is the assistant's with its version (`CorporateAssist v2`), so versions tell apart in a list of
agents. The metadata is the user's plus our labels (managed-by, owner, name, version, fingerprint, parent):
the bundle's own labels, which name its bundle (`bundles.bundle_id_of`), so an agent is found again by them
and no label of its own is needed. They fit the platform's 16 pairs as the bundle's do
(`labels.USER_PAIR_BUDGET` leaves room for every reserved key).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.model import labels
from reconciler.model.live import LiveAssistant

UNMAPPED_TOOLS = ("file_search", "code_interpreter")  # hosted tools a persisted agent has no form for


def agent_params(bundle: LiveAssistant) -> dict[str, Any]:
    metadata = bundle.metadata
    params: dict[str, Any] = {"model": bundle.model, "name": agent_name(bundle)}
    if bundle.instructions:
        params["instructions"] = bundle.instructions
    tools = [tool for t in bundle.tools if (tool := _tool(t)) is not None]
    if tools:
        params["tools"] = tools
    if bundle.reasoning_effort:
        params["reasoning"] = {"effort": bundle.reasoning_effort}
    text_format = _text_format(bundle.response_format)
    if text_format is not None:
        params["text"] = {"format": text_format}
    params["metadata"] = agent_metadata(metadata)
    return params


def agent_name(bundle: LiveAssistant) -> str:
    name = bundle.name or bundle.metadata.get(labels.NAME, "")
    version = bundle.metadata.get(labels.VERSION)
    return f"{name} v{version}" if version else name


def agent_metadata(metadata: Mapping[str, str]) -> dict[str, str]:
    """The user's pairs and our labels, as the bundle carries them; nothing else."""
    return labels.with_labels(
        labels.user_metadata(metadata),
        owner=metadata.get(labels.OWNER, ""),
        name=metadata.get(labels.NAME),
        version=metadata.get(labels.VERSION),
        fingerprint=metadata.get(labels.FINGERPRINT),
        parent=metadata.get(labels.PARENT),
    )


def _tool(tool: Mapping[str, Any]) -> dict[str, Any] | None:
    if tool.get("type") != "function":
        return None  # file_search, code_interpreter: see UNMAPPED_TOOLS
    return {
        "type": "function",
        "name": tool["name"],
        "description": tool.get("description") or "",
        "parameters": tool.get("parameters") or {"type": "object", "properties": {}},
    }


def _text_format(response_format: str | Mapping[str, Any] | None) -> dict[str, Any] | None:
    kind = response_format.get("type") if isinstance(response_format, Mapping) else response_format
    if kind == "text":
        return {"type": "text"}
    if kind == "json_schema" and isinstance(response_format, Mapping):
        inner = response_format.get("json_schema") or {}
        return {"type": "json_schema", "schema": inner.get("schema") or {}}
    return None  # auto (the default), json_object: the Agents format has no such type
