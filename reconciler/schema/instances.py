"""Validating a value (a function call's arguments) against a tool's `parameters` schema as the platform
holds the model to it: JSON Schema 2020-12 with formats asserted, and under strict mode every object
closed and every property required, whatever the schema spells out (OpenAI enforces both in strict mode;
a schema that omits them is refused by `reconcile validate`, but a stored version may predate that check).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from reconciler.schema.metaschema import json_pointer
from reconciler.schema.strict import is_object_schema, subschemas

__all__ = ["Violation", "first_violation", "strict_closed"]

_MAX_MESSAGE = 200  # one line in an error that also names the conversation and item


@dataclass(frozen=True)
class Violation:
    """Where (a JSON pointer into the value, "" for the whole value) and what is wrong."""

    pointer: str
    message: str


def strict_closed(schema: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of `schema` with every object schema (through properties, items, anyOf and $defs, as strict
    mode reads them) closed (`additionalProperties: false`) and listing all its properties as required."""
    closed: dict[str, Any] = copy.deepcopy(dict(schema))
    stack: list[Any] = [closed]
    while stack:
        node = stack.pop()
        if not isinstance(node, dict):
            continue
        if is_object_schema(node):
            node["additionalProperties"] = False
            properties = node.get("properties")
            if isinstance(properties, Mapping):
                node["required"] = list(properties)
        stack.extend(sub for _, sub in subschemas(node, "", with_defs=True))
    return closed


def first_violation(value: Any, schema: Mapping[str, Any], *, strict: bool) -> Violation | None:
    """The first problem of `value` under `schema` (ordered by instance pointer, then message), or None
    when it is valid. A schema jsonschema cannot use is itself reported, at the whole value."""
    try:
        key = json.dumps(schema, sort_keys=True, allow_nan=False)
    except (TypeError, ValueError) as error:
        return Violation("", f"the schema is not JSON: {error}")
    validator = _validator(key, strict)
    if isinstance(validator, str):
        return Violation("", validator)
    errors = sorted(
        validator.iter_errors(value), key=lambda e: (json_pointer(e.absolute_path), str(e.message))
    )
    if not errors:
        return None
    first = errors[0]
    return Violation(json_pointer(first.absolute_path), _one_line(str(first.message)))


@lru_cache(maxsize=256)
def _validator(schema_json: str, strict: bool) -> Any:
    """A compiled validator per (schema text, strict): a migration validates many calls of few schemas.
    A string is the reason the schema cannot be used. jsonschema has no type information: Any here."""
    from jsonschema import Draft202012Validator  # slow to import; only a migration run needs it
    from jsonschema.exceptions import SchemaError

    schema: dict[str, Any] = json.loads(schema_json)
    if strict:
        schema = strict_closed(schema)
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as error:
        return _one_line(f"the tool's schema is not valid JSON Schema 2020-12: {error.message}")
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def _one_line(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= _MAX_MESSAGE else flat[: _MAX_MESSAGE - 1] + "…"
