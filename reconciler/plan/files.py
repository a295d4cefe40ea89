"""Planning uploads and vector-store attachments by content: SHA-256 decides, never the path alone.

`File/<path>` is one upload per project path and content; `VectorStoreFile/<store>/<path>` attaches it.
A changed file is uploaded anew and the attachment replaced; an unchanged one costs nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from reconciler.model import labels
from reconciler.model.desired import DesiredState, Kind, SourceFile, VectorStore
from reconciler.model.live import LiveState, LiveVectorStore
from reconciler.model.specs import vector_store_spec
from reconciler.model.stored import InventoryRecord, StoredState
from reconciler.plan.definition import Action, FieldChange, ResourceChange, Stage


def file_attributes(source: SourceFile) -> dict[str, str | float | bool]:
    return {**source.attributes, labels.FILE_SHA256: source.sha256, labels.FILE_PATH: source.path}


def wanted_files(desired: DesiredState) -> dict[str, SourceFile]:
    """Every project file some resource needs, by path (the same path has one content per run)."""
    out: dict[str, SourceFile] = {}
    for store in desired.vector_stores.values():
        for f in store.files:
            out[f.path] = f
    for assistant in desired.assistants.values():
        for f in assistant.code_interpreter_files:
            out[f.path] = f
    return out


def plan_uploads(desired: DesiredState, stored: StoredState) -> list[ResourceChange]:
    wanted = wanted_files(desired)
    records = {r.key.name: r for r in stored.inventory if r.key.kind is Kind.FILE}
    changes: list[ResourceChange] = []
    for path, source in sorted(wanted.items()):
        rec = records.get(path)
        spec = {"path": path, "sha256": source.sha256, "size": source.size}
        address = f"File/{path}"
        if rec is None:
            changes.append(_upload(address, path, spec, Action.CREATE, "new file", None))
        elif rec.attributes.get("sha256") != source.sha256:
            change = FieldChange(path="sha256", before=rec.attributes.get("sha256"), after=source.sha256)
            changes.append(_upload(address, path, spec, Action.REPLACE, "content changed", rec, (change,)))
        else:
            changes.append(_upload(address, path, spec, Action.NOOP, "content unchanged", rec))
    for path, rec in sorted(records.items()):
        if path not in wanted:
            changes.append(
                ResourceChange(
                    address=f"File/{path}",
                    kind=Kind.FILE.value,
                    name=path,
                    stage=Stage.FILES,
                    action=Action.DELETE,
                    reason="no manifest uses this file any more",
                    platform_id=rec.platform_id,
                    protect=rec.protect,
                )
            )
    return changes


def _upload(
    address: str,
    path: str,
    spec: dict[str, Any],
    action: Action,
    reason: str,
    rec: InventoryRecord | None,
    changes: tuple[FieldChange, ...] = (),
) -> ResourceChange:
    return ResourceChange(
        address=address,
        kind=Kind.FILE.value,
        name=path,
        stage=Stage.FILES,
        action=action,
        reason=reason,
        platform_id=rec.platform_id if rec else None,
        spec=spec,
        changes=changes,
    )


def plan_attachments(
    desired: DesiredState, live: LiveState, stored: StoredState, store_ids: dict[str, str]
) -> list[ResourceChange]:
    """Attach, re-attach (content changed), update attributes, or detach, per store and path."""
    live_by_id = {s.id: s for s in live.vector_stores.values()}
    changes: list[ResourceChange] = []
    by_store: dict[str, dict[str, InventoryRecord]] = {}
    for rec in _attachment_records(stored):  # indexed once: per-store scans made large plans quadratic
        by_store.setdefault(rec.key.name, {})[str(rec.attributes.get("path"))] = rec
    for name in sorted(set(desired.vector_stores) | set(by_store)):
        store = desired.vector_stores.get(name)
        records = by_store.get(name, {})
        live_store = live_by_id.get(store_ids.get(name, ""))
        changes.extend(_store_attachments(name, store.files if store else (), records, live_store, store))
    return changes


def _attachment_records(stored: StoredState) -> Iterable[InventoryRecord]:
    return (r for r in stored.inventory if r.key.kind is Kind.VECTOR_STORE and "path" in r.attributes)


def _store_attachments(
    name: str,
    files: Iterable[SourceFile],
    records: dict[str, InventoryRecord],
    live_store: LiveVectorStore | None,
    store: object,
) -> list[ResourceChange]:
    live_files = {f.id: f for f in live_store.files} if live_store else {}
    out: list[ResourceChange] = []
    wanted = {f.path: f for f in files}
    for path, source in sorted(wanted.items()):
        address = f"VectorStoreFile/{name}/{path}"
        attributes = file_attributes(source)
        chunking = (
            vector_store_spec(store)["chunking"] if isinstance(store, VectorStore) else {"type": "auto"}
        )
        spec = {
            "store": name,
            "path": path,
            "sha256": source.sha256,
            "attributes": attributes,
            "chunking": chunking,
        }
        rec = records.get(path)
        live_file = live_files.get(rec.platform_id) if rec else None
        deps = (f"File/{path}", f"VectorStore/{name}")
        base = {"address": address, "kind": "VectorStoreFile", "name": f"{name}/{path}", "spec": spec}
        if rec is None or live_file is None:
            reason = "new file in the store" if rec is None else "attachment is gone from the platform"
            out.append(
                ResourceChange(
                    **base,
                    stage=Stage.VECTOR_STORE_FILES,
                    action=Action.CREATE,
                    reason=reason,
                    depends_on=deps,
                )
            )
        elif live_file.attributes.get(labels.FILE_SHA256) != source.sha256:
            change = FieldChange(
                path="sha256", before=live_file.attributes.get(labels.FILE_SHA256), after=source.sha256
            )
            out.append(
                ResourceChange(
                    **base,
                    stage=Stage.VECTOR_STORE_FILES,
                    action=Action.REPLACE,
                    reason="content changed",
                    platform_id=rec.platform_id,
                    changes=(change,),
                    depends_on=deps,
                )
            )
        elif dict(live_file.attributes) != attributes:
            changes = tuple(
                FieldChange(
                    path=f"attributes.{k}", before=live_file.attributes.get(k), after=attributes.get(k)
                )
                for k in sorted(set(live_file.attributes) | set(attributes))
                if live_file.attributes.get(k) != attributes.get(k)
            )
            out.append(
                ResourceChange(
                    **base,
                    stage=Stage.VECTOR_STORE_FILES,
                    action=Action.UPDATE,
                    reason="attributes changed",
                    platform_id=rec.platform_id,
                    changes=changes,
                    depends_on=deps,
                )
            )
        else:
            out.append(
                ResourceChange(
                    **base,
                    stage=Stage.VECTOR_STORE_FILES,
                    action=Action.NOOP,
                    reason="content and attributes unchanged",
                    platform_id=rec.platform_id,
                )
            )
    for path, rec in sorted(records.items()):
        if path not in wanted:
            out.append(
                ResourceChange(
                    address=f"VectorStoreFile/{name}/{path}",
                    kind="VectorStoreFile",
                    name=f"{name}/{path}",
                    stage=Stage.VECTOR_STORE_FILES,
                    action=Action.DELETE,
                    reason="file removed from the store's manifest" if store else "store removed",
                    platform_id=rec.platform_id,
                    attributes={"store_id": rec.attributes.get("store_id", "")},
                )
            )
    return out
