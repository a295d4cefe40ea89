"""Strict function schemas as OpenAI checks them when a tool says `strict: true`: every object closes its
properties (`additionalProperties: false`) and requires every one of them. A schema that breaks either is
a 400 naming the function and where, before anything runs; the platform refuses it the same way, so a
client that sends one must fail here first.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from reconciler.emulator.http import ApiError

_NESTED_LISTS = ("anyOf", "allOf", "oneOf", "prefixItems")
_NESTED_MAPS = ("properties", "$defs", "definitions")


def check_strict(name: str, schema: Any, param: str) -> None:
    """Left out (or null), the parameters are an empty list, which is strict already."""
    if not isinstance(schema, dict):
        return
    for where, node in _objects(schema, ()):
        context = f"context=({', '.join(repr(p) for p in where)})"
        if node.get("additionalProperties") is not False:
            raise ApiError(
                400,
                f"Invalid schema for function '{name}': In {context}, 'additionalProperties' is required to "
                "be supplied and to be false.",
                param=param,
                code="invalid_function_parameters",
            )
        properties = node.get("properties") or {}
        required = node.get("required") or []
        missing = [key for key in properties if key not in required]
        if missing:
            raise ApiError(
                400,
                f"Invalid schema for function '{name}': In {context}, 'required' is required to be supplied "
                f"and to be an array including every key in properties. Missing '{missing[0]}'.",
                param=param,
                code="invalid_function_parameters",
            )


def _objects(node: Any, where: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], dict[str, Any]]]:
    """Every object schema in `node`, with the path to it."""
    if not isinstance(node, dict):
        return
    kind = node.get("type")
    if kind == "object" or (isinstance(kind, list) and "object" in kind) or "properties" in node:
        yield where, node
    for key in _NESTED_MAPS:
        children = node.get(key)
        if isinstance(children, dict):
            for child_name, child in children.items():
                yield from _objects(child, (*where, key, child_name))
    for key in _NESTED_LISTS:
        children = node.get(key)
        if isinstance(children, list):
            for index, child in enumerate(children):
                yield from _objects(child, (*where, key, str(index)))
    items = node.get("items")
    if isinstance(items, dict):
        yield from _objects(items, (*where, "items"))
