"""A release bundle as the keyword arguments of `client.responses.create(...)` (the `CreateResponse` body of
OpenAI's spec): what `reconciler.runtime` hands an application. Pure data; no SDK import.

The neutral assistant (`model.live.LiveAssistant`) maps field by field: function tools become the flat
Responses `FunctionTool` (`strict` always sent: the spec requires it), `file_search` carries the vector-store
ids the version resolved to, `code_interpreter` an `auto` container with its files, `reasoning_effort`
becomes `reasoning.effort`, and an Assistants-era `response_format` becomes `text.format`. Metadata is the
user's plus `reconciler/name` and `reconciler/version`, so every response says which version made it;
the other labels stay in the store.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.model import labels
from reconciler.model.live import LiveAssistant

STAMPED = (labels.NAME, labels.VERSION)  # the labels every response carries
SAMPLING_DEFAULT = 1.0
# A function without parameters: closed, so it is also a valid strict schema (which an open one is not).
_NO_PARAMETERS: dict[str, Any] = {
    "type": "object",
    "properties": {},
    "required": [],
    "additionalProperties": False,
}


def response_params(bundle: LiveAssistant) -> dict[str, Any]:
    params: dict[str, Any] = {"model": bundle.model}
    if bundle.instructions:
        params["instructions"] = bundle.instructions
    tools = [_tool(t, bundle) for t in bundle.tools]
    if tools:
        params["tools"] = tools
    for key in ("temperature", "top_p"):
        # 1.0 is the platform's default (a neutral spec fills it in): sent, it only risks a refusal from
        # a model that takes no sampling parameters.
        value = getattr(bundle, key)
        if value is not None and value != SAMPLING_DEFAULT:
            params[key] = value
    if bundle.reasoning_effort:
        params["reasoning"] = {"effort": bundle.reasoning_effort}
    text_format = _text_format(bundle.response_format)
    if text_format is not None:
        params["text"] = {"format": text_format}
    params["metadata"] = stamped_metadata(bundle.metadata)
    return params


def stamped_metadata(metadata: Mapping[str, str]) -> dict[str, str]:
    """The user's metadata and the labels that name the version; not our bookkeeping labels."""
    stamped = labels.user_metadata(metadata)
    stamped.update({k: metadata[k] for k in STAMPED if k in metadata})
    return stamped


def _tool(tool: Mapping[str, Any], bundle: LiveAssistant) -> dict[str, Any]:
    kind = tool.get("type")
    if kind == "function":
        out: dict[str, Any] = {
            "type": "function",
            "name": tool["name"],
            "parameters": tool.get("parameters") or _NO_PARAMETERS,
            "strict": bool(tool.get("strict", False)),
        }
        if tool.get("description"):
            out["description"] = tool["description"]
        return out
    if kind == "file_search":
        return {"type": "file_search", "vector_store_ids": list(bundle.file_search_vector_store_ids)}
    if kind == "code_interpreter":
        return {
            "type": "code_interpreter",
            "container": {"type": "auto", "file_ids": list(bundle.code_interpreter_file_ids)},
        }
    return {"type": str(kind)}


def _text_format(response_format: str | Mapping[str, Any] | None) -> dict[str, Any] | None:
    if response_format is None or response_format == "auto":
        return None
    if isinstance(response_format, str):
        return {"type": response_format}
    if response_format.get("type") == "json_schema":
        inner = response_format.get("json_schema") or {}
        out = {"type": "json_schema", "name": inner.get("name"), "schema": inner.get("schema") or {}}
        if inner.get("description"):
            out["description"] = inner["description"]
        out["strict"] = bool(inner.get("strict", False))
        return out
    return {"type": str(response_format.get("type"))}
