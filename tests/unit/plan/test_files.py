"""Uploads and attachments are planned by content (SHA-256), never by path alone."""

from __future__ import annotations

from reconciler.model import labels
from reconciler.model.desired import DesiredState, Kind, ResourceKey, SourceFile, VectorStore
from reconciler.model.live import LiveState, LiveVectorStore, LiveVectorStoreFile
from reconciler.model.stored import InventoryRecord, StoredState
from reconciler.plan.definition import Action, Stage
from reconciler.plan.files import file_attributes, plan_attachments, plan_uploads, wanted_files
from tests.unit.plan.support import WS, assistant

RULES = SourceFile(path="docs/rules.md", sha256="a" * 64, size=10, attributes={"year": 2026})
RATES = SourceFile(path="docs/rates.md", sha256="b" * 64, size=20)


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
        key=ResourceKey(kind=Kind.VECTOR_STORE, name="Policies"),
        platform_id=file_id,
        attributes={"path": source.path, "store_id": "vs_1", "sha256": source.sha256},
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
    assert (change.address, change.action, change.stage) == ("File/docs/rules.md", Action.CREATE, Stage.FILES)
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
    assert (change.address, change.action, change.platform_id) == (
        "File/docs/rates.md",
        Action.DELETE,
        "file-2",
    )


def test_new_attachment_depends_on_its_upload_and_store() -> None:
    (change,) = plan_attachments(_desired(RULES), LiveState(), StoredState(workspace=WS), {})
    assert change.address == "VectorStoreFile/Policies/docs/rules.md"
    assert (change.action, change.stage) == (Action.CREATE, Stage.VECTOR_STORE_FILES)
    assert change.depends_on == ("File/docs/rules.md", "VectorStore/Policies")
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
    changes = {c.address: c for c in plan_attachments(_desired(RULES), live, stored, {"Policies": "vs_1"})}
    detach = changes["VectorStoreFile/Policies/docs/rates.md"]
    assert (detach.action, detach.platform_id) == (Action.DELETE, "file-2")
    assert detach.attributes == {"store_id": "vs_1"}
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
    assert [c.address for c in uploads] == ["File/docs/rules.md"]
    attachments = plan_attachments(desired, LiveState(), StoredState(workspace=WS), {})
    assert [c.address for c in attachments] == [
        "VectorStoreFile/A/docs/rules.md",
        "VectorStoreFile/B/docs/rules.md",
    ]
