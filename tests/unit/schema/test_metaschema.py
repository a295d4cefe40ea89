"""check_metaschema: JSON Schema 2020-12 meta-schema errors, each with its pointer, never an exception."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.schema.generate import schema_at_limits
from reconciler.schema.metaschema import SchemaIssue, check_metaschema, json_pointer


def found(schema: Any) -> list[tuple[str, str]]:
    return [(issue.pointer, issue.code) for issue in check_metaschema(schema)]


@pytest.mark.parametrize(
    "schema",
    [
        {},
        {"type": "object", "properties": {"a": {"type": ["string", "null"], "format": "anything"}}},
        {"$defs": {"n": {"$ref": "#/$defs/n"}}, "oneOf": [{"not": {}}], "patternProperties": {"^x": True}},
        schema_at_limits(properties=50, depth=3),
    ],
    ids=["empty", "plain", "keywords-strict-rejects", "generated"],
)
def test_valid_schemas_have_no_issues(schema: dict[str, Any]) -> None:
    assert check_metaschema(schema) == []


@pytest.mark.parametrize(
    ("schema", "pointer"),
    [
        ({"type": "strin"}, "/type"),
        ({"required": "a"}, "/required"),
        ({"properties": {"a": {"minimum": "0"}}}, "/properties/a/minimum"),
        ({"pattern": "("}, "/pattern"),
        ({"anyOf": []}, "/anyOf"),
        ({"items": [{"type": "string"}]}, "/items"),
        ({"$defs": {"a/b": {"type": 1}}}, "/$defs/a~1b/type"),
    ],
)
def test_invalid_schema_is_reported_at_its_pointer(schema: dict[str, Any], pointer: str) -> None:
    assert found(schema) == [(pointer, "schema.invalid")]


def test_every_error_is_reported_sorted_by_pointer() -> None:
    schema = {"properties": {"b": {"type": "strin"}, "a": {"maxLength": -1}}, "required": [1]}
    assert found(schema) == [
        ("/properties/a/maxLength", "schema.invalid"),
        ("/properties/b/type", "schema.invalid"),
        ("/required/0", "schema.invalid"),
    ]


def test_bad_type_message_says_what_is_allowed() -> None:
    [issue] = check_metaschema({"type": "strin"})
    assert "'strin'" in issue.message
    assert "string" in issue.message.split("strin'", 1)[1]
    assert "\n" not in issue.message


def test_long_values_are_cut_to_one_short_line() -> None:
    [issue] = check_metaschema({"required": "x" * 5000})
    assert len(issue.message) <= 200
    assert "\n" not in issue.message


def test_cached_result_is_a_fresh_list_each_time() -> None:
    first = check_metaschema({"type": "strin"})
    first.clear()
    assert found({"type": "strin"}) == [("/type", "schema.invalid")]


def test_non_json_values_from_yaml_are_checked_not_raised() -> None:
    assert found({"minimum": datetime.date(2026, 1, 1)}) == [("/minimum", "schema.invalid")]
    assert check_metaschema({"default": datetime.date(2026, 1, 1)}) == []


def test_too_deep_to_validate_is_an_issue_not_a_crash() -> None:
    schema: dict[str, Any] = {}
    for _ in range(5000):
        schema = {"properties": {"n": schema}}
    [issue] = check_metaschema(schema)
    assert (issue.pointer, issue.code) == ("", "schema.invalid")
    assert "too deeply" in issue.message


def test_json_pointer_escapes_per_rfc_6901() -> None:
    assert json_pointer([]) == ""
    assert json_pointer(["a/b", "c~d", 0]) == "/a~1b/c~0d/0"


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=5)
    ),
    max_leaves=30,
)


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(st.sampled_from(["type", "properties", "items", "anyOf", "$ref", "enum"]), _JSON))
def test_check_metaschema_never_raises(schema: dict[str, Any]) -> None:
    issues = check_metaschema(schema)
    assert all(isinstance(issue, SchemaIssue) and issue.code == "schema.invalid" for issue in issues)
