"""Wire format of Assistants v2 and the Admin API: SDK objects to live models, neutral specs to parameters.

Normalisation happens here, once: platform defaults are filled (`temperature` 1.0, `response_format`
"auto"), tool dicts are reduced to the neutral shape, so an applied manifest reads back equal.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from reconciler.model.interning import SHARED, DataMemo
from reconciler.model.live import (
    LiveAssistant,
    LiveFile,
    LiveSpendAlert,
    LiveSpendLimit,
    LiveVectorStore,
    LiveVectorStoreFile,
)


def _dump(obj: Any) -> dict[str, Any]:
    if isinstance(obj, dict):
        return obj
    return dict(obj.model_dump(mode="json", exclude_unset=False))


def _neutral_tool(tool: Mapping[str, Any]) -> dict[str, Any]:
    if tool.get("type") == "function":
        fn = tool.get("function") or {}
        return SHARED.intern(
            {
                "type": "function",
                "name": fn.get("name"),
                "description": fn.get("description"),
                "parameters": fn.get("parameters") or {},
                "strict": bool(fn.get("strict") or False),
            }
        )
    return SHARED.intern({"type": str(tool.get("type"))})


# Each wire tool is converted once per distinct value, to the object every other assistant (and manifest)
# with the same tool shares (`model.interning`): a live assistant keeps nothing of the decoded page, and a
# catalogue schema is held once however many assistants have it.
_shared_tool = DataMemo(_neutral_tool)


def live_assistant(obj: Any) -> LiveAssistant:
    data = _dump(obj)
    resources = data.get("tool_resources") or {}
    file_search = resources.get("file_search") or {}
    code = resources.get("code_interpreter") or {}
    response_format = data.get("response_format")
    return LiveAssistant(
        id=data["id"],
        name=data.get("name"),
        model=data["model"],
        instructions=data.get("instructions"),
        description=data.get("description"),
        tools=tuple(_shared_tool(t) for t in data.get("tools") or []),
        file_search_vector_store_ids=tuple(file_search.get("vector_store_ids") or ()),
        code_interpreter_file_ids=tuple(code.get("file_ids") or ()),
        temperature=data.get("temperature"),
        top_p=data.get("top_p"),
        response_format=response_format if response_format is not None else "auto",
        reasoning_effort=data.get("reasoning_effort"),
        metadata=dict(data.get("metadata") or {}),
        created_at=int(data.get("created_at") or 0),
    )


def assistant_params(
    spec: Mapping[str, Any],
    metadata: Mapping[str, str],
    vector_store_ids: Sequence[str],
    code_interpreter_file_ids: Sequence[str],
    *,
    update: bool = False,
) -> dict[str, Any]:
    tools: list[dict[str, Any]] = []
    for tool in spec["tools"]:
        if tool["type"] == "function":
            function: dict[str, Any] = {
                "name": tool["name"],
                "parameters": tool["parameters"],
                "strict": tool["strict"],
            }
            if tool.get("description") is not None:
                function["description"] = tool["description"]
            tools.append({"type": "function", "function": function})
        else:
            tools.append({"type": tool["type"]})
    types = {t["type"] for t in tools}
    resources: dict[str, Any] = {}
    if "file_search" in types:
        resources["file_search"] = {"vector_store_ids": list(vector_store_ids)}
    if "code_interpreter" in types:
        resources["code_interpreter"] = {"file_ids": list(code_interpreter_file_ids)}
    params: dict[str, Any] = {
        "model": spec["model"],
        "name": spec["name"],
        "instructions": spec["instructions"],
        "tools": tools,
        "tool_resources": resources,
        "metadata": dict(metadata),
        "temperature": spec["temperature"],
        "top_p": spec["top_p"],
        "response_format": spec["response_format"],
    }
    # On update, None clears a field; on create, leaving it out means the same.
    if spec.get("description") is not None or update:
        params["description"] = spec.get("description")
    if spec.get("reasoning_effort") is not None or update:
        params["reasoning_effort"] = spec.get("reasoning_effort")
    return params


def live_file(obj: Any) -> LiveFile:
    data = _dump(obj)
    return LiveFile(
        id=data["id"],
        filename=data.get("filename") or "",
        bytes=int(data.get("bytes") or 0),
        purpose=str(data.get("purpose") or ""),
        created_at=int(data.get("created_at") or 0),
    )


def live_vector_store(obj: Any) -> LiveVectorStore:
    data = _dump(obj)
    expires = data.get("expires_after") or {}
    return LiveVectorStore(
        id=data["id"],
        name=data.get("name"),
        metadata=dict(data.get("metadata") or {}),
        expires_after_days=expires.get("days") if expires else None,
        status=str(data.get("status") or "completed"),
        created_at=int(data.get("created_at") or 0),
    )


def vector_store_params(
    spec: Mapping[str, Any], metadata: Mapping[str, str], *, update: bool = False
) -> dict[str, Any]:
    params: dict[str, Any] = {"name": spec["name"], "metadata": dict(metadata)}
    days = spec.get("expires_after_days")
    if days is not None:
        params["expires_after"] = {"anchor": "last_active_at", "days": days}
    elif update:
        params["expires_after"] = None
    return params


def chunking_param(chunking: Mapping[str, Any]) -> dict[str, Any]:
    if chunking.get("type") == "static":
        return {
            "type": "static",
            "static": {
                "max_chunk_size_tokens": chunking["max_chunk_size_tokens"],
                "chunk_overlap_tokens": chunking["chunk_overlap_tokens"],
            },
        }
    return {"type": "auto"}


def live_vector_store_file(obj: Any, vector_store_id: str) -> LiveVectorStoreFile:
    data = _dump(obj)
    error = data.get("last_error") or None
    return LiveVectorStoreFile(
        id=data["id"],
        vector_store_id=vector_store_id,
        status=str(data.get("status") or ""),
        attributes=dict(data.get("attributes") or {}),
        usage_bytes=int(data.get("usage_bytes") or 0),
        last_error=(error.get("message") if isinstance(error, dict) else None),
    )


def spend_alert_params(spec: Mapping[str, Any]) -> dict[str, Any]:
    channel: dict[str, Any] = {"type": "email", "recipients": list(spec["emails"])}
    if spec.get("subject_prefix") is not None:
        channel["subject_prefix"] = spec["subject_prefix"]
    return {
        "threshold_amount": spec["threshold_cents"],
        "currency": "USD",
        "interval": spec["interval"],
        "notification_channel": channel,
    }


def live_spend_alert(obj: Any, scope: str) -> LiveSpendAlert:
    data = _dump(obj)
    channel = data.get("notification_channel") or {}
    return LiveSpendAlert(
        id=data["id"],
        scope=scope,
        threshold_cents=int(data["threshold_amount"]),
        interval=str(data.get("interval") or "month"),
        emails=tuple(sorted(channel.get("recipients") or ())),
        subject_prefix=channel.get("subject_prefix"),
    )


def live_spend_limit(obj: Any, scope: str) -> LiveSpendLimit:
    data = _dump(obj)
    enforcement = data.get("enforcement") or {}
    return LiveSpendLimit(
        scope=scope,
        amount_cents=int(data["threshold_amount"]),
        interval=str(data.get("interval") or "month"),
        enforcing=enforcement.get("status") == "enforcing",
    )
