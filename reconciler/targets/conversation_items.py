"""A stored conversation item (`ConversationItem` in OpenAI's spec) as the input item (`InputItem`) that
puts the same thing into another conversation: what `ConversationOps.read_items` returns and
`create`/`append` send back.

Ids and output-only fields (`status`, annotations, logprobs) are dropped, except where the spec's input
shape requires them (`file_search_call` needs its `id`, `status` and `queries`). Mappings:

- a `user`, `system` or `developer` message keeps its `input_text` / `input_image` / `input_file` parts
  (`InputMessage`);
- an `assistant` message becomes `{type: message, role: assistant, content: "<text>"}`
  (`EasyInputMessage`): the spec takes `output_text` parts only inside an `OutputMessage`, which requires
  the `id` and `status` a copy must not carry, and `input_text` parts under the assistant role are
  refused by the platform. Its `output_text` (and `refusal`) texts are joined with a newline; a message
  the platform answered has one part, so nothing is lost but citations (annotations are output-only);
- `function_call` keeps `call_id`, `name`, `arguments` (and `namespace`); `function_call_output` keeps
  `call_id` and `output` (a string or input parts), so call/output pairs stay paired by `call_id`;
- `file_search_call` keeps `id`, `status`, `queries` and `results`.

Anything else (reasoning, web search, computer calls, MCP items...) is refused with `UnsupportedItem`,
which names the item type.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.errors import PermanentPlatformError

_INPUT_PARTS = ("input_text", "input_image", "input_file")
_ASSISTANT_PARTS = {"output_text": "text", "refusal": "refusal"}
_INPUT_ROLES = ("user", "system", "developer")


class UnsupportedItem(PermanentPlatformError):
    """A conversation holds an item this migration cannot copy (`item_type` names it)."""

    def __init__(self, conversation: str, item_type: str, detail: str = "") -> None:
        suffix = f" ({detail})" if detail else ""
        super().__init__(f"conversation {conversation}: cannot copy an item of type {item_type!r}{suffix}")
        self.conversation = conversation
        self.item_type = item_type


def as_input(item: Mapping[str, Any], conversation: str) -> dict[str, Any]:
    """The input item for one stored item of `conversation` (named in errors)."""
    kind = str(item.get("type"))
    if kind == "message":
        return _message(item, conversation)
    if kind == "function_call":
        call = {key: item[key] for key in ("type", "call_id", "name", "arguments")}
        if isinstance(item.get("namespace"), str):
            call["namespace"] = item["namespace"]
        return call
    if kind == "function_call_output":
        output = item["output"]
        if not isinstance(output, str):
            output = [_input_part(p, conversation, kind) for p in output]
        return {"type": kind, "call_id": item["call_id"], "output": output}
    if kind == "file_search_call":
        search = {key: item[key] for key in ("type", "id", "status", "queries")}
        if item.get("results") is not None:
            search["results"] = item["results"]
        return search
    raise UnsupportedItem(conversation, kind)


def _message(item: Mapping[str, Any], conversation: str) -> dict[str, Any]:
    role = item.get("role")
    content = item.get("content") or []
    if role in _INPUT_ROLES:
        parts = [_input_part(p, conversation, f"message ({role})") for p in content]
        return {"type": "message", "role": role, "content": parts}
    if role != "assistant":
        raise UnsupportedItem(conversation, "message", f"role {role!r}")
    texts: list[str] = []
    for part in content:
        field = _ASSISTANT_PARTS.get(part.get("type"))
        if field is None or not isinstance(part.get(field), str):
            raise UnsupportedItem(conversation, "message", f"assistant content part {part.get('type')!r}")
        texts.append(part[field])
    message: dict[str, Any] = {"type": "message", "role": "assistant", "content": "\n".join(texts)}
    if item.get("phase") is not None:
        message["phase"] = item["phase"]
    return message


def _input_part(part: Mapping[str, Any], conversation: str, where: str) -> dict[str, Any]:
    if part.get("type") not in _INPUT_PARTS:
        raise UnsupportedItem(conversation, where, f"content part {part.get('type')!r}")
    return {key: value for key, value in part.items() if value is not None}
