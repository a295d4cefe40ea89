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

# (our name: the neutral key or the live attribute, the wire path) of each field sent or read as it is,
# worked out once: these run for every object of a read.
Route = tuple[str, tuple[str, ...]]


def _routes(row: tuple[SpecField, ...], *, live: bool) -> tuple[Route, ...]:
    return tuple(((f.live_name if live else f.neutral) or "", f.wire_path) for f in row)


# Sent in a shape of their own: tools as a typed list, references as platform ids under tool_resources,
# metadata with our labels, the expiry with its anchor; chunking goes with each attachment.
_ASSISTANT_SENT = _routes(
    fields.sent(fields.ASSISTANT, "tools", "file_search_vector_stores", "code_interpreter_files", "metadata"),
    live=False,
)
_ASSISTANT_READ = _routes(fields.sent(fields.ASSISTANT, "tools"), live=True)
_FUNCTION = _routes(fields.sent(fields.FUNCTION_TOOL), live=False)
_VECTOR_STORES = fields.find(fields.ASSISTANT, "file_search_vector_stores").wire_path
_CODE_FILES = fields.find(fields.ASSISTANT, "code_interpreter_files").wire_path
_METADATA = fields.find(fields.ASSISTANT, "metadata").wire_path
_STORE_SENT = _routes(fields.sent(fields.VECTOR_STORE, "metadata", "expires_after_days"), live=False)
_STORE_READ = _routes(fields.sent(fields.VECTOR_STORE), live=True)
_EXPIRES = fields.find(fields.VECTOR_STORE, "expires_after_days").wire_path
_ALERT_SENT = _routes(fields.sent(fields.SPEND_ALERT), live=False)
_ALERT_READ = _routes(fields.sent(fields.SPEND_ALERT), live=True)
_LIMIT_SENT = _routes(fields.sent(fields.SPEND_LIMIT), live=False)
_LIMIT_READ = _routes(fields.sent(fields.SPEND_LIMIT), live=True)


def _read(routes: tuple[Route, ...], data: Mapping[str, Any]) -> dict[str, Any]:
    """The live model's values, by attribute; a missing or null one is left to its default."""
    out: dict[str, Any] = {}
    for name, path in routes:
        value = wire_get(data, path)
        if value is not None:
            out[name] = value
    return out


def _params(routes: tuple[Route, ...], spec: Mapping[str, Any], *, update: bool) -> dict[str, Any]:
    """The parameters from a neutral spec. On update, None clears a field; on create, leaving it out
    means the same."""
    params: dict[str, Any] = {}
    for name, path in routes:
        value = spec.get(name)
        if value is not None or update:
            wire_put(params, path, value)
    return params


def _dump(obj: Any) -> dict[str, Any]:
    if isinstance(obj, dict):
        return obj
    return dict(obj.model_dump(mode="json", exclude_unset=False))


def _neutral_tool(tool: Mapping[str, Any]) -> dict[str, Any]:
    if tool.get("type") == "function":
        fn = tool.get("function") or {}
        return function_tool_spec({name: wire_get(fn, path) for name, path in _FUNCTION})
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
    fmt = params.get("response_format")
    if isinstance(fmt, dict) and isinstance(fmt.get("json_schema"), dict):
        # The spec types json_schema.description as a string: a null is a 400, leaving it out is not.
        inner = {k: v for k, v in fmt["json_schema"].items() if v is not None}
        params["response_format"] = {**fmt, "json_schema": inner}
    params["tools"] = tools
    params["tool_resources"] = {}
    if "file_search" in types:
        wire_put(params, _VECTOR_STORES, list(vector_store_ids))
    if "code_interpreter" in types:
        wire_put(params, _CODE_FILES, list(code_interpreter_file_ids))
    wire_put(params, _METADATA, dict(metadata))
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
    wire_put(params, _METADATA, dict(metadata))
    days = spec.get("expires_after_days")
    if days is not None:
        wire_put(params, _EXPIRES, days)
        params[_EXPIRES[0]]["anchor"] = "last_active_at"
    elif update:
        params[_EXPIRES[0]] = None  # clears the expiry: the platform has no null days
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
    params = _params(_ALERT_SENT, {**spec, "emails": list(spec["emails"])}, update=False)
    params["currency"] = "USD"
    params["notification_channel"]["type"] = "email"
    return params


def spend_limit_params(spec: Mapping[str, Any]) -> dict[str, Any]:
    params = _params(_LIMIT_SENT, spec, update=False)
    params["currency"] = "USD"
    return params


def live_spend_alert(obj: Any, scope: str) -> LiveSpendAlert:
    data = _dump(obj)
    return LiveSpendAlert(id=data["id"], scope=scope, **_read(_ALERT_READ, data))


def live_spend_limit(obj: Any, scope: str) -> LiveSpendLimit:
    data = _dump(obj)
    enforcement = data.get("enforcement") or {}
    return LiveSpendLimit(
        scope=scope, enforcing=enforcement.get("status") == "enforcing", **_read(_LIMIT_READ, data)
    )
