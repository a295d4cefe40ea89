"""A quick proof, without jsonschema, that a schema built from the common keywords meets the JSON Schema
2020-12 meta-schema.

Tool parameter schemas are nearly always made of a few keywords (type, properties, required, items,
description, enum, minimum, ...). For a schema made only of the keywords below, each holding a value of
the type the meta-schema requires, `plainly_valid` answers True, and `metaschema.check_metaschema` need not
import jsonschema, whose import and meta-schema set-up cost `reconcile validate` about 50 ms of its 0.3 s
start-up budget. Anything else (another keyword, `$ref` and the other URI-valued keywords, a value of
another type, a `pattern` that is not a regular expression, nesting deeper than MAX_DEPTH) answers False,
and jsonschema decides, as it always did. True is therefore only a shortcut to the answer jsonschema gives
("no issues"); `tests/unit/schema/test_quickmeta.py` holds it to that on generated schemas.

Types follow jsonschema's type checker: an object is a dict, an array a list, a number an int or float
that is not a bool. Integers are taken only as ints (jsonschema also takes 3.0; such a schema goes to it).
"""

from __future__ import annotations

import re
from enum import Enum, auto
from typing import Any

__all__ = ["MAX_DEPTH", "plainly_valid"]

# Deeper schemas go to jsonschema, which turns a RecursionError into its own issue.
MAX_DEPTH = 64


class _Value(Enum):
    """What the meta-schema requires of a keyword's value."""

    SCHEMA = auto()  # a schema: an object or a boolean
    SCHEMA_MAP = auto()  # an object whose values are schemas
    SCHEMA_LIST = auto()  # a non-empty array of schemas
    TYPES = auto()  # a simple type name, or a non-empty array of distinct ones
    STRING = auto()
    STRINGS = auto()  # an array of distinct strings
    NUMBER = auto()
    POSITIVE = auto()  # a number above 0
    COUNT = auto()  # an integer of 0 or more
    BOOLEAN = auto()
    ARRAY = auto()  # an array of anything
    ANY = auto()
    REGEX = auto()  # a string that compiles as a regular expression (jsonschema's "regex" format)


_KEYWORDS: dict[str, _Value] = {
    # core (the URI- and anchor-valued keywords are left to jsonschema)
    "$defs": _Value.SCHEMA_MAP,
    "$comment": _Value.STRING,
    # applicator
    "prefixItems": _Value.SCHEMA_LIST,
    "items": _Value.SCHEMA,
    "contains": _Value.SCHEMA,
    "additionalProperties": _Value.SCHEMA,
    "properties": _Value.SCHEMA_MAP,
    "dependentSchemas": _Value.SCHEMA_MAP,
    "propertyNames": _Value.SCHEMA,
    "if": _Value.SCHEMA,
    "then": _Value.SCHEMA,
    "else": _Value.SCHEMA,
    "allOf": _Value.SCHEMA_LIST,
    "anyOf": _Value.SCHEMA_LIST,
    "oneOf": _Value.SCHEMA_LIST,
    "not": _Value.SCHEMA,
    # unevaluated
    "unevaluatedItems": _Value.SCHEMA,
    "unevaluatedProperties": _Value.SCHEMA,
    # validation
    "type": _Value.TYPES,
    "const": _Value.ANY,
    "enum": _Value.ARRAY,
    "multipleOf": _Value.POSITIVE,
    "maximum": _Value.NUMBER,
    "exclusiveMaximum": _Value.NUMBER,
    "minimum": _Value.NUMBER,
    "exclusiveMinimum": _Value.NUMBER,
    "maxLength": _Value.COUNT,
    "minLength": _Value.COUNT,
    "pattern": _Value.REGEX,
    "maxItems": _Value.COUNT,
    "minItems": _Value.COUNT,
    "uniqueItems": _Value.BOOLEAN,
    "maxContains": _Value.COUNT,
    "minContains": _Value.COUNT,
    "maxProperties": _Value.COUNT,
    "minProperties": _Value.COUNT,
    "required": _Value.STRINGS,
    # meta-data
    "title": _Value.STRING,
    "description": _Value.STRING,
    "default": _Value.ANY,
    "deprecated": _Value.BOOLEAN,
    "readOnly": _Value.BOOLEAN,
    "writeOnly": _Value.BOOLEAN,
    "examples": _Value.ARRAY,
    # format-annotation and content
    "format": _Value.STRING,
    "contentEncoding": _Value.STRING,
    "contentMediaType": _Value.STRING,
    "contentSchema": _Value.SCHEMA,
}

_SIMPLE_TYPES = frozenset({"array", "boolean", "integer", "null", "number", "object", "string"})


def plainly_valid(schema: object) -> bool:
    """True when `schema` certainly meets the 2020-12 meta-schema; False means "ask jsonschema"."""
    return _schema(schema, 0)


def _schema(value: object, depth: int) -> bool:
    if isinstance(value, bool):
        return True
    if not isinstance(value, dict) or depth > MAX_DEPTH:
        return False
    for keyword, item in value.items():
        kind = _KEYWORDS.get(keyword) if isinstance(keyword, str) else None
        if kind is None or not _fits(kind, item, depth + 1):
            return False
    return True


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _fits(kind: _Value, value: Any, depth: int) -> bool:
    match kind:
        case _Value.SCHEMA:
            return _schema(value, depth)
        case _Value.SCHEMA_MAP:
            return isinstance(value, dict) and all(
                isinstance(key, str) and _schema(item, depth) for key, item in value.items()
            )
        case _Value.SCHEMA_LIST:
            return isinstance(value, list) and bool(value) and all(_schema(item, depth) for item in value)
        case _Value.TYPES:
            if isinstance(value, str):
                return value in _SIMPLE_TYPES
            return (
                isinstance(value, list)
                and bool(value)
                and all(isinstance(item, str) and item in _SIMPLE_TYPES for item in value)
                and len(set(value)) == len(value)
            )
        case _Value.STRING:
            return isinstance(value, str)
        case _Value.STRINGS:
            return (
                isinstance(value, list)
                and all(isinstance(item, str) for item in value)
                and len(set(value)) == len(value)
            )
        case _Value.NUMBER:
            return _number(value)
        case _Value.POSITIVE:
            return _number(value) and value > 0
        case _Value.COUNT:
            return isinstance(value, int) and not isinstance(value, bool) and value >= 0
        case _Value.BOOLEAN:
            return isinstance(value, bool)
        case _Value.ARRAY:
            return isinstance(value, list)
        case _Value.ANY:
            return True
        case _Value.REGEX:
            return isinstance(value, str) and _compiles(value)


def _compiles(pattern: str) -> bool:
    try:
        re.compile(pattern)
    except Exception:  # re.error, or anything else the compiler raises: jsonschema decides
        return False
    return True
