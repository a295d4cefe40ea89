"""What one observed response says, off the request path: whether it failed, its tool calls and its token
usage, from an SDK Responses `Response` or an Assistants-v2 `Run` (objects or their dicts); and whether a
tool call's arguments are valid under the tool's JSON Schema in the release that made it."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from reconciler.model.prices import cost_usd, price_of
from reconciler.runtime.release import Release

__all__ = ["Summary", "ToolValidators", "summarize"]

_FAILED_RESPONSE = frozenset({"failed", "incomplete"})
# A run that expired was never answered either; a cancelled one was the application's choice.
_FAILED_RUN = frozenset({"failed", "incomplete", "expired"})


@dataclass(frozen=True)
class Summary:
    failed: bool
    tool_calls: tuple[tuple[str, Any], ...]  # (tool name, arguments as sent: a JSON string)
    input_tokens: int
    output_tokens: int
    model: str | None = None  # what the platform says answered, to price the tokens by
    cached_input_tokens: int = 0

    def cost_usd(self) -> float | None:
        """The tokens priced by `model.prices`; None when the model has no price there."""
        price = price_of(self.model) if self.model else None
        if price is None:
            return None
        return float(cost_usd(price, self.input_tokens, self.cached_input_tokens, self.output_tokens))


def _field(obj: Any, key: str) -> Any:
    if obj is None:
        return None
    if isinstance(obj, Mapping):
        return obj.get(key)
    return getattr(obj, key, None)


def _items(value: Any) -> Sequence[Any]:
    return value if isinstance(value, Sequence) and not isinstance(value, str | bytes) else ()


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def summarize(response: Any) -> Summary:
    """The facts telemetry counts in `response`. A Run is told apart by `object: thread.run` (or, in a
    dict without `object`, by its `thread_id`); anything else is read as a Response."""
    kind = _field(response, "object")
    if kind == "thread.run" or (kind != "response" and _field(response, "thread_id") is not None):
        return _summarize_run(response)
    calls = tuple(
        (str(_field(item, "name")), _field(item, "arguments"))
        for item in _items(_field(response, "output"))
        if _field(item, "type") == "function_call"
    )
    usage = _field(response, "usage")
    model = _field(response, "model")
    return Summary(
        failed=_field(response, "status") in _FAILED_RESPONSE,
        tool_calls=calls,
        input_tokens=_count(_field(usage, "input_tokens")),
        output_tokens=_count(_field(usage, "output_tokens")),
        model=model if isinstance(model, str) else None,
        cached_input_tokens=_count(_field(_field(usage, "input_tokens_details"), "cached_tokens")),
    )


def _summarize_run(run: Any) -> Summary:
    submit = _field(_field(run, "required_action"), "submit_tool_outputs")
    calls = []
    for call in _items(_field(submit, "tool_calls")):
        function = _field(call, "function")
        if function is not None:
            calls.append((str(_field(function, "name")), _field(function, "arguments")))
    usage = _field(run, "usage")
    model = _field(run, "model")
    return Summary(
        failed=_field(run, "status") in _FAILED_RUN,
        tool_calls=tuple(calls),
        input_tokens=_count(_field(usage, "prompt_tokens")),
        output_tokens=_count(_field(usage, "completion_tokens")),
        model=model if isinstance(model, str) else None,
    )


Check = Callable[[Any], bool]


MEMO_SIZE = 4096


class ToolValidators:
    """Draft 2020-12 validators, compiled once per (assistant, version, tool) - a version is immutable, so
    its schemas are too. Used by the one telemetry thread only; not thread-safe.

    A verdict is a pure function of (version, tool, arguments text), so the last few thousand are
    remembered: jsonschema takes ~60 µs for even a small object, held under the GIL, and identical calls
    (the same lookup, a retry, a smoke check) are common. The memo is emptied when full."""

    def __init__(self) -> None:
        self._tools: dict[tuple[str, int], dict[str, tuple[Mapping[str, Any], bool]] | None] = {}
        self._checks: dict[tuple[str, int, str], Check | None] = {}
        self._memo: dict[tuple[str, int, str, str], bool] = {}

    def valid(self, release: Release, tool: str, arguments: Any) -> bool | None:
        """Whether `arguments` (the JSON string the model sent) is valid for `tool` in `release`: False for
        unparsable JSON or a tool the release does not offer; None (not validated) when the release
        carries no tool schemas (a platform assistant on Assistants v2) or the schema cannot be compiled."""
        version = (release.name, release.version)
        if version not in self._tools:
            self._tools[version] = release.function_tools()
        tools = self._tools[version]
        if tools is None:
            return None
        spec = tools.get(tool)
        if spec is None:
            return False
        key = (release.name, release.version, tool)
        if key not in self._checks:
            self._checks[key] = _compile(spec[0])
        check = self._checks[key]
        if check is None:
            return None
        if not isinstance(arguments, str):
            return _valid(check, arguments)
        remembered = (release.name, release.version, tool, arguments)
        verdict = self._memo.get(remembered)
        if verdict is None:
            if len(self._memo) >= MEMO_SIZE:
                self._memo.clear()
            verdict = self._memo[remembered] = _valid(check, arguments)
        return verdict


def _valid(check: Check, arguments: Any) -> bool:
    try:
        value = json.loads(arguments) if isinstance(arguments, str | bytes) else arguments
    except ValueError:
        return False
    return check(value)


def _compile(schema: Mapping[str, Any]) -> Check | None:
    from jsonschema import Draft202012Validator  # only when telemetry validates: it is slow to import
    from jsonschema.exceptions import SchemaError

    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError:
        return None
    validator = Draft202012Validator(schema)
    is_valid: Check = validator.is_valid
    return is_valid
