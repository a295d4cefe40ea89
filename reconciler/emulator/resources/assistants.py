"""Assistants v2: `/assistants` list/create, `/assistants/{id}` get/modify/delete (CreateAssistantRequest,
ModifyAssistantRequest, AssistantObject)."""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Request, Response

from reconciler.emulator.http import (
    ApiError,
    body,
    check_metadata,
    json_response,
    new_id,
    not_found,
    now,
    paginate,
)
from reconciler.emulator.resources import rules
from reconciler.emulator.router import Context, Router
from reconciler.emulator.storage import JSON

KIND = "assistant"
_TOOL_TYPES = ("code_interpreter", "file_search", "function")
_FIELDS = (
    "name",
    "description",
    "instructions",
    "model",
    "tools",
    "tool_resources",
    "metadata",
    "temperature",
    "top_p",
    "response_format",
    "reasoning_effort",
)


def register(router: Router) -> None:
    router.add("GET", "/v1/assistants", list_assistants, group="assistants")
    router.add("POST", "/v1/assistants", create_assistant, group="assistants")
    router.add("GET", "/v1/assistants/<assistant_id>", get_assistant, group="assistants")
    router.add("POST", "/v1/assistants/<assistant_id>", modify_assistant, group="assistants")
    router.add("DELETE", "/v1/assistants/<assistant_id>", delete_assistant, group="assistants")


def list_assistants(ctx: Context, request: Request) -> Response:
    return paginate(ctx.storage, request, KIND)


def create_assistant(ctx: Context, request: Request) -> Response:
    data = body(request)
    if not isinstance(data.get("model"), str) or not data["model"]:
        raise ApiError(400, "Missing required parameter: 'model'.", param="model")
    assistant: JSON = {
        "id": new_id("asst_"),
        "object": "assistant",
        "created_at": now(),
        "name": None,
        "description": None,
        "model": data["model"],
        "instructions": None,
        "tools": [],
        "tool_resources": {},
        "metadata": {},
        "top_p": 1.0,
        "temperature": 1.0,
        "reasoning_effort": None,
        "response_format": "auto",
    }
    _apply(ctx, assistant, data)
    ctx.storage.insert(KIND, assistant)
    return json_response(assistant)


def get_assistant(ctx: Context, request: Request, assistant_id: str) -> Response:
    return json_response(_load(ctx, assistant_id))


def modify_assistant(ctx: Context, request: Request, assistant_id: str) -> Response:
    assistant = _load(ctx, assistant_id)
    _apply(ctx, assistant, body(request))
    ctx.storage.put(KIND, assistant)
    return json_response(assistant)


def delete_assistant(ctx: Context, request: Request, assistant_id: str) -> Response:
    if not ctx.storage.delete(KIND, assistant_id):
        raise not_found("assistant", assistant_id)
    return json_response({"id": assistant_id, "object": "assistant.deleted", "deleted": True})


def _load(ctx: Context, assistant_id: str) -> JSON:
    assistant = ctx.storage.get(KIND, assistant_id)
    if assistant is None:
        raise not_found("assistant", assistant_id)
    return assistant


def _apply(ctx: Context, assistant: JSON, data: JSON) -> None:
    """Validate and copy the writable fields; unknown fields are the platform's 400."""
    for key in data:
        if key not in _FIELDS:
            raise ApiError(400, f"Unrecognized request argument supplied: {key}", param=key)
    rules.check_model(ctx, data.get("model"), assistants=True)
    rules.check_function_tools(data.get("tools"), nested=True)
    rules.check_response_format(data.get("response_format"))
    if "name" in data and data["name"] is not None and len(str(data["name"])) > 256:
        raise ApiError(
            400, "Invalid 'name': string too long. Expected a maximum length of 256.", param="name"
        )
    if "description" in data and data["description"] is not None and len(str(data["description"])) > 512:
        raise ApiError(400, "Invalid 'description': string too long (max 512).", param="description")
    if "tools" in data:
        assistant["tools"] = _tools(data["tools"])
    if "metadata" in data:
        assistant["metadata"] = check_metadata(data["metadata"]) or {}
    if "tool_resources" in data:
        assistant["tool_resources"] = rules.tool_resources(ctx, data["tool_resources"])
    if "temperature" in data and data["temperature"] is not None:
        _bounded(data["temperature"], 0, 2, "temperature")
    if "top_p" in data and data["top_p"] is not None:
        _bounded(data["top_p"], 0, 1, "top_p")
    for key in (
        "name",
        "description",
        "instructions",
        "model",
        "temperature",
        "top_p",
        "response_format",
        "reasoning_effort",
    ):
        if key in data:
            assistant[key] = data[key]
    # The platform echoes defaults, not nulls, for sampling settings.
    for key, default in (("temperature", 1.0), ("top_p", 1.0), ("response_format", "auto")):
        if assistant.get(key) is None:
            assistant[key] = default
    if assistant.get("tool_resources") is None:
        assistant["tool_resources"] = {}


def _bounded(value: Any, low: float, high: float, param: str) -> None:
    if not isinstance(value, int | float) or isinstance(value, bool) or not low <= value <= high:
        raise ApiError(400, f"Invalid '{param}': expected a number between {low} and {high}.", param=param)


def _tools(tools: Any) -> list[JSON]:
    if not isinstance(tools, list):
        raise ApiError(400, "Invalid type for 'tools': expected an array.", param="tools")
    if len(tools) > 128:
        raise ApiError(400, "Invalid 'tools': array too long. Expected at most 128 tools.", param="tools")
    out: list[JSON] = []
    for index, tool in enumerate(tools):
        if not isinstance(tool, dict) or tool.get("type") not in _TOOL_TYPES:
            raise ApiError(400, f"Invalid value for 'tools[{index}].type'.", param=f"tools[{index}].type")
        if tool["type"] == "function":
            function = tool.get("function")
            if not isinstance(function, dict) or not isinstance(function.get("name"), str):
                raise ApiError(
                    400,
                    f"Missing required parameter: 'tools[{index}].function.name'.",
                    param=f"tools[{index}].function.name",
                )
            out.append(
                {
                    "type": "function",
                    "function": {
                        "name": function["name"],
                        # FunctionObject.description is a string, not nullable: absent when not given.
                        **(
                            {"description": function["description"]}
                            if isinstance(function.get("description"), str)
                            else {}
                        ),
                        "parameters": function.get("parameters", {}),
                        "strict": bool(function.get("strict", False)),
                    },
                }
            )
        elif tool["type"] == "file_search":
            out.append(
                {
                    "type": "file_search",
                    **({"file_search": tool["file_search"]} if "file_search" in tool else {}),
                }
            )
        else:
            out.append({"type": "code_interpreter"})
    return out
