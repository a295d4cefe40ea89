"""Request rules OpenAI enforces that the spec's request schemas do not state: the ones its descriptions
state in prose, and documented platform behaviour. Each raises the platform's 400.

- Function names match `^[a-zA-Z0-9_-]{1,64}$` (FunctionObject.name's description) and are unique in
  one `tools` list (the model calls a function by name).
- A JSON-schema response format's `name` follows the same rule (ResponseFormatJsonSchema's description),
  in `response_format` (assistants, runs) and `text.format` (responses).
- `tool_resources` name files and vector stores that exist (the inline `vector_stores` helper is not
  emulated and says so).
- A run's `instructions` and `additional_instructions` obey the assistant's 256,000-character limit.
- Models are ones the platform serves (`catalog`).
- A `function_call_output` answers a function call the model made (`/responses`).
- A `file_search` tool (`/responses`) names vector stores that exist (else the 404 of a missing store),
  asks for 1-50 results (`max_num_results`, FileSearchTool's description) and a `score_threshold`
  from 0 to 1 (RankingOptions' description).

Types, enums, ranges and `maxItems` are the spec's own and checked by the generic request validator;
these helpers skip values of the wrong shape rather than judge them twice.
"""

from __future__ import annotations

import re
from typing import Any

from reconciler.emulator import catalog
from reconciler.emulator.http import ApiError
from reconciler.emulator.resources.strict_schema import check_strict
from reconciler.emulator.router import Context
from reconciler.emulator.storage import JSON

FUNCTION_NAME = re.compile(r"[a-zA-Z0-9_-]+")
MAX_FUNCTION_NAME = 64
MAX_INSTRUCTIONS = 256_000
MAX_SEARCH_RESULTS = 50


def check_model(ctx: Context, model: Any, *, assistants: bool) -> None:
    if isinstance(model, str):
        catalog.check(model, at=ctx.clock(), assistants=assistants, extra=ctx.config.extra_models)


def check_function_tools(tools: Any, *, nested: bool) -> None:
    """Function names in a `tools` list: `{"function": {"name"}}` on Assistants (`nested`), `{"name"}`
    on Responses."""
    if not isinstance(tools, list):
        return
    seen: dict[str, int] = {}
    for index, tool in enumerate(tools):
        if not isinstance(tool, dict) or tool.get("type") != "function":
            continue
        holder = tool.get("function") if nested else tool
        name = holder.get("name") if isinstance(holder, dict) else None
        if not isinstance(name, str):
            continue
        param = f"tools[{index}].function.name" if nested else f"tools[{index}].name"
        _function_name(name, param)
        if isinstance(holder, dict) and holder.get("strict") is True:
            where = f"tools[{index}].function.parameters" if nested else f"tools[{index}].parameters"
            check_strict(name, holder.get("parameters"), where)
        if name in seen:
            raise ApiError(
                400,
                f"Invalid 'tools': function names must be unique, but '{name}' is both "
                f"tools[{seen[name]}] and tools[{index}].",
                param=param,
            )
        seen[name] = index


def check_response_format(value: Any) -> None:
    """`response_format: {"type": "json_schema", "json_schema": {"name": ...}}` on assistants and runs."""
    inner = (
        value.get("json_schema") if isinstance(value, dict) and value.get("type") == "json_schema" else None
    )
    name = inner.get("name") if isinstance(inner, dict) else None
    if isinstance(name, str):
        _function_name(name, "response_format.json_schema.name")


def check_text_format(text: Any) -> None:
    """`text: {"format": {"type": "json_schema", "name": ...}}` on responses."""
    fmt = text.get("format") if isinstance(text, dict) else None
    name = fmt.get("name") if isinstance(fmt, dict) and fmt.get("type") == "json_schema" else None
    if isinstance(name, str):
        _function_name(name, "text.format.name")


def _function_name(name: str, param: str) -> None:
    if len(name) > MAX_FUNCTION_NAME:
        raise ApiError(
            400,
            f"Invalid '{param}': string too long. Expected a string with maximum length "
            f"{MAX_FUNCTION_NAME}, but got a string with length {len(name)} instead.",
            param=param,
            code="string_above_max_length",
        )
    if not FUNCTION_NAME.fullmatch(name):
        raise ApiError(
            400,
            f"Invalid '{param}': string does not match pattern. Expected a string that matches the "
            "pattern '^[a-zA-Z0-9_-]+$'.",
            param=param,
        )


def tool_resources(ctx: Context, value: Any) -> JSON:
    """The `tool_resources` to store: every file and vector store named must exist."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ApiError(400, "Invalid type for 'tool_resources': expected an object.", param="tool_resources")
    file_search = value.get("file_search")
    if isinstance(file_search, dict):
        if "vector_stores" in file_search:
            # Creating a vector store inline is a shortcut the emulator does not take; say so plainly.
            raise ApiError(
                400,
                "tool_resources.file_search.vector_stores is not supported by the emulator: "
                "create the vector store first and pass vector_store_ids.",
                param="tool_resources.file_search.vector_stores",
            )
        _exist(ctx, file_search.get("vector_store_ids"), "vector_store", "vector store", "file_search")
    code_interpreter = value.get("code_interpreter")
    if isinstance(code_interpreter, dict):
        _exist(ctx, code_interpreter.get("file_ids"), "file", "file", "code_interpreter")
    return dict(value)


def _exist(ctx: Context, ids: Any, kind: str, what: str, tool: str) -> None:
    if not isinstance(ids, list):
        return
    field = "vector_store_ids" if kind == "vector_store" else "file_ids"
    for index, obj_id in enumerate(ids):
        if isinstance(obj_id, str) and ctx.storage.get(kind, obj_id) is None:
            param = f"tool_resources.{tool}.{field}[{index}]"
            raise ApiError(400, f"No {what} found with id '{obj_id}'.", param=param)


def check_instructions(data: JSON, *keys: str) -> None:
    for key in keys:
        value = data.get(key)
        if isinstance(value, str) and len(value) > MAX_INSTRUCTIONS:
            raise ApiError(
                400,
                f"Invalid '{key}': string too long. Expected a string with maximum length "
                f"{MAX_INSTRUCTIONS}, but got a string with length {len(value)} instead.",
                param=key,
                code="string_above_max_length",
            )


def check_call_outputs(context: list[JSON], new_items: list[JSON]) -> None:
    """Each `function_call_output` among `new_items` answers a `function_call` before it: in the
    conversation or previous responses (`context`) or earlier in the same input."""
    calls = {item.get("call_id") for item in context if item.get("type") == "function_call"}
    for item in new_items:
        if item.get("type") == "function_call":
            calls.add(item.get("call_id"))
        elif item.get("type") == "function_call_output" and item.get("call_id") not in calls:
            raise ApiError(
                400,
                f"No tool call found for function call output with call_id {item.get('call_id')}.",
                param="input",
            )


def check_file_search_tools(ctx: Context, tools: Any) -> None:
    """`file_search` tools on responses: result count and score threshold in range, stores that exist."""
    if not isinstance(tools, list):
        return
    for index, tool in enumerate(tools):
        if not isinstance(tool, dict) or tool.get("type") != "file_search":
            continue
        count = tool.get("max_num_results")
        if isinstance(count, int) and not isinstance(count, bool):
            _in_range(count, 1, MAX_SEARCH_RESULTS, f"tools[{index}].max_num_results")
        ranking = tool.get("ranking_options")
        threshold = ranking.get("score_threshold") if isinstance(ranking, dict) else None
        if isinstance(threshold, int | float) and not isinstance(threshold, bool):
            _in_range(threshold, 0, 1, f"tools[{index}].ranking_options.score_threshold")
        store_ids = tool.get("vector_store_ids")
        for position, store_id in enumerate(store_ids if isinstance(store_ids, list) else []):
            if isinstance(store_id, str) and ctx.storage.get("vector_store", store_id) is None:
                raise ApiError(
                    404,
                    f"No vector store found with id '{store_id}'.",
                    param=f"tools[{index}].vector_store_ids[{position}]",
                )


def _in_range(value: float, low: float, high: float, param: str) -> None:
    """OpenAI's words for a number out of the range a description gives."""
    if value < low:
        raise ApiError(
            400,
            f"Invalid '{param}': {_word(value)} below minimum value. Expected a value >= {low}, but got "
            f"{value} instead.",
            param=param,
            code=f"{_word(value)}_below_min_value",
        )
    if value > high:
        raise ApiError(
            400,
            f"Invalid '{param}': {_word(value)} above maximum value. Expected a value <= {high}, but got "
            f"{value} instead.",
            param=param,
            code=f"{_word(value)}_above_max_value",
        )


def _word(value: float) -> str:
    return "integer" if isinstance(value, int) else "decimal"
