"""Responses: `/responses` create, `/responses/{id}` get/delete, `.../cancel`, `.../input_items`
(CreateResponse, Response, ResponseItemList). Answers come from the deterministic model (emulator.model).

A response completes synchronously (even with `background: true`), so `status` is `completed` or
`failed` at once. `stream: true` is a 400 ("streaming not supported by the emulator"). With
`conversation` the model reads the conversation's items before the input, and the input and output items
are appended to the conversation; with `previous_response_id` it reads the chain of earlier inputs and
outputs. `store: false` answers but keeps nothing (a later GET is a 404). A `file_search` tool is run
when the model searches (emulator.model's `/search` rule): the output is then a `file_search_call` and a
message citing the best match (see file_search).
"""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Request, Response

from reconciler.emulator import model, usage
from reconciler.emulator.http import (
    ApiError,
    body,
    check_metadata,
    json_response,
    new_id,
    paginate,
    query_list,
)
from reconciler.emulator.resources import conversations, file_search, items, rules
from reconciler.emulator.resources.items import INPUT_ITEM
from reconciler.emulator.router import Context, Router
from reconciler.emulator.storage import JSON

KIND = "response"
_MAX_CHAIN = 1000  # previous_response_id hops followed; a longer chain is cut (and cannot be a cycle)


class ResponseNotFound(ApiError):
    """404 for `/responses/{id}`. The spec declares these 404s with the bare `Error` schema, while the SDK
    (and every other endpoint) reads `{"error": {...}}`: the body carries both, so either reader works."""

    def __init__(self, response_id: str) -> None:
        super().__init__(404, f"Response with id '{response_id}' not found.", param="response_id")

    def response(self) -> Response:
        inner = {"message": self.message, "type": self.type, "param": self.param, "code": self.code}
        return json_response({"error": inner, **inner}, status=404)


def register(router: Router) -> None:
    router.add("POST", "/v1/responses", create_response, group="responses")
    router.add("GET", "/v1/responses/<response_id>", get_response, group="responses")
    router.add("DELETE", "/v1/responses/<response_id>", delete_response, group="responses")
    router.add("POST", "/v1/responses/<response_id>/cancel", cancel_response, group="responses")
    router.add("GET", "/v1/responses/<response_id>/input_items", list_input_items, group="responses")


def create_response(ctx: Context, request: Request) -> Response:
    data = body(request)
    if data.get("stream"):
        raise ApiError(400, "streaming not supported by the emulator", param="stream")
    if not isinstance(data.get("model"), str) or not data["model"]:
        raise ApiError(400, "Missing required parameter: 'model'.", param="model")
    rules.check_model(ctx, data["model"], assistants=False)
    rules.check_function_tools(data.get("tools"), nested=False)
    rules.check_file_search_tools(ctx, data.get("tools"))
    rules.check_text_format(data.get("text"))
    conversation_id = _conversation_id(data.get("conversation"))
    previous_id = data.get("previous_response_id")
    if conversation_id and previous_id:
        raise ApiError(
            400,
            "Mutually exclusive parameters: Ensure you are only providing one of: "
            "'previous_response_id' or 'conversation'.",
            param=None,
        )
    instructions = data.get("instructions")
    if instructions is not None and not isinstance(instructions, str):
        raise ApiError(400, "Invalid type for 'instructions': expected a string.", param="instructions")
    if "tool_choice" in data and data["tool_choice"] is None:
        raise ApiError(
            400, "Invalid type for 'tool_choice': expected a string or an object.", param="tool_choice"
        )
    tools = _tools(data.get("tools"))
    tool_choice = data.get("tool_choice", "auto")
    metadata = check_metadata(data.get("metadata")) or {}
    new_items = items.from_input(ctx, data.get("input"), param="input")

    if conversation_id:
        conversations.load(ctx, conversation_id)
        context = conversations.history(ctx, conversation_id)
    elif previous_id:
        context = _chain(ctx, str(previous_id))
    else:
        context = []
    rules.check_call_outputs(context, new_items)
    answer, output = _answer(ctx, items.to_turns(context + new_items), instructions, tools, tool_choice)
    created = ctx.clock()
    response_id = new_id("resp_")
    usage.record(
        ctx.storage,
        usage.UsageRecord(
            model=data["model"],
            input_tokens=answer.input_tokens,
            output_tokens=answer.output_tokens,
            at=created,
            project_id=request.headers.get("OpenAI-Project") or ctx.config.project_id,
            source="response",
            source_id=response_id,
        ),
    )
    response = _response_object(response_id, int(created), data, answer, output, tools, tool_choice, metadata)
    response["instructions"] = instructions
    response["conversation"] = {"id": conversation_id} if conversation_id else None
    response["previous_response_id"] = previous_id
    with ctx.storage.atomic():
        if response["store"]:
            ctx.storage.insert(KIND, response)
            seen: set[str] = set()
            for item in new_items:
                if item["id"] not in seen:
                    seen.add(item["id"])
                    ctx.storage.insert(INPUT_ITEM, item, parent=response_id)
        if conversation_id:
            conversations.append(ctx, conversation_id, new_items + response["output"])
    return json_response(_shown(response, data.get("include") or []))


def get_response(ctx: Context, request: Request, response_id: str) -> Response:
    if request.args.get("stream") in ("true", "True", "1"):
        raise ApiError(400, "streaming not supported by the emulator", param="stream")
    return json_response(_shown(_load(ctx, response_id), query_list(request.args, "include")))


def delete_response(ctx: Context, request: Request, response_id: str) -> Response:
    if not ctx.storage.delete(KIND, response_id):
        raise ResponseNotFound(response_id)
    return json_response({"id": response_id, "object": "response", "deleted": True})


def cancel_response(ctx: Context, request: Request, response_id: str) -> Response:
    response = _load(ctx, response_id)
    # Responses here finish before create returns, so there is never anything left to cancel.
    if not response.get("background"):
        raise ApiError(400, "Only responses created with background=true can be cancelled.", param=None)
    raise ApiError(400, f"Cannot cancel a response with status '{response['status']}'.", param=None)


def list_input_items(ctx: Context, request: Request, response_id: str) -> Response:
    _load(ctx, response_id)
    include = query_list(request.args, "include")
    return paginate(
        ctx.storage,
        request,
        INPUT_ITEM,
        parent=response_id,
        view=lambda item: file_search.view(item, include=include),
    )


def _load(ctx: Context, response_id: str) -> JSON:
    response = ctx.storage.get(KIND, response_id)
    if response is None:
        raise ResponseNotFound(response_id)
    return response


def _answer(
    ctx: Context, turns: list[model.Turn], instructions: str | None, tools: list[JSON], tool_choice: Any
) -> tuple[model.Answer, list[JSON]]:
    """The model's answer and the output items it makes. A search runs between the model's two steps:
    it asks, the platform searches, it answers from what was found."""
    answer = model.answer(
        turns,
        instructions=instructions,
        tools=_callable(tools, tool_choice),
        file_search=file_search.mode(tools, tool_choice),
    )
    if answer.search is not None:
        hits = file_search.search(ctx, tools, answer.search)
        best = hits[0] if hits else None
        passage = model.Passage(best.filename, best.passage) if best is not None else None
        answer = model.after_search(answer, [h.text for h in hits], passage)
        return answer, [
            file_search.call_item(answer.search or "", hits),
            file_search.cited_message(answer.text or "", best),
        ]
    if answer.tool_call is not None:
        call = {
            "type": "function_call",
            "id": new_id("fc_"),
            "call_id": new_id("call_"),
            "name": answer.tool_call.name,
            "arguments": answer.tool_call.arguments,
            "status": "completed",
        }
        return answer, [call]
    return answer, [items.output_message(answer.text)] if answer.text is not None else []


def _shown(response: JSON, include: list[str]) -> JSON:
    return {**response, "output": file_search.shown(response["output"], include)}


def _response_object(
    response_id: str,
    created: int,
    data: JSON,
    answer: model.Answer,
    output: list[JSON],
    tools: list[JSON],
    tool_choice: Any,
    metadata: dict[str, str],
) -> JSON:
    """A Response with all 14 required keys; `user` and `usage` are never null (the spec forbids it)."""
    failed = answer.error is not None
    response: JSON = {
        "id": response_id,
        "object": "response",
        "created_at": created,
        "status": "failed" if failed else "completed",
        "completed_at": None if failed else created,
        "error": {"code": "server_error", "message": answer.error} if failed else None,
        "incomplete_details": None,
        "instructions": None,
        "max_output_tokens": data.get("max_output_tokens"),
        "model": data["model"],
        "output": output,
        "parallel_tool_calls": _or(data.get("parallel_tool_calls"), True),
        "previous_response_id": None,
        "reasoning": _reasoning(data.get("reasoning")),
        "service_tier": "default",
        "store": _or(data.get("store"), True),
        "background": bool(data.get("background")),
        "temperature": _or(data.get("temperature"), 1.0),
        "text": data.get("text") or {"format": {"type": "text"}},
        "tool_choice": tool_choice,
        "tools": tools,
        "top_p": _or(data.get("top_p"), 1.0),
        "truncation": _or(data.get("truncation"), "disabled"),
        "usage": {
            "input_tokens": answer.input_tokens,
            "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
            "output_tokens": answer.output_tokens,
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": answer.total_tokens,
        },
        "metadata": metadata,
    }
    if isinstance(data.get("user"), str):
        response["user"] = data["user"]
    return response


def _chain(ctx: Context, previous_id: str) -> list[JSON]:
    """Inputs and outputs of `previous_id` and its ancestors, oldest first."""
    segments: list[list[JSON]] = []
    current: str | None = previous_id
    for _ in range(_MAX_CHAIN):
        if current is None:
            break
        previous = ctx.storage.get(KIND, current)
        if previous is None:
            if current == previous_id:
                raise ApiError(
                    400,
                    f"Previous response with id '{previous_id}' not found.",
                    param="previous_response_id",
                    code="previous_response_not_found",
                )
            break
        segments.append(ctx.storage.all(INPUT_ITEM, parent=current) + list(previous["output"]))
        current = previous.get("previous_response_id")
    return [item for segment in reversed(segments) for item in segment]


def _conversation_id(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str) and value:
        return value
    if isinstance(value, dict) and isinstance(value.get("id"), str):
        return str(value["id"])
    raise ApiError(
        400, "Invalid type for 'conversation': expected a string or an object.", param="conversation"
    )


def _tools(value: Any) -> list[JSON]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ApiError(400, "Invalid type for 'tools': expected an array.", param="tools")
    tools: list[JSON] = []
    for index, tool in enumerate(value):
        if not isinstance(tool, dict) or not isinstance(tool.get("type"), str):
            raise ApiError(
                400, f"Missing required parameter: 'tools[{index}].type'.", param=f"tools[{index}].type"
            )
        if tool["type"] == "file_search":
            tools.append(file_search.echo(tool))
            continue
        if tool["type"] != "function":
            tools.append(dict(tool))
            continue
        if not isinstance(tool.get("name"), str) or not tool["name"]:
            raise ApiError(
                400, f"Missing required parameter: 'tools[{index}].name'.", param=f"tools[{index}].name"
            )
        # The Responses API defaults `strict` to true; `parameters` is required-but-nullable in the output.
        tools.append(
            {
                "type": "function",
                "name": tool["name"],
                "description": tool.get("description"),
                "parameters": tool.get("parameters"),
                "strict": _or(tool.get("strict"), True),
            }
        )
    return tools


def _callable(tools: list[JSON], tool_choice: Any) -> set[str]:
    names = {t["name"] for t in tools if t["type"] == "function"}
    if tool_choice == "none":
        return set()
    if isinstance(tool_choice, dict) and tool_choice.get("type") == "function":
        return names & {tool_choice.get("name")}
    return names


def _or(*values: Any) -> Any:
    return next((v for v in values if v is not None), None)


def _reasoning(sent: object) -> JSON | None:
    """The reasoning settings as the request gave them (null when it gave none), as the platform echoes."""
    if not isinstance(sent, dict):
        return None
    return {"effort": sent.get("effort"), "summary": sent.get("summary")}
