"""check_strict: one test per rule with a minimal violating schema, the docs' valid examples, and each limit
exactly at and one past it."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.schema.generate import schema_at_limits
from reconciler.schema.strict import (
    LARGE_ENUM_THRESHOLD,
    MAX_ENUM_VALUES,
    MAX_LARGE_ENUM_CHARS,
    MAX_NESTING_DEPTH,
    MAX_OBJECT_PROPERTIES,
    MAX_STRING_CHARS,
    STRICT_LIMITS,
    SUPPORTED_FORMATS,
    SchemaIssue,
    check_strict,
)


def obj(**properties: Any) -> dict[str, Any]:
    """A strict-valid object schema around `properties`."""
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


def found(schema: Any) -> list[tuple[str, str]]:
    return [(issue.pointer, issue.code) for issue in check_strict(schema)]


STRING: dict[str, Any] = {"type": "string"}

# The function-calling and Structured Outputs guides' own strict examples.
GET_WEATHER = {
    "type": "object",
    "properties": {
        "location": {"type": "string", "description": "The location to get the weather for"},
        "unit": {"type": ["string", "null"], "description": "The unit", "enum": ["F", "C"]},
    },
    "additionalProperties": False,
    "required": ["location", "unit"],
}
QUERY = obj(
    table_name={"type": "string", "enum": ["orders"]},
    columns={"type": "array", "items": {"type": "string", "enum": ["id", "status", "shipped_at"]}},
    conditions={
        "type": "array",
        "items": obj(
            column=STRING,
            operator={"type": "string", "enum": ["=", ">", "<", ">=", "<=", "!="]},
            value={"anyOf": [STRING, {"type": "number"}, obj(column_name=STRING)]},
        ),
    },
    order_by={"type": "string", "enum": ["asc", "desc"]},
)
UI_ROOT_RECURSION = obj(
    type={"type": "string", "enum": ["div", "button", "header", "section", "field", "form"]},
    label=STRING,
    children={"type": "array", "description": "Nested UI components", "items": {"$ref": "#"}},
    attributes={"type": "array", "items": obj(name=STRING, value=STRING)},
)
LINKED_LIST_DEFS = {
    **obj(linked_list={"$ref": "#/$defs/linked_list_node"}),
    "$defs": {
        "linked_list_node": obj(
            value={"type": "number"},
            next={"anyOf": [{"$ref": "#/$defs/linked_list_node"}, {"type": "null"}]},
        )
    },
}
CONSTRAINED = obj(
    username={"type": "string", "pattern": "^@[a-zA-Z0-9_]+$", "minLength": 1, "maxLength": 30},
    email={"type": "string", "format": "email"},
    age={"type": "integer", "minimum": 0, "maximum": 150, "multipleOf": 1},
    score={"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
    tags={"type": "array", "items": STRING, "minItems": 1, "maxItems": 5},
    nickname={"type": ["string", "null"], "title": "Nick", "default": None, "examples": ["x"]},
    kind={"const": "user", "description": "annotation and const are fine"},
)


@pytest.mark.parametrize(
    "schema",
    [GET_WEATHER, QUERY, UI_ROOT_RECURSION, LINKED_LIST_DEFS, CONSTRAINED, obj()],
    ids=["get_weather", "query", "root-recursion", "defs-recursion", "constraints", "empty-object"],
)
def test_valid_strict_schemas_have_no_issues(schema: dict[str, Any]) -> None:
    assert check_strict(schema) == []


@pytest.mark.parametrize("fmt", sorted(SUPPORTED_FORMATS))
def test_every_supported_format_is_accepted(fmt: str) -> None:
    assert check_strict(obj(a={"type": "string", "format": fmt})) == []


def test_root_must_be_an_object() -> None:
    assert found({"type": "array", "items": STRING}) == [("", "strict.root-type")]


def test_root_must_not_be_anyof() -> None:
    assert found({**obj(), "anyOf": [obj(a=STRING)]}) == [("", "strict.root-anyof")]


def test_root_that_is_not_a_mapping() -> None:
    assert found(["not", "a", "schema"]) == [("", "strict.root-type")]


def test_missing_additional_properties() -> None:
    schema = obj(a={"type": "object", "properties": {}, "required": []})
    assert found(schema) == [("/properties/a", "strict.additional-properties")]


@pytest.mark.parametrize("value", [True, {"type": "string"}, {}], ids=["true", "schema", "empty-schema"])
def test_additional_properties_other_than_false(value: Any) -> None:
    schema = {**obj(), "additionalProperties": value}
    assert found(schema) == [("/additionalProperties", "strict.additional-properties")]


def test_every_property_must_be_required() -> None:
    schema = {**obj(a=STRING, b=STRING), "required": ["a"]}
    assert found(schema) == [("/properties/b", "strict.required")]


def test_nullable_property_still_must_be_required() -> None:
    schema = {**obj(a={"type": ["string", "null"]}), "required": []}
    assert found(schema) == [("/properties/a", "strict.required")]


@pytest.mark.parametrize(
    ("keyword", "value"),
    [
        ("allOf", [STRING]),
        ("oneOf", [STRING]),
        ("not", {"type": "null"}),
        ("if", STRING),
        ("then", STRING),
        ("else", STRING),
        ("dependentRequired", {}),
        ("dependentSchemas", {}),
        ("patternProperties", {}),
        ("unevaluatedProperties", False),
        ("unevaluatedItems", False),
        ("propertyNames", STRING),
        ("contains", STRING),
        ("minContains", 1),
        ("maxContains", 1),
        ("uniqueItems", True),
        ("minProperties", 1),
        ("maxProperties", 1),
        ("prefixItems", [STRING]),
        ("nullable", True),
        ("$id", "https://example.com/s"),
        ("x-vendor", 1),
    ],
)
def test_unsupported_keywords(keyword: str, value: Any) -> None:
    schema = obj(a={"type": "string", keyword: value})
    assert found(schema) == [(f"/properties/a/{keyword}", "strict.keyword")]


@pytest.mark.parametrize("fmt", ["uri", "regex", 3])
def test_unsupported_format(fmt: Any) -> None:
    assert found(obj(a={"type": "string", "format": fmt})) == [("/properties/a/format", "strict.format")]


@pytest.mark.parametrize("kind", ["date", ["string", "decimal"], [], 7])
def test_unsupported_type(kind: Any) -> None:
    assert found(obj(a={"type": kind})) == [("/properties/a/type", "strict.type")]


@pytest.mark.parametrize("schema", [{}, {"description": "anything"}, True, False, 3])
def test_schema_without_a_type(schema: Any) -> None:
    assert found(obj(a=schema)) == [("/properties/a", "strict.type")]


def test_every_anyof_branch_is_checked() -> None:
    branch = {"type": "object", "properties": {"x": STRING}}
    schema = obj(a={"anyOf": [STRING, branch]})
    assert found(schema) == [
        ("/properties/a/anyOf/1", "strict.additional-properties"),
        ("/properties/a/anyOf/1/properties/x", "strict.required"),
    ]


def test_definitions_are_checked_even_when_unused() -> None:
    schema = {**obj(), "$defs": {"Unused": {"type": "object", "properties": {}, "required": []}}}
    assert found(schema) == [("/$defs/Unused", "strict.additional-properties")]


@pytest.mark.parametrize("ref", ["#/$defs/Missing", "https://example.com/other.json", "#anchor", 5])
def test_ref_must_resolve_inside_the_document(ref: Any) -> None:
    assert found(obj(a={"$ref": ref})) == [("/properties/a/$ref", "strict.ref")]


def test_mutual_recursion_through_defs_terminates_and_is_allowed() -> None:
    schema = {
        **obj(a={"$ref": "#/$defs/A"}),
        "$defs": {
            "A": obj(b={"anyOf": [{"$ref": "#/$defs/B"}, {"type": "null"}]}),
            "B": obj(a={"anyOf": [{"$ref": "#/$defs/A"}, {"type": "null"}]}, me={"$ref": "#/$defs/B"}),
            "Loop": {"$ref": "#/$defs/Loop"},
        },
    }
    assert check_strict(schema) == []


def test_root_self_reference_terminates() -> None:
    assert check_strict({**obj(), "$ref": "#"}) == []


def test_every_violation_is_reported_in_pointer_then_code_order() -> None:
    schema = {
        "type": "object",
        "properties": {
            "z": {"type": "string", "format": "uri", "oneOf": []},
            "a": {"type": "object", "additionalProperties": True},
        },
    }
    assert found(schema) == [
        ("", "strict.additional-properties"),
        ("/properties/a", "strict.required"),
        ("/properties/a/additionalProperties", "strict.additional-properties"),
        ("/properties/z", "strict.required"),
        ("/properties/z/format", "strict.format"),
        ("/properties/z/oneOf", "strict.keyword"),
    ]
    assert check_strict(schema) == check_strict(schema)


def test_pointers_escape_slash_and_tilde() -> None:
    schema = {**obj(**{"a/b~c": STRING}), "required": []}
    assert found(schema) == [("/properties/a~1b~0c", "strict.required")]


def test_messages_are_one_line() -> None:
    issues = check_strict({"type": "object", "properties": {"a": {"oneOf": []}}})
    assert issues
    assert all(issue.message and "\n" not in issue.message for issue in issues)


# --- limits -------------------------------------------------------------------------------------------


def test_limits_constant_matches_the_documented_numbers() -> None:
    assert (
        STRICT_LIMITS.object_properties,
        STRICT_LIMITS.nesting_depth,
        STRICT_LIMITS.string_chars,
        STRICT_LIMITS.enum_values,
        STRICT_LIMITS.large_enum_threshold,
        STRICT_LIMITS.large_enum_chars,
    ) == (5000, 10, 120_000, 1000, 250, 15_000)


def test_property_count_at_and_past_the_limit() -> None:
    assert check_strict(schema_at_limits(properties=MAX_OBJECT_PROPERTIES, depth=1)) == []
    past = schema_at_limits(properties=MAX_OBJECT_PROPERTIES + 1, depth=1)
    assert found(past) == [("/properties/f5000", "strict.max-properties")]


def test_nesting_depth_at_and_past_the_limit() -> None:
    assert check_strict(schema_at_limits(properties=MAX_NESTING_DEPTH - 1, depth=MAX_NESTING_DEPTH)) == []
    past = schema_at_limits(properties=MAX_NESTING_DEPTH, depth=MAX_NESTING_DEPTH + 1)
    assert found(past) == [("/properties/nested" * MAX_NESTING_DEPTH, "strict.max-depth")]


def test_arrays_and_anyof_add_no_nesting_level() -> None:
    schema: dict[str, Any] = obj()
    for _ in range(MAX_NESTING_DEPTH - 1):
        schema = obj(x={"type": "array", "items": {"anyOf": [schema, {"type": "null"}]}})
    assert check_strict(schema) == []
    schema = obj(x={"type": "array", "items": schema})
    assert found(schema)[0][1] == "strict.max-depth"


def test_depth_follows_refs_into_definitions() -> None:
    inner = schema_at_limits(properties=MAX_NESTING_DEPTH - 1, depth=MAX_NESTING_DEPTH)
    assert check_strict({**obj(d={"$ref": "#/$defs/Deep"}), "$defs": {"Deep": inner}}) == [
        SchemaIssue(
            "/$defs/Deep" + "/properties/nested" * (MAX_NESTING_DEPTH - 1),
            "strict.max-depth",
            check_strict(schema_at_limits(properties=10, depth=11))[0].message,
        )
    ]


def test_unreferenced_definition_at_the_depth_limit_is_fine() -> None:
    inner = schema_at_limits(properties=MAX_NESTING_DEPTH - 1, depth=MAX_NESTING_DEPTH)
    assert check_strict({**obj(), "$defs": {"Deep": inner}}) == []


def test_very_deep_schema_does_not_overflow_the_stack() -> None:
    schema: dict[str, Any] = obj()
    for _ in range(5000):
        schema = obj(n=schema)
    assert found(schema) == [("/properties/n" * MAX_NESTING_DEPTH, "strict.max-depth")]


def _names(total: int, count: int) -> list[str]:
    """`count` distinct names whose lengths add up to exactly `total`."""
    base, extra = divmod(total, count)
    return [f"{i:05d}".ljust(base + (1 if i < extra else 0), "n") for i in range(count)]


def test_string_budget_at_and_past_the_limit() -> None:
    at = obj(**dict.fromkeys(_names(MAX_STRING_CHARS, 20), STRING))
    assert check_strict(at) == []
    past = obj(**dict.fromkeys(_names(MAX_STRING_CHARS, 20), STRING), x=STRING)
    assert found(past) == [("/properties/x", "strict.string-budget")]


@pytest.mark.parametrize(
    ("extra", "pointer"),
    [
        ({"properties": {"k": {"type": "string", "enum": ["ab"]}}}, "/properties/k/enum"),
        ({"properties": {"k": {"type": "string", "const": "ab"}}}, "/properties/k/const"),
        ({"$defs": {"ab": STRING}}, "/$defs/ab"),
    ],
    ids=["enum", "const", "definition-name"],
)
def test_string_budget_counts_enums_consts_and_definition_names(extra: dict[str, Any], pointer: str) -> None:
    # The extra spends 2 characters ("ab"), plus 1 for the property name "k" when it adds a property.
    names = _names(MAX_STRING_CHARS - (3 if "properties" in extra else 2), 20)
    schema = obj(**dict.fromkeys(names, STRING), **extra.get("properties", {}))
    assert check_strict({**schema, **{k: v for k, v in extra.items() if k != "properties"}}) == []
    names[0] += "n"
    schema = obj(**dict.fromkeys(names, STRING), **extra.get("properties", {}))
    assert found({**schema, **{k: v for k, v in extra.items() if k != "properties"}}) == [
        (pointer, "strict.string-budget")
    ]


def test_enum_count_at_and_past_the_limit() -> None:
    quarter = MAX_ENUM_VALUES // 4
    enums = {f"e{i}": {"type": "integer", "enum": list(range(quarter))} for i in range(4)}
    assert check_strict(obj(**enums)) == []
    enums["e3"] = {"type": "integer", "enum": list(range(quarter + 1))}
    assert found(obj(**enums)) == [("/properties/e3/enum", "strict.enum-count")]


def test_large_string_enum_length_at_and_past_the_limit() -> None:
    values = _names(MAX_LARGE_ENUM_CHARS, LARGE_ENUM_THRESHOLD + 1)
    assert check_strict(obj(e={"type": "string", "enum": values})) == []
    values[0] += "n"
    assert found(obj(e={"type": "string", "enum": values})) == [("/properties/e/enum", "strict.enum-length")]


def test_enum_length_rule_applies_only_above_the_value_threshold() -> None:
    values = _names(MAX_LARGE_ENUM_CHARS * 2, LARGE_ENUM_THRESHOLD)
    assert check_strict(obj(e={"type": "string", "enum": values})) == []


# --- robustness ---------------------------------------------------------------------------------------

_KEYWORDS = st.sampled_from(
    [
        *("type", "properties", "required", "additionalProperties", "anyOf", "$ref", "$defs", "items"),
        *("enum", "const", "format", "pattern", "allOf", "definitions", "minimum", "description"),
    ]
)
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(_KEYWORDS | st.text(max_size=6), children, max_size=5)
    ),
    max_leaves=30,
)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(_KEYWORDS | st.text(max_size=6), _JSON, max_size=6))
def test_check_strict_never_raises(schema: dict[str, Any]) -> None:
    issues = check_strict(schema)
    assert isinstance(issues, list)
    assert all(isinstance(issue, SchemaIssue) for issue in issues)
    assert issues == sorted(issues, key=lambda i: (i.pointer, i.code, i.message))


# --- the generator benchmarks use ---------------------------------------------------------------------


def _count_properties(schema: dict[str, Any]) -> tuple[int, int]:
    """(total properties, object levels) of a generated chain."""
    total, levels, node = 0, 0, schema
    while node is not None:
        total += len(node["properties"])
        levels += 1
        node = node["properties"].get("nested")
    return total, levels


def test_schema_at_limits_defaults_sit_exactly_at_the_limits_and_pass() -> None:
    schema = schema_at_limits()
    assert _count_properties(schema) == (MAX_OBJECT_PROPERTIES, MAX_NESTING_DEPTH)
    assert check_strict(schema) == []
    assert schema == schema_at_limits()  # deterministic


@pytest.mark.parametrize(("properties", "depth"), [(0, 1), (1, 2), (37, 4)])
def test_schema_at_limits_builds_what_it_is_asked_for(properties: int, depth: int) -> None:
    schema = schema_at_limits(properties=properties, depth=depth)
    assert _count_properties(schema) == (properties, depth)
    assert check_strict(schema) == []


@pytest.mark.parametrize(("properties", "depth"), [(5, 0), (2, 4)])
def test_schema_at_limits_refuses_impossible_shapes(properties: int, depth: int) -> None:
    with pytest.raises(ValueError, match=r"depth|levels"):
        schema_at_limits(properties=properties, depth=depth)
