"""`list_versions`: pointers per version and breaking-ness read from the stored verdict."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.model.stored import VersionRecord
from reconciler.rollout.pointers import compat_of, list_versions
from reconciler.store import StateStore
from tests.unit.rollout.conftest import NAME, WS, add, move


def _record(verdict: dict[str, Any], parent: int | None = 1) -> VersionRecord:
    return VersionRecord(
        assistant=NAME, number=2, platform_id="a", fingerprint="f", parent=parent, verdict=verdict
    )


@pytest.mark.parametrize(
    ("verdict", "expected"),
    [
        ({"backward": "no", "forward": "yes", "tools": {}}, ("breaking", ("backward",))),
        ({"backward": "yes", "forward": "yes"}, ("compatible", ())),
        ({"backward": "yes", "forward": "unknown"}, ("unknown", ("forward",))),
        # the planner's shape: per tool, only tools that changed
        ({"policy": "backward", "tools": {}}, ("compatible", ())),
        (
            {"tools": {"a": {"backward": "yes", "forward": "no"}, "b": {"backward": "no", "forward": "yes"}}},
            ("breaking", ("backward", "forward")),
        ),
        (
            {
                "tools": {
                    "a": {"backward": "unknown", "forward": "yes"},
                    "b": {"backward": "yes", "forward": "no"},
                }
            },
            ("breaking", ("forward",)),
        ),
        ({"tools": {"a": {"backward": "maybe", "forward": "yes"}}}, ("unknown", ("backward",))),
        ({}, ("unknown", ("backward", "forward"))),  # no verdict recorded proves nothing
    ],
)
def test_compat_of_a_child_version(verdict: dict[str, Any], expected: tuple[str, tuple[str, ...]]) -> None:
    assert compat_of(_record(verdict)) == expected


def test_a_first_version_has_no_parent_to_break() -> None:
    assert compat_of(_record({"backward": "no"}, parent=None)) == ("-", ())


def test_list_versions_shows_pointers_and_compat(store: StateStore) -> None:
    add(store, 1)
    add(store, 2, {"backward": "yes", "forward": "yes", "tools": {}})
    add(
        store,
        3,
        {
            "tools": {"create_meeting": {"backward": "no", "forward": "yes"}},
            "accepted": "location is required",
        },
    )
    move(store, 3)
    move(store, 2, pointer="canary")
    views = list_versions(store, WS, NAME)
    assert [(v.number, v.pointers, v.compat) for v in views] == [
        (1, (), "-"),
        (2, ("canary",), "compatible"),
        (3, ("stable",), "breaking"),
    ]
    assert views[2].breaks == ("backward",)
    assert views[2].accepted == "location is required"
    assert views[1].accepted is None
    assert views[0].platform_id == "asst_v1" and views[0].parent is None


def test_two_pointers_on_one_version_are_both_listed(store: StateStore) -> None:
    add(store, 1)
    move(store, 1)
    move(store, 1, pointer="canary")
    assert list_versions(store, WS, NAME)[0].pointers == ("canary", "stable")
