"""`reconciler.words`: counts that agree with their noun, values in JSON's terms, the nearest spelling."""

from __future__ import annotations

import pytest

from reconciler import words


@pytest.mark.parametrize(
    ("n", "expected"), [(0, "0 warnings"), (1, "1 warning"), (2, "2 warnings"), (11, "11 warnings")]
)
def test_count(n: int, expected: str) -> None:
    assert words.count(n, "warning") == expected


def test_count_with_an_irregular_plural() -> None:
    assert words.count(1, "old version") == "1 old version"
    assert words.count(3, "match", "matches") == "3 matches"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, "null"),
        (True, "true"),
        (False, "false"),
        (2026, "2026"),
        (10.0, "10.0"),  # as the author wrote it
        (2.5, "2.5"),
        ("x", "'x'"),
        ([1, None], "[1, null]"),
        ({"b": True, "a": None}, '{"a": null, "b": true}'),
    ],
)
def test_value_speaks_json(value: object, expected: str) -> None:
    assert words.value(value) == expected


def test_whole_floats_become_integers_deep_inside() -> None:
    assert words.whole({"year": 2026.0, "p": [1.0, 0.5], "t": True}) == {
        "year": 2026,
        "p": [1, 0.5],
        "t": True,
    }
    assert words.whole(float("inf")) == float("inf")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, "null"),
        (True, "a boolean"),
        (3, "a number"),
        ("s", "a string"),
        ([], "a list"),
        ({}, "a mapping"),
    ],
)
def test_kind_of(value: object, expected: str) -> None:
    assert words.kind_of(value) == expected


def test_did_you_mean() -> None:
    fields = ["temperature", "topP", "tools", "toolResources"]
    assert words.did_you_mean("temprature", fields) == "; did you mean 'temperature'?"
    assert words.did_you_mean("TOOLS", fields) == "; did you mean 'tools'?"
    assert words.did_you_mean("colour", fields) == ""
