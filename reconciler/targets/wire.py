"""Wire format of Assistants v2 and the Admin API: SDK objects to live models, neutral specs to parameters.

Which field goes where comes from `model.fields` (each row's wire path); what is left here is the shape
the platform wants around them (tool lists, tool resources by tool type, the expiry anchor, the
notification channel). Tool dicts are reduced to the neutral shape on reading; platform defaults are
filled when live objects are normalised (`plan.normalise`), like desired ones, so an applied manifest
reads back equal.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from reconciler.model import fields
from reconciler.model.fields import SpecField, wire_get, wire_put
from reconciler.model.interning import SHARED, DataMemo
from reconciler.model.live import (
    LiveAssistant,
    LiveFile,
    LiveSpendAlert,
    LiveSpendLimit,
    LiveVectorStore,
    LiveVectorStoreFile,
)
from reconciler.model.specs import function_tool_spec

# Sent in a shape of their own: tools as a typed list, references as platform ids under tool_resources,
# metadata with our labels; chunking goes with each attachment, not with the store.
_ASSISTANT_SENT = fields.sent(
    fields.ASSISTANT, "tools", "file_search_vector_stores", "code_interpreter_files", "metadata"
)
_ASSISTANT_READ = fields.sent(fields.ASSISTANT, "tools")
_FUNCTION = fields.sent(fields.FUNCTION_TOOL)
_VECTOR_STORES = fields.find(fields.ASSISTANT, "file_search_vector_stores")
_CODE_FILES = fields.find(fields.ASSISTANT, "code_interpreter_files")
_METADATA = fields.find(fields.ASSISTANT, "metadata")
_STORE_SENT = fields.sent(fields.VECTOR_STORE, "metadata", "expires_after_days")
_STORE_READ = fields.sent(fields.VECTOR_STORE)
_EXPIRES = fields.find(fields.VECTOR_STORE, "expires_after_days")
_ALERT = fields.sent(fields.SPEND_ALERT)
_LIMIT = fields.sent(fields.SPEND_LIMIT)


def _read(row: tuple[SpecField, ...], data: Mapping[str, Any]) -> dict[str, Any]:
    """The live model's values of `row`, by attribute; a missing or null one is left to its default."""
    out: dict[str, Any] = {}
    for f in row:
        value = wire_get(data, f.wire or "")
        if value is not None:
            out[f.live_name or ""] = value
    return out


def _params(row: tuple[SpecField, ...], spec: Mapping[str, Any], *, update: bool) -> dict[str, Any]:
    """The parameters of `row` from a neutral spec. On update, None clears a field; on create, leaving it
    out means the same."""
    params: dict[str, Any] = {}
    for f in row:
        value = spec.get(f.neutral or "")
        if value is not None or update:
            wire_put(params, f.wire or "", value)
    return params


def _dump(obj: Any) -> dict[str, Any]:
    if isinstance(obj, dict):
        return obj
    return dict(obj.model_dump(mode="json", exclude_unset=False))


def _neutral_tool(tool: Mapping[str, Any]) -> dict[str, Any]:
    if tool.get("type") == "function":
        fn = tool.get("function") or {}
        return function_tool_spec({f.neutral or "": wire_get(fn, f.wire or "") for f in _FUNCTION})
    return SHARED.intern({"type": str(tool.get("type"))})


# Each wire tool is converted once per distinct value, to the object every other assistant (and manifest)
# with the same tool shares (`model.interning`): a live assistant keeps nothing of the decoded page, and a
# catalogue schema is held once however many assistants have it.
_shared_tool = DataMemo(_neutral_tool)


def live_assistant(obj: Any) -> LiveAssistant:
    data = _dump(obj)
    return LiveAssistant(
        id=data["id"],
        tools=tuple(_shared_tool(t) for t in data.get("tools") or []),
        created_at=int(data.get("created_at") or 0),
        **_read(_ASSISTANT_READ, data),
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
            # A function's description is left out when it has none, on update too.
            tools.append({"type": "function", "function": _params(_FUNCTION, tool, update=False)})
        else:
            tools.append({"type": tool["type"]})
    types = {t["type"] for t in tools}
    params = _params(_ASSISTANT_SENT, spec, update=update)
    params["tools"] = tools
    params["tool_resources"] = {}
    if "file_search" in types:
        wire_put(params, _VECTOR_STORES.wire or "", list(vector_store_ids))
    if "code_interpreter" in types:
        wire_put(params, _CODE_FILES.wire or "", list(code_interpreter_file_ids))
    params[_METADATA.wire or ""] = dict(metadata)
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
    return LiveVectorStore(
        id=data["id"],
        status=str(data.get("status") or "completed"),
        created_at=int(data.get("created_at") or 0),
        **_read(_STORE_READ, data),
    )


def vector_store_params(
    spec: Mapping[str, Any], metadata: Mapping[str, str], *, update: bool = False
) -> dict[str, Any]:
    params = _params(_STORE_SENT, spec, update=update)
    params[_METADATA.wire or ""] = dict(metadata)
    days = spec.get("expires_after_days")
    expires_after, _ = (_EXPIRES.wire or "").split(".")
    if days is not None:
        wire_put(params, _EXPIRES.wire or "", days)
        params[expires_after]["anchor"] = "last_active_at"
    elif update:
        params[expires_after] = None  # clears the expiry: the platform has no null days
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
    params = _params(_ALERT, {**spec, "emails": list(spec["emails"])}, update=False)
    params["currency"] = "USD"
    params["notification_channel"]["type"] = "email"
    return params


def live_spend_alert(obj: Any, scope: str) -> LiveSpendAlert:
    data = _dump(obj)
    return LiveSpendAlert(id=data["id"], scope=scope, **_read(_ALERT, data))


def live_spend_limit(obj: Any, scope: str) -> LiveSpendLimit:
    data = _dump(obj)
    enforcement = data.get("enforcement") or {}
    return LiveSpendLimit(
        scope=scope, enforcing=enforcement.get("status") == "enforcing", **_read(_LIMIT, data)
    )
