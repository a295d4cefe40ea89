"""quickmeta.plainly_valid: a shortcut that may only ever say what jsonschema says.

The oracle is jsonschema's own 2020-12 meta-schema validator, with the format checker `check_metaschema`
uses. Generated schemas mix every keyword the shortcut knows with values of the right and of the wrong
types, and keywords it does not know.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from reconciler.schema.generate import schema_at_limits
from reconciler.schema.metaschema import check_metaschema
from reconciler.schema.quickmeta import MAX_DEPTH, plainly_valid

REPO = Path(__file__).resolve().parents[3]
ORACLE = Draft202012Validator(
    Draft202012Validator.META_SCHEMA, format_checker=Draft202012Validator.FORMAT_CHECKER
)

SCHEMA_KEYS = ["items", "contains", "additionalProperties", "propertyNames", "if", "then", "else", "not"]
SCHEMA_KEYS += ["unevaluatedItems", "unevaluatedProperties", "contentSchema"]
MAP_KEYS = ["properties", "$defs", "dependentSchemas", "patternProperties", "definitions"]
LIST_KEYS = ["allOf", "anyOf", "oneOf", "prefixItems"]
NUMBER_KEYS = ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"]
COUNT_KEYS = ["minLength", "maxLength", "minItems", "maxItems", "minProperties", "maxProperties"]
COUNT_KEYS += ["minContains", "maxContains"]
STRING_KEYS = ["title", "description", "format", "$comment", "contentEncoding", "contentMediaType"]
BOOL_KEYS = ["uniqueItems", "deprecated", "readOnly", "writeOnly"]
OTHER_KEYS = ["$ref", "$id", "$schema", "$anchor", "dependentRequired", "x-vendor", "nullable"]
TYPE_NAMES = ["array", "boolean", "integer", "null", "number", "object", "string", "strin", "any"]
PATTERNS = ["^[a-z]+$", r"\d{3}", "(", "[", "a{2,1}", r"\p{L}", "a**", "(?P<x>a)", ""]

_ANY = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 3) | st.floats() | st.text(max_size=4),
    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=3), c, max_size=3),
    max_leaves=6,
)
_NUMBER = st.integers(-3, 3) | st.floats() | st.booleans() | st.sampled_from([2.0, "1", None])
_STRINGS = st.lists(st.sampled_from(["a", "b", "c"]) | st.integers(0, 1), max_size=4)


def _schemas(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """A schema-shaped object: each keyword with a value that is usually, not always, of its type."""
    wrong = st.sampled_from([None, 1, "x", [], {}, True])
    entries = st.one_of(
        st.tuples(st.sampled_from(SCHEMA_KEYS), children | wrong),
        st.tuples(
            st.sampled_from(MAP_KEYS),
            st.dictionaries(st.sampled_from(["a", "b", "a/b", "^x"]), children | wrong, max_size=3) | wrong,
        ),
        st.tuples(st.sampled_from(LIST_KEYS), st.lists(children | wrong, max_size=3) | wrong),
        st.tuples(st.sampled_from(NUMBER_KEYS), _NUMBER),
        st.tuples(st.sampled_from(COUNT_KEYS), _NUMBER),
        st.tuples(st.sampled_from(STRING_KEYS), st.text(max_size=4) | wrong),
        st.tuples(st.sampled_from(BOOL_KEYS), st.booleans() | wrong),
        st.tuples(
            st.just("type"),
            st.sampled_from(TYPE_NAMES) | st.lists(st.sampled_from(TYPE_NAMES), max_size=3) | wrong,
        ),
        st.tuples(st.just("required"), _STRINGS | wrong),
        st.tuples(st.just("pattern"), st.sampled_from(PATTERNS) | wrong),
        st.tuples(st.sampled_from(["enum", "examples"]), st.lists(_ANY, max_size=3) | wrong),
        st.tuples(st.sampled_from(["const", "default"]), _ANY),
        st.tuples(st.sampled_from(OTHER_KEYS), st.text(max_size=4) | wrong),
    )
    return st.lists(entries, max_size=5).map(dict)


SCHEMAS = st.recursive(st.booleans() | st.just({}), _schemas, max_leaves=12)


def _oracle_valid(schema: Any) -> bool:
    return not list(ORACLE.iter_errors(schema))


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(SCHEMAS)
def test_plainly_valid_only_when_jsonschema_finds_no_issue(schema: Any) -> None:
    if plainly_valid(schema):
        assert _oracle_valid(schema), schema


@settings(max_examples=300, deadline=None)
@given(SCHEMAS.filter(lambda s: isinstance(s, dict)))
def test_check_metaschema_answers_as_jsonschema_alone(schema: dict[str, Any]) -> None:
    assert (check_metaschema(schema) == []) == _oracle_valid(schema)


def _example_parameter_schemas() -> list[dict[str, Any]]:
    found = []
    for path in sorted((REPO / "manifests").glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc and doc.get("kind") == "FunctionTool":
                found.append(doc["spec"]["parameters"])
    assert len(found) == 2
    return found


@pytest.mark.parametrize(
    "schema",
    [
        *_example_parameter_schemas(),
        schema_at_limits(properties=50, depth=3),
        {
            "type": "object",
            "properties": {"a": {"anyOf": [{"type": "string", "pattern": "^x$"}, {"type": "null"}]}},
        },
        {"type": "array", "items": {"enum": ["a", 1, None]}, "minItems": 1, "uniqueItems": True},
        {"$defs": {"n": {"type": "number", "multipleOf": 0.5}}, "description": "x", "default": None},
        True,
    ],
)
def test_common_schemas_take_the_shortcut(schema: Any) -> None:
    assert plainly_valid(schema)
    assert _oracle_valid(schema)


@pytest.mark.parametrize(
    "schema",
    [
        {"$ref": "#/$defs/a"},  # URI-valued: its format checks depend on optional packages
        {"minLength": 2.0},  # an integer to jsonschema, not to the shortcut
        {"pattern": "("},
        {"type": "strin"},
        {"x-vendor": 1},
        json.loads('{"properties": {"a": ' * (MAX_DEPTH + 1) + "{}" + "}}" * (MAX_DEPTH + 1)),
    ],
)
def test_anything_else_is_left_to_jsonschema(schema: Any) -> None:
    assert not plainly_valid(schema)
