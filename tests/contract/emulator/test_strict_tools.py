"""Strict function tools (`strict: true`) are held to strict mode's two rules on Responses and on
Assistants, as the platform holds them: every object closes its properties and requires them all."""

from __future__ import annotations

import warnings
from typing import Any

import openai
import pytest

OPEN = {"type": "object", "properties": {"title": {"type": "string"}}, "required": ["title"]}
PARTLY_REQUIRED = {
    "type": "object",
    "properties": {"title": {"type": "string"}, "room": {"type": "string"}},
    "required": ["title"],
    "additionalProperties": False,
}
NESTED_OPEN = {
    "type": "object",
    "properties": {
        "who": {"type": "object", "properties": {"email": {"type": "string"}}, "required": ["email"]}
    },
    "required": ["who"],
    "additionalProperties": False,
}
CLOSED_EMPTY = {"type": "object", "properties": {}, "required": [], "additionalProperties": False}


def _tool(parameters: dict[str, Any] | None) -> dict[str, Any]:
    return {"type": "function", "name": "book", "parameters": parameters, "strict": True}


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        (OPEN, "In context=(), 'additionalProperties' is required to be supplied and to be false"),
        (PARTLY_REQUIRED, "including every key in properties. Missing 'room'"),
        (NESTED_OPEN, "In context=('properties', 'who'), 'additionalProperties'"),
    ],
)
def test_a_strict_schema_that_breaks_strict_mode_is_a_400(
    client: openai.OpenAI, parameters: dict[str, Any], message: str
) -> None:
    with pytest.raises(openai.BadRequestError) as raised:
        client.responses.create(model="gpt-4o", input="hi", tools=[_tool(parameters)])  # type: ignore[list-item]
    assert message in str(raised.value)
    assert raised.value.code == "invalid_function_parameters"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        with pytest.raises(openai.BadRequestError, match=r"additionalProperties|required"):
            client.beta.assistants.create(
                model="gpt-4o",
                tools=[
                    {
                        "type": "function",
                        "function": {"name": "book", "parameters": parameters, "strict": True},
                    }
                ],
            )


@pytest.mark.parametrize(
    "parameters", [CLOSED_EMPTY, None, {**PARTLY_REQUIRED, "required": ["title", "room"]}]
)
def test_a_strict_schema_that_keeps_the_rules_is_accepted(
    client: openai.OpenAI, parameters: dict[str, Any] | None
) -> None:
    response = client.responses.create(model="gpt-4o", input="hi", tools=[_tool(parameters)])  # type: ignore[list-item]
    assert response.status == "completed"
