"""Identical tool schemas are held once: by every assistant using a catalogue tool, by every live copy read
from the platform, and by both sides when they agree. Sharing never changes a value or a fingerprint."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.model.canonical import canonical_json, fingerprint
from reconciler.model.desired import Assistant, BuiltinTool, FunctionTool
from reconciler.model.interning import (
    SHARED,
    DataMemo,
    IdentityMemo,
    Interner,
    canonical_spec,
    spec_fingerprint,
)
from reconciler.model.live import LiveAssistant
from reconciler.model.specs import assistant_spec
from reconciler.plan import normalise
from reconciler.targets import wire

PARAMS: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {"query": {"type": "string"}, "limit": {"type": ["integer", "null"], "maximum": 100}},
    "required": ["query", "limit"],
}
CATALOGUE_TOOL = FunctionTool(name="search", description="Search the docs.", parameters=PARAMS, strict=True)


def _assistant(name: str, *functions: FunctionTool) -> Assistant:
    return Assistant(
        name=name,
        model="gpt-4.1",
        instructions=f"You are {name}.",
        functions=functions,
        builtins=(BuiltinTool.CODE_INTERPRETER,),
    )


def _wire_assistant(asst_id: str, name: str) -> dict[str, Any]:
    """An assistant as a platform page decodes it: fresh objects every time."""
    return json.loads(
        json.dumps(
            {
                "id": asst_id,
                "object": "assistant",
                "created_at": 1,
                "name": name,
                "model": "gpt-4.1",
                "instructions": f"You are {name}.",
                "tools": [
                    {
                        "type": "function",
                        "function": {
                            "name": "search",
                            "description": "Search the docs.",
                            "parameters": PARAMS,
                            "strict": True,
                        },
                    },
                    {"type": "code_interpreter"},
                ],
                "tool_resources": {"code_interpreter": {"file_ids": []}},
                "metadata": {"team": "docs"},
                "temperature": 0.2,
                "top_p": 1.0,
                "response_format": "auto",
            }
        )
    )


def _containers(value: Any, out: dict[int, Any]) -> dict[int, Any]:
    """Every dict and list reachable from `value` (models' fields included), by id."""
    if isinstance(value, LiveAssistant):
        for field in type(value).model_fields:
            _containers(getattr(value, field), out)
    elif isinstance(value, dict):
        out[id(value)] = value
        for item in value.values():
            _containers(item, out)
    elif isinstance(value, list | tuple):
        if isinstance(value, list):
            out[id(value)] = value
        for item in value:
            _containers(item, out)
    return out


def test_two_assistants_using_one_catalogue_tool_share_one_schema_object() -> None:
    first = assistant_spec(_assistant("first", CATALOGUE_TOOL))
    second = assistant_spec(_assistant("second", CATALOGUE_TOOL))
    assert first["tools"][0] is second["tools"][0]
    assert first["tools"][0]["parameters"] is second["tools"][0]["parameters"]
    assert first["tools"][1] is second["tools"][1]  # builtins too
    assert first["tools"][0]["parameters"] == PARAMS  # the same data, as plain JSON


def test_live_assistants_share_tool_objects_and_keep_nothing_of_the_decoded_page() -> None:
    pages = [_wire_assistant("asst_1", "first"), _wire_assistant("asst_2", "second")]
    decoded = {i: c for page in pages for i, c in _containers(page, {}).items()}
    first, second = (wire.live_assistant(page) for page in pages)
    assert first.tools[0] is second.tools[0]
    assert first.tools[0]["parameters"] is second.tools[0]["parameters"]
    kept = {**_containers(first, {}), **_containers(second, {})}
    assert not set(kept) & set(decoded), "a live assistant keeps a dict or list of the decoded page"


def test_desired_and_live_copies_of_the_same_tool_are_one_object() -> None:
    desired = assistant_spec(_assistant("first", CATALOGUE_TOOL))
    live = normalise.assistant_spec(wire.live_assistant(_wire_assistant("asst_1", "first")), {}, {})
    assert desired["tools"][0] is live["tools"][0]
    assert desired["tools"] == live["tools"]


def test_values_that_differ_in_any_way_stay_apart() -> None:
    interner = Interner()
    one, one_float = interner.intern({"x": 1}), interner.intern({"x": 1.0})
    true = interner.intern({"x": True})
    assert one is not one_float and one is not true and one_float is not true
    assert type(one_float["x"]) is float and true["x"] is True
    ab, ba = interner.intern({"a": 1, "b": 2}), interner.intern({"b": 2, "a": 1})
    assert ab is not ba
    assert list(ba) == ["b", "a"]  # the order the platform is sent stays as written
    assert interner.intern({"a": 1, "b": 2}) is ab


def test_the_caller_object_is_never_the_shared_one() -> None:
    interner = Interner()
    value = {"nested": {"list": [1, 2]}}
    shared = interner.intern(value)
    assert shared == value and shared is not value and shared["nested"] is not value["nested"]
    value["nested"]["list"].append(3)  # the caller's object may change later; the shared one does not
    assert shared == {"nested": {"list": [1, 2]}}


def test_a_full_table_starts_afresh_without_changing_values() -> None:
    interner = Interner(limit=3)
    values = [interner.intern({"n": n}) for n in range(10)]
    assert [v["n"] for v in values] == list(range(10))
    assert len(interner) <= 3
    again = interner.intern({"n": 9})
    assert again is values[9]
    assert interner.canonical(values[0]) is None  # dropped: its canonical JSON is computed, not reused
    assert interner.canonical(again) == canonical_json({"n": 9})


def test_memos_compute_once_per_object_and_per_value() -> None:
    calls: list[object] = []
    by_object = IdentityMemo(lambda key: calls.append(key) or len(calls))
    key = [1]
    assert by_object(key) == by_object(key) == 1
    assert by_object([1]) == 2  # equal but another object
    by_value: DataMemo[int] = DataMemo(lambda value: calls.append(value) or len(calls))
    assert by_value({"a": [1]}) == by_value({"a": [1]}) == 3
    assert by_value({"a": [1.0]}) == 4


_keys = st.text(max_size=6)
_floats = st.floats(allow_nan=False, allow_infinity=False, width=64)
_scalars = st.none() | st.booleans() | st.integers(-(10**18), 10**18) | _floats | st.text(max_size=8)
_json = st.recursive(
    _scalars,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(_keys, children, max_size=3),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None)
@given(
    rest=st.dictionaries(_keys.filter(lambda k: k != "tools"), _json, max_size=5),
    tools=st.lists(st.dictionaries(_keys, _json, max_size=4), min_size=1, max_size=3),
    share=st.booleans(),
)
def test_a_spliced_canonical_spec_is_the_canonical_json_character_for_character(
    rest: dict[str, Any], tools: list[dict[str, Any]], share: bool
) -> None:
    spec = {**rest, "tools": [SHARED.intern(t) for t in tools] if share else tools}
    assert canonical_spec(spec) == canonical_json(spec)
    assert spec_fingerprint(spec) == fingerprint(spec)


def test_a_spec_holding_the_marker_text_is_still_encoded_exactly() -> None:
    from reconciler.model import interning

    spec = {"instructions": interning._MARKER, "tools": [SHARED.intern({"type": "code_interpreter"})]}
    assert canonical_spec(spec) == canonical_json(spec)


def test_records_read_from_the_store_share_their_applied_specs_tools() -> None:
    from reconciler.model.desired import Kind, ResourceKey
    from reconciler.model.stored import InventoryRecord
    from reconciler.store import open_store

    spec = assistant_spec(_assistant("first", CATALOGUE_TOOL))
    with open_store("sqlite:///:memory:") as store:
        for name in ("first", "second"):
            store.upsert_inventory(
                "ws",
                InventoryRecord(
                    key=ResourceKey(kind=Kind.ASSISTANT, name=name),
                    platform_id=f"asst_{name}",
                    attributes={"spec": {**spec, "name": name}},
                ),
            )
        first, second = store.read("ws").inventory
    tools = first.attributes["spec"]["tools"], second.attributes["spec"]["tools"]
    assert tools[0] == tools[1] == spec["tools"]
    assert all(a is b for a, b in zip(*tools, strict=True))  # one object per tool for every record
