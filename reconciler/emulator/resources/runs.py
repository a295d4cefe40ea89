"""Runs on a thread: `/threads/{id}/runs` list/create, `/threads/{id}/runs/{id}` get/modify, `.../cancel`,
`.../submit_tool_outputs` (CreateRunRequest, RunObject, ListRunsResponse, SubmitToolOutputsRunRequest).

The status machine is driven by the clock, not by threads: a run is stored with the time its current
phase began and is advanced whenever anyone reads it (see `run_states`). Creation answers `queued`.
"""

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
    paginate,
)
from reconciler.emulator.resources import rules, run_states
from reconciler.emulator.resources.run_states import ACTIVE, KIND, public
from reconciler.emulator.resources.threads import load_thread, message_from_request
from reconciler.emulator.router import Context, Router
from reconciler.emulator.storage import JSON

_CREATE_FIELDS = (
    "assistant_id",
    "model",
    "reasoning_effort",
    "instructions",
    "additional_instructions",
    "additional_messages",
    "tools",
    "metadata",
    "temperature",
    "top_p",
    "stream",
    "max_prompt_tokens",
    "max_completion_tokens",
    "truncation_strategy",
    "tool_choice",
    "parallel_tool_calls",
    "response_format",
)
_TOOL_TYPES = ("code_interpreter", "file_search", "function")


def register(router: Router) -> None:
    base = "/v1/threads/<thread_id>/runs"
    router.add("GET", base, list_runs, group="threads")
    router.add("POST", base, create_run, group="threads")
    router.add("GET", f"{base}/<run_id>", get_run, group="threads")
    router.add("POST", f"{base}/<run_id>", modify_run, group="threads")
    router.add("POST", f"{base}/<run_id>/cancel", cancel_run, group="threads")
    router.add("POST", f"{base}/<run_id>/submit_tool_outputs", submit_tool_outputs, group="threads")


def settle_thread(ctx: Context, thread_id: str) -> None:
    """Advance every unfinished run of a thread to the present."""
    for run in ctx.storage.all(KIND, parent=thread_id):
        if run["status"] in ACTIVE or run["status"] == "cancelling":
            run_states.advance(ctx, run)


def active_run(ctx: Context, thread_id: str) -> JSON | None:
    settle_thread(ctx, thread_id)
    for run in ctx.storage.all(KIND, parent=thread_id):
        if run["status"] in ACTIVE or run["status"] == "cancelling":
            return run
    return None


def list_runs(ctx: Context, request: Request, thread_id: str) -> Response:
    load_thread(ctx, thread_id)
    settle_thread(ctx, thread_id)
    return paginate(ctx.storage, request, KIND, parent=thread_id, view=public)


def create_run(ctx: Context, request: Request, thread_id: str) -> Response:
    load_thread(ctx, thread_id)
    data = body(request)
    for key in data:
        if key not in _CREATE_FIELDS:
            raise ApiError(400, f"Unrecognized request argument supplied: {key}", param=key)
    if data.get("stream"):
        raise ApiError(400, "streaming not supported by the emulator", param="stream")
    assistant_id = data.get("assistant_id")
    if not isinstance(assistant_id, str) or not assistant_id:
        raise ApiError(400, "Missing required parameter: 'assistant_id'.", param="assistant_id")
    assistant = ctx.storage.get("assistant", assistant_id)
    if assistant is None:
        raise not_found("assistant", assistant_id, param="assistant_id")
    rules.check_model(ctx, data.get("model"), assistants=True)
    rules.check_function_tools(data.get("tools"), nested=True)
    rules.check_response_format(data.get("response_format"))
    # The assistant's limit on instructions holds for the run's override and its addition.
    rules.check_instructions(data, "instructions", "additional_instructions")
    active = active_run(ctx, thread_id)
    if active is not None:
        raise ApiError(400, f"Thread {thread_id} already has an active run {active['id']}.", param=None)
    extra = data.get("additional_messages") or []
    if not isinstance(extra, list):
        raise ApiError(
            400, "Invalid type for 'additional_messages': expected an array.", param="additional_messages"
        )
    messages = [
        message_from_request(ctx, thread_id, m, param=f"additional_messages[{i}]")
        for i, m in enumerate(extra)
    ]
    run = _new_run(ctx, request, thread_id, assistant, data)
    with ctx.storage.atomic():
        for message in messages:
            ctx.storage.insert("message", message, parent=thread_id)
        ctx.storage.insert(KIND, run, parent=thread_id)
    return json_response(public(run))


def get_run(ctx: Context, request: Request, thread_id: str, run_id: str) -> Response:
    run = _load(ctx, thread_id, run_id)
    return json_response(public(run_states.advance(ctx, run)))


def modify_run(ctx: Context, request: Request, thread_id: str, run_id: str) -> Response:
    run = run_states.advance(ctx, _load(ctx, thread_id, run_id))
    data = body(request)
    for key in data:
        if key != "metadata":
            raise ApiError(400, f"Unrecognized request argument supplied: {key}", param=key)
    if "metadata" in data:
        run["metadata"] = check_metadata(data["metadata"]) or {}
    ctx.storage.put(KIND, run, parent=thread_id)
    return json_response(public(run))


def cancel_run(ctx: Context, request: Request, thread_id: str, run_id: str) -> Response:
    run = run_states.advance(ctx, _load(ctx, thread_id, run_id))
    if run["status"] not in ACTIVE:
        raise ApiError(400, f"Cannot cancel run with status '{run['status']}'.", param=None)
    return json_response(public(run_states.cancel(ctx, run)))


def submit_tool_outputs(ctx: Context, request: Request, thread_id: str, run_id: str) -> Response:
    run = run_states.advance(ctx, _load(ctx, thread_id, run_id))
    data = body(request)
    for key in data:
        if key not in ("tool_outputs", "stream"):
            raise ApiError(400, f"Unrecognized request argument supplied: {key}", param=key)
    if data.get("stream"):
        raise ApiError(400, "streaming not supported by the emulator", param="stream")
    if run["status"] != "requires_action":
        raise ApiError(400, f'Runs in status "{run["status"]}" do not accept tool outputs.', param=None)
    outputs = data.get("tool_outputs")
    if not isinstance(outputs, list):
        raise ApiError(400, "Missing required parameter: 'tool_outputs'.", param="tool_outputs")
    by_id: dict[str, str] = {}
    for index, item in enumerate(outputs):
        if not isinstance(item, dict) or not isinstance(item.get("tool_call_id"), str):
            raise ApiError(
                400,
                f"Missing required parameter: 'tool_outputs[{index}].tool_call_id'.",
                param=f"tool_outputs[{index}].tool_call_id",
            )
        output = item.get("output", "")
        by_id[item["tool_call_id"]] = output if isinstance(output, str) else str(output)
    expected = [c["id"] for c in run["required_action"]["submit_tool_outputs"]["tool_calls"]]
    if sorted(by_id) != sorted(expected):
        raise ApiError(
            400,
            f"Expected tool outputs for call_ids {expected}, got {sorted(by_id)}.",
            param="tool_outputs",
        )
    return json_response(public(run_states.resume(ctx, run, [by_id[i] for i in expected])))


def _load(ctx: Context, thread_id: str, run_id: str) -> JSON:
    load_thread(ctx, thread_id)
    run = ctx.storage.get(KIND, run_id, parent=thread_id)
    if run is None:
        raise not_found("run", run_id, param="run_id")
    return run


def _new_run(ctx: Context, request: Request, thread_id: str, assistant: JSON, data: JSON) -> JSON:
    """A queued RunObject: the request's overrides on top of the assistant's settings."""
    started = ctx.clock()
    instructions = data.get("instructions")
    if instructions is None:
        instructions = assistant.get("instructions") or ""
    if data.get("additional_instructions"):
        instructions = (
            f"{instructions}\n{data['additional_instructions']}"
            if instructions
            else str(data["additional_instructions"])
        )
    tools = _tools(data["tools"] if data.get("tools") is not None else assistant.get("tools") or [])
    for key in ("temperature", "top_p"):
        value = data.get(key)
        if value is not None and (not isinstance(value, int | float) or isinstance(value, bool)):
            raise ApiError(400, f"Invalid type for '{key}': expected a number.", param=key)
    project = request.headers.get("OpenAI-Project") or ctx.config.project_id
    return {
        "id": new_id("run_"),
        "object": "thread.run",
        "created_at": int(started),
        "thread_id": thread_id,
        "assistant_id": assistant["id"],
        "status": "queued",
        "required_action": None,
        "last_error": None,
        "expires_at": int(started) + ctx.config.run_expires_seconds,
        "started_at": None,
        "cancelled_at": None,
        "failed_at": None,
        "completed_at": None,
        "incomplete_details": None,
        "model": data.get("model") or assistant["model"],
        "instructions": instructions,
        "tools": tools,
        "metadata": check_metadata(data.get("metadata")) or {},
        "usage": None,
        "temperature": _or(data.get("temperature"), assistant.get("temperature"), 1.0),
        "top_p": _or(data.get("top_p"), assistant.get("top_p"), 1.0),
        "max_prompt_tokens": data.get("max_prompt_tokens"),
        "max_completion_tokens": data.get("max_completion_tokens"),
        "truncation_strategy": data.get("truncation_strategy") or {"type": "auto", "last_messages": None},
        "tool_choice": _or(data.get("tool_choice"), "auto"),
        "parallel_tool_calls": _or(data.get("parallel_tool_calls"), True),
        "response_format": _or(data.get("response_format"), assistant.get("response_format"), "auto"),
        run_states.STATE: run_states.initial_state(started, project),
    }


def _or(*values: Any) -> Any:
    return next((v for v in values if v is not None), None)


def _tools(tools: Any) -> list[JSON]:
    if not isinstance(tools, list):
        raise ApiError(400, "Invalid type for 'tools': expected an array.", param="tools")
    if len(tools) > 20:
        raise ApiError(400, "Invalid 'tools': array too long. Expected at most 20 tools.", param="tools")
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
        if tool["type"] == "function":
            # FunctionObject's optional keys are not nullable: leave out the unset ones.
            function = {k: v for k, v in tool["function"].items() if v is not None}
            out.append({"type": "function", "function": function})
        else:
            out.append(dict(tool))
    return out
