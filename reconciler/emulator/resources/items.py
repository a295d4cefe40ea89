"""Conversation/Response items: turning request input (InputParam, InputItem) into stored items in the
shapes the item lists require (Message, FunctionToolCallResource, FunctionToolCallOutputResource), and
items into what the deterministic model reads.

Supported input items: messages (`role` user/assistant/system/developer, string or list content),
`function_call`, `function_call_output`, `file_search_call` (an earlier output sent back; the model does
not read it) and `item_reference`. Any other item type is a 400 that says the emulator does not support
it. Every stored item has an `id` and a `status` (both required in item lists).
"""

from __future__ import annotations

from typing import Any

from reconciler.emulator import model
from reconciler.emulator.http import ApiError, new_id
from reconciler.emulator.router import Context
from reconciler.emulator.storage import JSON

CONVERSATION_ITEM = "conversation_item"
INPUT_ITEM = "response_input_item"
_ROLES = ("user", "assistant", "system", "developer")
_PARTS = ("input_text", "output_text", "input_image", "input_file", "refusal")


def from_input(ctx: Context, value: Any, *, param: str) -> list[JSON]:
    """Stored items for an `input` (a string is one user message) or an `items` array."""
    if value is None:
        return []
    if isinstance(value, str):
        return [_message("user", value, None, param)]
    if not isinstance(value, list):
        raise ApiError(400, f"Invalid type for '{param}': expected a string or an array.", param=param)
    return [_item(ctx, item, f"{param}[{index}]") for index, item in enumerate(value)]


def to_turns(items: list[JSON]) -> list[model.Turn]:
    turns: list[model.Turn] = []
    for item in items:
        kind = item.get("type")
        if kind == "message":
            turns.append(model.Turn(item["role"], _text_of(item["content"])))
        elif kind == "function_call":
            turns.append(model.Turn("tool_call", item["name"] + item["arguments"]))
        elif kind == "function_call_output":
            output = item["output"]
            turns.append(model.Turn("tool_output", output if isinstance(output, str) else _text_of(output)))
    return turns


def output_message(text: str) -> JSON:
    return {
        "type": "message",
        "id": new_id("msg_"),
        "status": "completed",
        "role": "assistant",
        "content": [{"type": "output_text", "text": text, "annotations": [], "logprobs": []}],
    }


def find(ctx: Context, item_id: str) -> JSON | None:
    """An item stored anywhere (a conversation, a response's input or output), for `item_reference`."""
    for kind in (CONVERSATION_ITEM, INPUT_ITEM):
        for item in ctx.storage.all(kind, parent=None):
            if item.get("id") == item_id:
                return item
    for response in ctx.storage.all("response", parent=None):
        for item in response.get("output", []):
            if item.get("id") == item_id:
                return dict(item)
    return None


def _item(ctx: Context, item: Any, param: str) -> JSON:
    if not isinstance(item, dict):
        raise ApiError(400, f"Invalid type for '{param}': expected an object.", param=param)
    kind = item.get("type")
    if kind in (None, "message") and "role" in item:
        return _message(item["role"], item.get("content"), item.get("id"), param)
    if kind == "function_call":
        for key in ("call_id", "name", "arguments"):
            if not isinstance(item.get(key), str):
                raise ApiError(400, f"Missing required parameter: '{param}.{key}'.", param=f"{param}.{key}")
        return {
            "type": "function_call",
            "id": item.get("id") or new_id("fc_"),
            "call_id": item["call_id"],
            "name": item["name"],
            "arguments": item["arguments"],
            "status": "completed",
        }
    if kind == "function_call_output":
        if not isinstance(item.get("call_id"), str):
            raise ApiError(400, f"Missing required parameter: '{param}.call_id'.", param=f"{param}.call_id")
        if not isinstance(item.get("output"), str | list):
            raise ApiError(400, f"Missing required parameter: '{param}.output'.", param=f"{param}.output")
        return {
            "type": "function_call_output",
            "id": item.get("id") or new_id("fco_"),
            "call_id": item["call_id"],
            "output": item["output"],
            "status": "completed",
        }
    if kind == "file_search_call":
        # The request schema already requires `id`, `queries` and `status`; keep what the spec's item has.
        kept = ("type", "id", "status", "queries", "results")
        return {key: item[key] for key in kept if key in item}
    if kind in (None, "item_reference") and isinstance(item.get("id"), str):
        found = find(ctx, item["id"])
        if found is None:
            raise ApiError(400, f"Item with id '{item['id']}' not found.", param=param)
        return found
    raise ApiError(400, f"Item type '{kind}' is not supported by the emulator.", param=f"{param}.type")


def _message(role: Any, content: Any, item_id: Any, param: str) -> JSON:
    if role not in _ROLES:
        raise ApiError(
            400,
            f"Invalid value: '{role}'. Supported values are: 'user', 'assistant', 'system', and 'developer'.",
            param=f"{param}.role",
        )
    # An assistant message lists output parts; everyone else's are input parts (the item schemas differ).
    text_type = "output_text" if role == "assistant" else "input_text"
    if isinstance(content, str):
        parts = [_text_part(text_type, content)]
    elif isinstance(content, list) and content:
        parts = [_part(p, text_type, f"{param}.content[{i}]") for i, p in enumerate(content)]
    else:
        raise ApiError(
            400,
            f"Invalid '{param}.content': expected a string or a non-empty array.",
            param=f"{param}.content",
        )
    return {
        "type": "message",
        "id": item_id if isinstance(item_id, str) and item_id else new_id("msg_"),
        "status": "completed",
        "role": role,
        "content": parts,
    }


def _part(part: Any, text_type: str, param: str) -> JSON:
    kind = part.get("type") if isinstance(part, dict) else None
    if kind not in _PARTS:
        raise ApiError(400, f"Invalid value for '{param}.type'.", param=f"{param}.type")
    if kind in ("input_text", "output_text"):
        if not isinstance(part.get("text"), str):
            raise ApiError(400, f"Missing required parameter: '{param}.text'.", param=f"{param}.text")
        return _text_part(text_type, part["text"])
    return dict(part)


def _text_part(text_type: str, text: str) -> JSON:
    if text_type == "output_text":
        return {"type": "output_text", "text": text, "annotations": [], "logprobs": []}
    return {"type": "input_text", "text": text}


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    texts = [p.get("text", "") for p in content if isinstance(p, dict) and isinstance(p.get("text"), str)]
    return "\n".join(texts)
