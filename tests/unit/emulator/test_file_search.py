"""File search's pieces without HTTP: chunking by the static strategy, attribute filters, the tool's mode."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.emulator.resources.file_search import _chunks, matches, mode

ATTRIBUTES = {"region": "eu", "year": 2026, "draft": False, "score": 1.5}


def test_a_short_text_is_one_chunk() -> None:
    assert _chunks("hello", 800, 400) == ["hello"]
    assert _chunks("", 800, 400) == []


def test_chunks_overlap_and_reach_the_end() -> None:
    text = "".join(chr(ord("a") + i % 26) for i in range(1000))
    chunks = _chunks(text, 100, 25)  # 400 characters every 300
    assert [len(c) for c in chunks] == [400, 400, 400]
    assert chunks[1][:100] == chunks[0][300:]
    assert chunks[-1] == text[600:]  # the last chunk ends where the text does
    assert [len(c) for c in _chunks(text + "z", 100, 25)] == [400, 400, 400, 101]


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ({"type": "eq", "key": "region", "value": "eu"}, True),
        ({"type": "eq", "key": "year", "value": 2026.0}, True),
        ({"type": "eq", "key": "draft", "value": 0}, False),  # a boolean is not a number
        ({"type": "ne", "key": "region", "value": "us"}, True),
        ({"type": "ne", "key": "missing", "value": "x"}, True),
        ({"type": "eq", "key": "missing", "value": "x"}, False),
        ({"type": "gt", "key": "year", "value": 2025}, True),
        ({"type": "gte", "key": "score", "value": 1.5}, True),
        ({"type": "lt", "key": "region", "value": "fr"}, True),  # strings compare as strings
        ({"type": "lte", "key": "region", "value": 3}, False),  # a string and a number do not compare
        ({"type": "in", "key": "region", "value": ["us", "eu"]}, True),
        ({"type": "nin", "key": "region", "value": ["us", "eu"]}, False),
        ({"type": "nin", "key": "missing", "value": ["x"]}, True),
        (
            {
                "type": "and",
                "filters": [
                    {"type": "eq", "key": "region", "value": "eu"},
                    {"type": "or", "filters": [{"type": "lt", "key": "year", "value": 2000}]},
                ],
            },
            False,
        ),
        ({"type": "or", "filters": [{"type": "eq", "key": "draft", "value": False}]}, True),
    ],
)
def test_filters(condition: Any, expected: bool) -> None:
    assert matches(condition, ATTRIBUTES) is expected


def test_mode_follows_tools_and_tool_choice() -> None:
    search: Any = {"type": "file_search"}
    function: Any = {"type": "function", "name": "f"}
    assert mode([], "auto") == "off"
    assert mode([search], "auto") == "only"
    assert mode([search], "required") == "only"
    assert mode([search, function], "auto") == "offered"
    assert mode([search], "none") == "off"
    assert mode([search, function], {"type": "file_search"}) == "only"
    assert mode([search, function], {"type": "function", "name": "f"}) == "off"
