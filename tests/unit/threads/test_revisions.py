"""Tool revisions are numbered like Schema Registry versions: first distinct (schema, strict) per tool in
version order, a revert keeping its earlier number, versions without recorded tools left out."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.model.stored import VersionRecord
from reconciler.threads.revisions import ToolRevisions


def _schema(*names: str) -> dict[str, Any]:
    return {"type": "object", "properties": {n: {"type": "string"} for n in names}}


def _bundle(number: int, **tools: tuple[dict[str, Any], bool]) -> VersionRecord:
    bundle = {
        "id": f"bndl_{number}",
        "model": "gpt-4.1",
        "tools": [
            {"type": "function", "name": n, "parameters": s, "strict": strict}
            for n, (s, strict) in tools.items()
        ]
        + [{"type": "file_search"}],
    }
    return VersionRecord(
        assistant="a", number=number, platform_id=f"bndl_{number}", fingerprint=f"f{number}", bundle=bundle
    )


def test_revisions_follow_first_appearance_and_a_revert_keeps_its_number() -> None:
    v1, v2 = _schema("from", "to"), _schema("start_date", "to")
    records = [
        _bundle(4, lookup=(v1, False)),  # the revert: given out of order on purpose
        _bundle(1, lookup=(v1, False)),
        _bundle(2, lookup=(v2, False), other=(v1, True)),
        _bundle(3, lookup=(v2, True)),  # strict alone makes a new revision
        _bundle(5),
    ]
    revisions = ToolRevisions(records)
    assert [revisions.revision_of("lookup", n) for n in (1, 2, 3, 4, 5)] == [1, 2, 3, 1, None]
    assert [(r.revision, r.strict, r.first_version) for r in revisions.revisions("lookup")] == [
        (1, False, 1),
        (2, False, 2),
        (3, True, 3),
    ]
    assert revisions.revisions("lookup")[1].schema == v2
    assert revisions.revision_of("other", 2) == 1
    assert revisions.revision_of("file_search", 2) is None
    assert revisions.revisions("nothing") == []


def test_next_revision_reuses_a_known_schema_and_counts_on() -> None:
    v1 = _schema("a")
    revisions = ToolRevisions([_bundle(1, t=(v1, False)), _bundle(2, t=(_schema("b"), False))])
    assert (
        revisions.next_revision("t", {"properties": {"a": {"type": "string"}}, "type": "object"}, False) == 1
    )
    assert revisions.next_revision("t", v1, True) == 3
    assert revisions.next_revision("new", v1, False) == 1


def test_deleted_versions_count_and_unrecorded_tools_do_not() -> None:
    deleted = _bundle(1, t=(_schema("a"), False)).model_copy(update={"deleted": True})
    unrecorded = VersionRecord(assistant="a", number=2, platform_id="asst_2", fingerprint="f2")
    recorded = VersionRecord(
        assistant="a",
        number=3,
        platform_id="asst_3",
        fingerprint="f3",
        tools={"t": {"parameters": _schema("b")}},
    )
    revisions = ToolRevisions([deleted, unrecorded, recorded])
    assert [revisions.revision_of("t", n) for n in (1, 2, 3)] == [1, None, 2]


def test_versions_of_two_assistants_are_refused() -> None:
    other = _bundle(1).model_copy(update={"assistant": "b"})
    with pytest.raises(ValueError, match="per assistant"):
        ToolRevisions([_bundle(1), other])
