"""Uploads and attachments are planned by content (SHA-256), never by path alone."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.model import labels
from reconciler.model.desired import DesiredState, Kind, ResourceKey, SourceFile, VectorStore
from reconciler.model.live import LiveFile, LiveState, LiveVectorStore, LiveVectorStoreFile
from reconciler.model.stored import InventoryRecord, StoredState
from reconciler.plan.definition import Action, ResourceChange, Stage
from reconciler.plan.files import file_attributes, plan_attachments, plan_uploads, wanted_files
from tests.unit.plan.support import WS, assistant

RULES = SourceFile(path="docs/rules.md", sha256="a" * 64, size=10, attributes={"year": 2026})
RATES = SourceFile(path="docs/rates.md", sha256="b" * 64, size=20)


def _payload(change: ResourceChange) -> dict[str, Any]:
    """The change's payload as the plan writes it."""
    return change.payload.model_dump(mode="json")


def _desired(*files: SourceFile) -> DesiredState:
    return DesiredState(vector_stores={"Policies": VectorStore(name="Policies", files=files)})


def _upload_record(source: SourceFile, file_id: str, sha256: str | None = None) -> InventoryRecord:
    return InventoryRecord(
        key=ResourceKey(kind=Kind.FILE, name=source.path),
        platform_id=file_id,
        attributes={"sha256": sha256 or source.sha256},
    )


def _attachment_record(source: SourceFile, file_id: str) -> InventoryRecord:
    return InventoryRecord(
        key=ResourceKey.attachment("Policies", source.path),
        platform_id=file_id,
        attributes={"store_id": "vs_1", "sha256": source.sha256},
    )


def _live_store(*files: tuple[str, dict[str, str | float | bool]]) -> LiveState:
    store = LiveVectorStore(
        id="vs_1",
        name="Policies",
        files=tuple(
            LiveVectorStoreFile(id=fid, vector_store_id="vs_1", status="completed", attributes=attrs)
            for fid, attrs in files
        ),
    )
    return LiveState(vector_stores={"vs_1": store})


def test_file_attributes_carry_hash_and_path_beside_user_attributes() -> None:
    assert file_attributes(RULES) == {
        "year": 2026,
        labels.FILE_SHA256: "a" * 64,
        labels.FILE_PATH: "docs/rules.md",
    }


def test_wanted_files_collects_store_and_code_interpreter_files() -> None:
    desired = _desired(RULES).model_copy(
        update={"assistants": {"Helper": assistant(code_interpreter_files=(RATES,))}}
    )
    assert wanted_files(desired) == {"docs/rules.md": RULES, "docs/rates.md": RATES}


def test_new_file_is_uploaded() -> None:
    (change,) = plan_uploads(_desired(RULES), StoredState(workspace=WS))
    assert (str(change.address), change.action, change.stage) == (
        "File/docs/rules.md",
        Action.CREATE,
        Stage.FILES,
    )
    assert change.spec == {"path": "docs/rules.md", "sha256": "a" * 64, "size": 10}


def test_unchanged_content_is_not_uploaded_again() -> None:
    stored = StoredState(workspace=WS, inventory=(_upload_record(RULES, "file-1"),))
    (change,) = plan_uploads(_desired(RULES), stored)
    assert (change.action, change.platform_id) == (Action.NOOP, "file-1")


def test_changed_content_replaces_the_upload() -> None:
    stored = StoredState(workspace=WS, inventory=(_upload_record(RULES, "file-1", sha256="0" * 64),))
    (change,) = plan_uploads(_desired(RULES), stored)
    assert (change.action, change.platform_id, change.reason) == (Action.REPLACE, "file-1", "content changed")
    assert [(c.path, c.before, c.after) for c in change.changes] == [("sha256", "0" * 64, "a" * 64)]


def test_file_no_manifest_uses_is_deleted() -> None:
    stored = StoredState(workspace=WS, inventory=(_upload_record(RATES, "file-2"),))
    (change,) = plan_uploads(_desired(), stored)
    assert (str(change.address), change.action, change.platform_id) == (
        "File/docs/rates.md",
        Action.DELETE,
        "file-2",
    )


def test_new_attachment_depends_on_its_upload_and_store() -> None:
    (change,) = plan_attachments(_desired(RULES), LiveState(), StoredState(workspace=WS), {})
    assert str(change.address) == "VectorStoreFile/Policies/docs/rules.md"
    assert (change.action, change.stage) == (Action.CREATE, Stage.VECTOR_STORE_FILES)
    assert [str(d) for d in change.depends_on] == ["File/docs/rules.md", "VectorStore/Policies"]
    assert change.spec is not None
    assert change.spec["attributes"] == file_attributes(RULES)
    assert change.spec["chunking"] == {"type": "auto"}


def test_attachment_with_same_content_and_attributes_is_a_no_op() -> None:
    stored = StoredState(workspace=WS, inventory=(_attachment_record(RULES, "file-1"),))
    live = _live_store(("file-1", file_attributes(RULES)))
    (change,) = plan_attachments(_desired(RULES), live, stored, {"Policies": "vs_1"})
    assert (change.action, change.platform_id) == (Action.NOOP, "file-1")


def test_attachment_with_other_content_is_replaced() -> None:
    stored = StoredState(workspace=WS, inventory=(_attachment_record(RULES, "file-1"),))
    live = _live_store(("file-1", {**file_attributes(RULES), labels.FILE_SHA256: "0" * 64}))
    (change,) = plan_attachments(_desired(RULES), live, stored, {"Policies": "vs_1"})
    assert (change.action, change.platform_id) == (Action.REPLACE, "file-1")
    assert [(c.path, c.before, c.after) for c in change.changes] == [("sha256", "0" * 64, "a" * 64)]


def test_attachment_with_other_attributes_is_updated_in_place() -> None:
    stored = StoredState(workspace=WS, inventory=(_attachment_record(RULES, "file-1"),))
    live = _live_store(("file-1", {**file_attributes(RULES), "year": 2025}))
    (change,) = plan_attachments(_desired(RULES), live, stored, {"Policies": "vs_1"})
    assert change.action is Action.UPDATE
    assert [(c.path, c.before, c.after) for c in change.changes] == [("attributes.year", 2025, 2026)]


def test_attachment_gone_from_the_platform_is_recreated() -> None:
    stored = StoredState(workspace=WS, inventory=(_attachment_record(RULES, "file-1"),))
    (change,) = plan_attachments(_desired(RULES), _live_store(), stored, {"Policies": "vs_1"})
    assert (change.action, change.reason) == (Action.CREATE, "attachment is gone from the platform")


def test_file_removed_from_the_store_is_detached() -> None:
    stored = StoredState(
        workspace=WS, inventory=(_attachment_record(RULES, "file-1"), _attachment_record(RATES, "file-2"))
    )
    live = _live_store(("file-1", file_attributes(RULES)), ("file-2", file_attributes(RATES)))
    changes = {
        str(c.address): c for c in plan_attachments(_desired(RULES), live, stored, {"Policies": "vs_1"})
    }
    detach = changes["VectorStoreFile/Policies/docs/rates.md"]
    assert (detach.action, detach.platform_id) == (Action.DELETE, "file-2")
    assert _payload(detach) == {"store_id": "vs_1"}
    assert changes["VectorStoreFile/Policies/docs/rules.md"].action is Action.NOOP


def test_removed_store_detaches_all_its_files() -> None:
    stored = StoredState(workspace=WS, inventory=(_attachment_record(RULES, "file-1"),))
    (change,) = plan_attachments(DesiredState(), LiveState(), stored, {})
    assert (change.action, change.reason) == (Action.DELETE, "store removed")


def test_same_path_in_two_stores_is_uploaded_once() -> None:
    desired = DesiredState(
        vector_stores={
            "A": VectorStore(name="A", files=(RULES,)),
            "B": VectorStore(name="B", files=(RULES,)),
        }
    )
    uploads = plan_uploads(desired, StoredState(workspace=WS))
    assert [str(c.address) for c in uploads] == ["File/docs/rules.md"]
    attachments = plan_attachments(desired, LiveState(), StoredState(workspace=WS), {})
    assert [str(c.address) for c in attachments] == [
        "VectorStoreFile/A/docs/rules.md",
        "VectorStoreFile/B/docs/rules.md",
    ]


# ---- a state that lost its records finds our uploads again, by content (issue 12, items 2 and 7) --------

OWNER = "tests/local"


def _file(file_id: str, filename: str, size: int = 10, created_at: int = 0) -> LiveFile:
    return LiveFile(id=file_id, filename=filename, bytes=size, purpose="assistants", created_at=created_at)


def _tagged(source: SourceFile, owner: str = OWNER) -> str:
    return labels.tagged_filename(source.path, labels.file_tag(owner, source.path, source.sha256))


def test_an_unrecorded_upload_named_with_its_tag_is_adopted() -> None:
    live = LiveState(files={"file-9": _file("file-9", _tagged(RULES))})
    (change,) = plan_uploads(_desired(RULES), StoredState(workspace=WS), live, owner=OWNER)
    assert (change.action, change.adopt, change.platform_id) == (Action.NOOP, True, "file-9")
    assert _payload(change) == {"filename": _tagged(RULES)}


@pytest.mark.parametrize(
    "filename",
    [
        "rules.md",  # the plain name: a user's file, or our other rules.md
        _tagged(RULES, owner="another/project"),
        labels.tagged_filename("docs/rules.md", labels.file_tag(OWNER, "docs/rules.md", "0" * 64)),
        labels.tagged_filename("other/rules.md", labels.file_tag(OWNER, "other/rules.md", RULES.sha256)),
    ],
    ids=["plain-name", "another-owner", "other-content", "other-path"],
)
def test_a_file_with_another_identity_is_never_adopted(filename: str) -> None:
    live = LiveState(files={"file-9": _file("file-9", filename)})
    (change,) = plan_uploads(_desired(RULES), StoredState(workspace=WS), live, owner=OWNER)
    assert (change.action, change.adopt, change.platform_id) == (Action.CREATE, False, None)


def test_an_upload_named_before_tags_is_adopted_only_from_our_stores_attributes() -> None:
    live = _live_store(("file-7", file_attributes(RULES))).model_copy(
        update={"files": {"file-7": _file("file-7", "rules.md")}}
    )
    (ours,) = plan_uploads(
        _desired(RULES), StoredState(workspace=WS), live, owner=OWNER, store_ids={"Policies": "vs_1"}
    )
    assert (ours.action, ours.adopt, ours.platform_id) == (Action.NOOP, True, "file-7")
    (theirs,) = plan_uploads(_desired(RULES), StoredState(workspace=WS), live, owner=OWNER, store_ids={})
    assert theirs.action is Action.CREATE  # the store is not ours: its attributes prove nothing


def test_an_unrecorded_attachment_of_the_planned_upload_is_adopted() -> None:
    live = _live_store(("file-9", file_attributes(RULES)))
    (change,) = plan_attachments(
        _desired(RULES), live, StoredState(workspace=WS), {"Policies": "vs_1"}, {"docs/rules.md": "file-9"}
    )
    assert (change.action, change.adopt, change.platform_id) == (Action.NOOP, True, "file-9")
    assert _payload(change) == {"status": "completed"}


def test_the_planned_upload_attached_in_place_of_a_recorded_attachment_that_is_gone_is_adopted() -> None:
    """An apply replaced the attachment (old one detached and deleted, the planned upload attached) and
    died before recording it: the upload is adopted, not detached while the same upload is re-attached."""
    stored = StoredState(
        workspace=WS, inventory=(_upload_record(RULES, "file-9"), _attachment_record(RULES, "file-old"))
    )
    live = _live_store(("file-9", file_attributes(RULES)))
    (change,) = plan_attachments(
        _desired(RULES), live, stored, {"Policies": "vs_1"}, {"docs/rules.md": "file-9"}
    )
    assert (change.action, change.adopt, change.platform_id) == (Action.NOOP, True, "file-9")


def test_an_unrecorded_attachment_with_other_user_attributes_is_adopted_and_updated() -> None:
    live = _live_store(("file-9", {**file_attributes(RULES), "year": 2025}))
    (change,) = plan_attachments(
        _desired(RULES), live, StoredState(workspace=WS), {"Policies": "vs_1"}, {"docs/rules.md": "file-9"}
    )
    assert (change.action, change.adopt) == (Action.UPDATE, True)
    assert [(c.path, c.before, c.after) for c in change.changes] == [("attributes.year", 2025, 2026)]


@pytest.mark.parametrize(
    ("file_id", "attributes"),
    [
        ("file-8", file_attributes(RULES)),  # not the upload planned for the path
        ("file-9", {**file_attributes(RULES), labels.FILE_SHA256: "0" * 64}),  # other content
    ],
    ids=["other-file", "other-content"],
)
def test_an_attachment_that_is_not_the_planned_uploads_is_never_adopted(
    file_id: str, attributes: dict[str, str | float | bool]
) -> None:
    live = _live_store((file_id, attributes))
    change, stale = plan_attachments(
        _desired(RULES), live, StoredState(workspace=WS), {"Policies": "vs_1"}, {"docs/rules.md": "file-9"}
    )
    assert (change.action, change.adopt) == (Action.CREATE, False)
    # Ours (our attributes) but recorded nowhere: detached; its upload is deleted unless it is the kept one.
    assert (stale.action, stale.platform_id) == (Action.DELETE, file_id)
    assert _payload(stale)["delete_upload"] is (file_id != "file-9")


def test_an_old_upload_a_killed_replace_detached_is_deleted_by_the_new_attachment() -> None:
    """Killed between detaching the old upload and deleting it: the path records the new upload, the
    attachment record still names the old one, which no store holds. The re-attach deletes it."""
    stored = StoredState(
        workspace=WS,
        inventory=(_upload_record(RULES, "file-new"), _attachment_record(RULES, "file-old")),
    )
    changes = plan_attachments(_desired(RULES), _live_store(), stored, {"Policies": "vs_1"})
    (change,) = changes
    assert change.action is Action.CREATE
    assert _payload(change) == {"retire": "file-old"}


def test_an_upload_still_attached_elsewhere_or_recorded_is_never_retired() -> None:
    # The same upload is attached (live) to the store's other record, or is still the path's upload.
    shared = SourceFile(path="docs/shared.md", sha256="c" * 64, size=5)
    stored = StoredState(
        workspace=WS,
        inventory=(
            _upload_record(RULES, "file-1"),
            _attachment_record(RULES, "file-1"),
            _upload_record(shared, "file-new"),
            _attachment_record(shared, "file-2"),
            _attachment_record(RATES, "file-2"),
        ),
    )
    live = _live_store(("file-2", file_attributes(RATES)))
    changes = plan_attachments(_desired(RULES, shared, RATES), live, stored, {"Policies": "vs_1"})
    assert all("retire" not in _payload(c) for c in changes)


def test_a_replaced_upload_no_attachment_records_is_retired_by_the_upload_step() -> None:
    """An apply died after uploading version two and before attaching it: the attachment record still
    names version one, so only the next replace of the upload can delete version two."""
    stored = StoredState(
        workspace=WS,
        inventory=(_upload_record(RULES, "file-2", sha256="0" * 64), _attachment_record(RULES, "file-1")),
    )
    (change,) = plan_uploads(_desired(RULES), stored)
    assert (change.action, _payload(change)) == (Action.REPLACE, {"retire": "file-2"})
    attached = StoredState(
        workspace=WS,
        inventory=(_upload_record(RULES, "file-1", sha256="0" * 64), _attachment_record(RULES, "file-1")),
    )
    (change,) = plan_uploads(_desired(RULES), attached)
    assert _payload(change) == {}  # the attachment's replace deletes it


def test_an_unrecorded_attachment_of_ours_is_detached_and_its_upload_deleted() -> None:
    stored = StoredState(
        workspace=WS, inventory=(_upload_record(RULES, "file-1"), _attachment_record(RULES, "file-1"))
    )
    stale = {**file_attributes(RULES), labels.FILE_SHA256: "9" * 64}
    live = _live_store(("file-1", file_attributes(RULES)), ("file-9", stale), ("file-user", {}))
    changes = plan_attachments(_desired(RULES), live, stored, {"Policies": "vs_1"}, {RULES.path: "file-1"})
    (detach,) = [c for c in changes if c.action is Action.DELETE]
    assert str(detach.address) == "VectorStoreFile/Policies/docs/rules.md#file-9"
    assert _payload(detach) == {
        "store_id": "vs_1",
        "unrecorded": True,
        "delete_upload": True,
    }
