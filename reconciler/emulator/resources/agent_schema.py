"""The beta Agents API's request bodies and resolved fields, written from the `openai` SDK's types (3.51.0:
`types/beta/agent_create_params.py`, `agent_update_params.py`, `agent.py` and the types they name) because
the vendored spec subset has no `/agents` paths.

`check(data, create=...)` refuses a body the SDK's params would not describe, with the same 400s as the
spec-checked endpoints (schema_errors): unknown top-level keys, wrong types, enum values, missing required
keys. Nested objects are closed (the Agents API's params are strict TypedDicts); free-form maps
(`parameters`, `schema`, `request_metadata`, `headers`) are open. `apply(agent, data)` writes a checked
body onto an agent with the documented defaults resolved, as the `Agent` object reports them.
"""

from __future__ import annotations

import json
from functools import cache

from jsonschema import Draft202012Validator

from reconciler.emulator.http import ApiError, check_metadata
from reconciler.emulator.resources import rules
from reconciler.emulator.schema_errors import report, unknown_parameter
from reconciler.emulator.storage import JSON

MAX_TOOLS_BYTES = 3_145_728  # "The tool list must fit within 3 MiB (3,145,728 bytes) of compact UTF-8 JSON."
DEFAULT_SUBAGENTS = 6
SERVICE_TIERS = ("auto", "default", "flex", "priority", "fast", "ultrafast")


def _nullable(*types: str) -> list[str]:
    return [*types, "null"]


def _enum(*values: str) -> JSON:
    return {"type": _nullable("string"), "enum": [*values, None]}


def _closed(properties: JSON, *, required: tuple[str, ...] = (), null: bool = False) -> JSON:
    return {
        "type": _nullable("object") if null else "object",
        "properties": properties,
        "required": list(required),
        "additionalProperties": False,
    }


def _tagged(tag: str, properties: JSON | None = None, required: tuple[str, ...] = ()) -> JSON:
    return _closed({"type": {"const": tag}, **(properties or {})}, required=("type", *required))


_STRINGS: JSON = {"type": _nullable("array"), "items": {"type": "string"}}
_TRANSPORT: JSON = {
    "oneOf": [
        _tagged(
            "http",
            {
                "server_url": {"type": "string"},
                "headers": {"type": _nullable("object"), "additionalProperties": {"type": "string"}},
            },
            ("server_url",),
        ),
        _tagged(
            "stdio",
            {
                "command": {"type": "string"},
                "cwd": {"type": "string"},
                "args": _STRINGS,
                "env_vars": _STRINGS,
            },
            ("command", "cwd"),
        ),
    ]
}
_LOCATION = _closed(
    {key: {"type": _nullable("string")} for key in ("city", "country", "region", "timezone")}, null=True
)
_TOOL: JSON = {
    "oneOf": [
        _tagged(
            "function",
            {
                "name": {"type": "string"},
                "description": {"type": "string"},
                "parameters": {"type": "object"},
                "defer_loading": {"type": "boolean"},
                "async": {"type": "boolean"},
            },
            ("name", "description", "parameters"),
        ),
        _tagged("tool_search"),
        _tagged("programmatic_tool_calling", {"enabled": {"type": "boolean"}}),
        _tagged(
            "mcp",
            {
                "server_label": {"type": "string"},
                "transport": _TRANSPORT,
                "allowed_tools": _STRINGS,
                "connection_origin": _enum("service", "environment"),
                "credential_id": {"type": _nullable("string")},
                "request_metadata": {"type": _nullable("object")},
                "required": {"type": "boolean"},
            },
            ("server_label", "transport"),
        ),
        _tagged(
            "web_search",
            {
                "allowed_domains": _STRINGS,
                "context_size": _enum("low", "medium", "high"),
                "location": _LOCATION,
                "mode": _enum("disabled", "cached", "live"),
            },
        ),
        _tagged("computer_use", {"include_screenshots": {"type": "boolean"}}),
        _tagged("automations"),
    ]
}
_TEXT_FORMAT: JSON = {
    "oneOf": [
        _tagged("text"),
        _tagged("json_schema", {"schema": {"type": "object"}}, ("schema",)),
        {"type": "null"},
    ]
}
_PROPERTIES: JSON = {
    "model": {"type": "string", "minLength": 1},
    "compaction": _closed({"async": {"type": _nullable("boolean")}}, null=True),
    "experimental": _closed({"time_awareness": {"type": "boolean"}}),
    "instructions": {"type": _nullable("string")},
    "metadata": {"type": _nullable("object")},  # pairs and lengths: http.check_metadata
    "multi_agent": _closed(
        {"enabled": {"type": "boolean"}, "max_concurrent_subagents": {"type": "integer", "minimum": 1}},
        required=("enabled",),
        null=True,
    ),
    "name": {"type": _nullable("string")},
    "reasoning": _closed(
        {
            "effort": _enum("none", "minimal", "low", "medium", "high", "xhigh", "max"),
            "summary": _enum("concise", "detailed", "auto"),
        },
        null=True,
    ),
    "service_tier": _enum(*SERVICE_TIERS),
    "text": _closed({"format": _TEXT_FORMAT, "verbosity": _enum("low", "medium", "high")}, null=True),
    "tools": {"type": _nullable("array"), "items": _TOOL},
}


@cache
def _validator(create: bool) -> Draft202012Validator:
    schema = {"type": "object", "properties": _PROPERTIES, "required": ["model"] if create else []}
    return Draft202012Validator(schema)


def check(data: JSON, *, create: bool) -> None:
    """Raise the platform's 400 for a create (`create`) or update body the SDK's params do not describe."""
    for key in data:
        if key not in _PROPERTIES:
            raise unknown_parameter(key)
    errors = list(_validator(create).iter_errors(data))
    if errors:
        raise report(errors, data)
    check_metadata(data.get("metadata"))
    rules.check_function_tools(data.get("tools"), nested=False)
    tools = data.get("tools") or []
    size = len(json.dumps(tools, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))
    if size > MAX_TOOLS_BYTES:
        raise ApiError(
            400,
            f"Invalid 'tools': the tool list is {size} bytes of compact JSON; at most {MAX_TOOLS_BYTES} "
            "are allowed.",
            param="tools",
        )


def defaults() -> JSON:
    """An agent's fields when its create body names only the model."""
    return {
        "instructions": None,
        "metadata": {},
        "name": None,
        "compaction": {"async": True},
        "experimental": {"time_awareness": False},
        "multi_agent": {"enabled": False, "max_concurrent_subagents": None},
        "reasoning": {"effort": None, "summary": None},
        "service_tier": "auto",
        "text": {"format": {"type": "text"}, "verbosity": "medium"},
        "tools": [],
    }


def apply(agent: JSON, data: JSON) -> None:
    """Write a checked body onto `agent`. Every key replaces its field (null resets it to the default),
    except `experimental`, whose settings merge by key, as the update's documentation says."""
    for key, value in data.items():
        if key in ("model", "instructions", "name"):
            agent[key] = value
        elif key == "metadata":
            agent[key] = check_metadata(value) or {}
        elif key == "compaction":
            background = value.get("async") if isinstance(value, dict) else None
            agent[key] = {"async": True if background is None else background}
        elif key == "experimental":
            agent[key] = {**agent[key], **value}
        elif key == "multi_agent":
            enabled = bool(value and value["enabled"])
            limit = value.get("max_concurrent_subagents", DEFAULT_SUBAGENTS) if enabled else None
            agent[key] = {"enabled": enabled, "max_concurrent_subagents": limit}
        elif key == "reasoning":
            agent[key] = {"effort": (value or {}).get("effort"), "summary": (value or {}).get("summary")}
        elif key == "service_tier":
            agent[key] = value or "auto"
        elif key == "text":
            given = value or {}
            agent[key] = {
                "format": given.get("format") or {"type": "text"},
                "verbosity": given.get("verbosity") or "medium",
            }
        elif key == "tools":
            agent[key] = [_tool(tool) for tool in value or []]


def _tool(tool: JSON) -> JSON:
    """A PersistedAgentTool: the param with its documented defaults filled in."""
    kind = tool["type"]
    if kind == "function":
        resolved = {
            "type": kind,
            "name": tool["name"],
            "description": tool["description"],
            "parameters": tool["parameters"],
            "defer_loading": tool.get("defer_loading", False),
        }
        if "async" in tool:
            resolved["async"] = tool["async"]
        return resolved
    if kind == "programmatic_tool_calling":
        return {"type": kind, "enabled": tool.get("enabled", True)}
    if kind == "computer_use":
        return {"type": kind, "include_screenshots": tool.get("include_screenshots", False)}
    if kind == "web_search":
        return {
            "type": kind,
            "allowed_domains": tool.get("allowed_domains"),
            "context_size": tool.get("context_size") or "medium",
            "location": tool.get("location"),
            "mode": tool.get("mode") or "live",
        }
    if kind == "mcp":
        return {
            "type": kind,
            "server_label": tool["server_label"],
            "transport": _transport(tool["transport"]),
            "allowed_tools": tool.get("allowed_tools"),
            "connection_origin": tool.get("connection_origin") or "service",
            "credential_id": tool.get("credential_id"),
            "request_metadata": tool.get("request_metadata") or {},
            "required": tool.get("required", False),
        }
    return {"type": kind}  # tool_search, automations: nothing to configure


def _transport(transport: JSON) -> JSON:
    if transport["type"] == "http":
        return {
            "type": "http",
            "server_url": transport["server_url"],
            "headers": transport.get("headers") or {},
        }
    return {
        "type": "stdio",
        "command": transport["command"],
        "cwd": transport["cwd"],
        "args": transport.get("args") or [],
        "env_vars": transport.get("env_vars") or [],
    }
