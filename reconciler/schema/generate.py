"""Deterministic strict-mode schemas at (or past) OpenAI's size limits, for benchmarks and limit tests."""

from __future__ import annotations

from typing import Any

from reconciler.schema.strict import MAX_NESTING_DEPTH, MAX_OBJECT_PROPERTIES

__all__ = ["schema_at_limits"]

# Leaf types cycle so the compatibility classifier meets every scalar kind, including the nullable form
# strict mode uses for "optional".
_LEAVES: tuple[dict[str, Any], ...] = (
    {"type": "string"},
    {"type": "integer", "minimum": 0},
    {"type": "number"},
    {"type": "boolean"},
    {"type": ["string", "null"], "format": "date-time"},
)
_CHILD = "nested"


def _object(properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


def schema_at_limits(
    properties: int = MAX_OBJECT_PROPERTIES, depth: int = MAX_NESTING_DEPTH
) -> dict[str, Any]:
    """A strict-valid `parameters` schema with exactly `properties` object properties in total and objects
    nested exactly `depth` levels (root object = level 1, as `check_strict` counts).

    The chain of `depth` objects is linked by a property named "nested" (depth - 1 of the properties); the
    other properties are scalar leaves named f0000, f0001, ... dealt round-robin over the levels, so every
    level is wide and the names stay far below the string budget. Same arguments, same schema.
    Values past the limits are allowed on purpose: they build the "one past" cases.
    """
    if depth < 1:
        raise ValueError(f"depth must be at least 1, got {depth}")
    leaves = properties - (depth - 1)
    if leaves < 0:
        raise ValueError(f"{depth} levels need at least {depth - 1} properties, got {properties}")
    levels: list[dict[str, Any]] = [{} for _ in range(depth)]
    for index in range(leaves):
        levels[index % depth][f"f{index:04d}"] = dict(_LEAVES[index % len(_LEAVES)])
    schema: dict[str, Any] | None = None
    for level in reversed(levels):
        if schema is not None:
            level[_CHILD] = schema
        schema = _object(level)
    assert schema is not None  # depth >= 1, so the loop ran
    return schema
