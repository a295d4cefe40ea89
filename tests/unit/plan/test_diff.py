"""Field-level differences: tools keyed by name, reorders and key order are no change, paths read well."""

from __future__ import annotations

from typing import Any

from reconciler.plan.diff import field_changes

SPEC: dict[str, Any] = {
    "model": "gpt-4.1",
    "temperature": 1.0,
    "metadata": {"team": "tools", "owner": "it"},
    "tools": [
        {"type": "function", "name": "create_meeting", "parameters": {"required": ["title"]}},
        {"type": "function", "name": "list_expenses", "parameters": {"required": ["from", "to"]}},
        {"type": "file_search"},
    ],
}


def _with(**changes: Any) -> dict[str, Any]:
    return {**SPEC, **changes}


def test_equal_specs_have_no_changes() -> None:
    assert field_changes(SPEC, dict(SPEC)) == ()


def test_tool_reorder_and_key_order_are_no_change() -> None:
    reordered = {k: SPEC[k] for k in reversed(list(SPEC))}
    reordered["tools"] = list(reversed(SPEC["tools"]))
    reordered["metadata"] = {"owner": "it", "team": "tools"}
    assert field_changes(SPEC, reordered) == ()


def test_integer_and_float_spellings_are_equal() -> None:
    assert field_changes(SPEC, _with(temperature=1)) == ()


def test_scalar_change() -> None:
    (change,) = field_changes(SPEC, _with(model="gpt-4o"))
    assert (change.path, change.before, change.after, change.kind) == (
        "model",
        "gpt-4.1",
        "gpt-4o",
        "changed",
    )


def test_tool_change_is_addressed_by_tool_name() -> None:
    tools = [dict(t) for t in SPEC["tools"]]
    tools[0] = {**tools[0], "parameters": {"required": ["title", "location"]}}
    (change,) = field_changes(SPEC, _with(tools=tools))
    assert change.path == "tools[create_meeting].parameters.required[1]"
    assert (change.before, change.after, change.kind) == (None, "location", "added")


def test_added_and_removed_tools_and_keys() -> None:
    tools = [*SPEC["tools"][1:], {"type": "code_interpreter"}]
    changes = field_changes(SPEC, _with(tools=tools, metadata={"team": "tools"}))
    assert [(c.path, c.kind) for c in changes] == [
        ("metadata.owner", "removed"),
        ("tools[code_interpreter]", "added"),
        ("tools[create_meeting]", "removed"),
    ]
    removed = changes[2]
    assert removed.before == SPEC["tools"][0] and removed.after is None


def test_non_identifier_keys_are_quoted() -> None:
    before = {"metadata": {"cost-centre": "1", "team": "x"}}
    (change,) = field_changes(before, {"metadata": {"cost-centre": "2", "team": "x"}})
    assert change.path == "metadata['cost-centre']"


def test_changes_are_sorted_by_path() -> None:
    changes = field_changes(SPEC, _with(model="m", temperature=0.5, metadata={"team": "t", "owner": "o"}))
    assert [c.path for c in changes] == sorted(c.path for c in changes)
    assert len(changes) == 4
