"""Planning uploads and vector-store attachments by content: SHA-256 decides, never the path alone.

`File/<path>` is one upload per project path and content; `VectorStoreFile/<store>/<path>` attaches it.
A changed file is uploaded anew and the attachment replaced; an unchanged one costs nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from reconciler.model import labels
from reconciler.model.desired import DesiredState, Kind, ResourceKey, SourceFile, VectorStore
from reconciler.model.live import LiveFile, LiveState, LiveVectorStore, LiveVectorStoreFile
from reconciler.model.specs import vector_store_spec
from reconciler.model.stored import InventoryRecord, StoredState
from reconciler.plan.definition import Action, FieldChange, ResourceChange, Stage
from reconciler.plan.payloads import AttachmentPayload, FilePayload


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


def plan_uploads(
    desired: DesiredState,
    stored: StoredState,
    live: LiveState | None = None,
    *,
    owner: str = "",
    store_ids: Mapping[str, str] | None = None,
) -> list[ResourceChange]:
    """Upload, keep, replace or delete each project file. A file the inventory does not record is
    adopted, not uploaded again, when the platform holds our upload of that very content (`_ours`)."""
    wanted = wanted_files(desired)
    records = {r.key.name: r for r in stored.inventory if r.key.kind is Kind.FILE}
    ours = _Ours(live or LiveState(), stored, owner, store_ids or {})
    attached = {r.platform_id for r in _attachment_records(stored)}
    interpreted = {f.path for a in desired.assistants.values() for f in a.code_interpreter_files}
    changes: list[ResourceChange] = []
    for path, source in sorted(wanted.items()):
        rec = records.get(path)
        spec = {"path": path, "sha256": source.sha256, "size": source.size}
        address = ResourceKey(kind=Kind.FILE, name=path)
        found = ours.upload(source) if rec is None else None
        if found is not None:
            changes.append(
                _upload(address, path, spec, Action.NOOP, ADOPT_UPLOAD, None).model_copy(
                    update={
                        "platform_id": found.id,
                        "adopt": True,
                        "payload": FilePayload(filename=found.filename),
                    }
                )
            )
        elif rec is None:
            changes.append(_upload(address, path, spec, Action.CREATE, "new file", None))
        elif rec.sha256 != source.sha256:
            change = FieldChange(path="sha256", before=rec.sha256, after=source.sha256)
            replace = _upload(address, path, spec, Action.REPLACE, "content changed", rec, (change,))
            if rec.platform_id not in attached and path not in interpreted:
                # No attachment records the old upload (an apply died between uploading and attaching
                # it), so no attachment step will delete it: this step does, once the new one is sent.
                replace = replace.model_copy(update={"payload": FilePayload(retire=rec.platform_id)})
            changes.append(replace)
        else:
            changes.append(_upload(address, path, spec, Action.NOOP, "content unchanged", rec))
    for path, rec in sorted(records.items()):
        if path not in wanted:
            changes.append(
                ResourceChange(
                    address=ResourceKey(kind=Kind.FILE, name=path),
                    kind=Kind.FILE,
                    name=path,
                    stage=Stage.FILES,
                    action=Action.DELETE,
                    reason="no manifest uses this file any more",
                    platform_id=rec.platform_id,
                    protect=rec.protect,
                )
            )
    return changes


ADOPT_UPLOAD = "adopting our upload of this content, which the inventory does not record (a lost state?)"


class _Ours:
    """Our uploads the inventory does not record: a file named with the tag of (owner, path, content),
    or, for uploads named before tags, a file our own store holds with attributes naming that path and
    content. Never a file by its plain name and size: that may be a user's, or our other file's."""

    def __init__(
        self, live: LiveState, stored: StoredState, owner: str, store_ids: Mapping[str, str]
    ) -> None:
        self.files = live.files
        self.owner = owner
        claimed = {r.platform_id for r in stored.inventory}
        self.tagged: dict[tuple[str, int], str] = {}  # (name, size) -> the oldest such file
        for f in sorted(live.files.values(), key=lambda f: (f.created_at, f.id)):
            if f.id not in claimed and labels.tag_of(f.filename) is not None:
                self.tagged.setdefault((f.filename, f.bytes), f.id)
        ours = set(store_ids.values())
        self.attached: dict[tuple[object, object], str] = {}  # (path, sha256) attributes -> file id
        for store in live.vector_stores.values():
            for attached in store.files if store.id in ours else ():
                if attached.id not in claimed:
                    names = attached.attributes
                    key = (names.get(labels.FILE_PATH), names.get(labels.FILE_SHA256))
                    self.attached.setdefault(key, attached.id)
        self.taken: set[str] = set()

    def upload(self, source: SourceFile) -> LiveFile | None:
        name = labels.tagged_filename(source.path, labels.file_tag(self.owner, source.path, source.sha256))
        for candidate in (
            self.tagged.get((name, source.size)),
            self.attached.get((source.path, source.sha256)),
        ):
            found = self.files.get(candidate or "")
            if found is not None and found.bytes == source.size and found.id not in self.taken:
                self.taken.add(found.id)
                return found
        return None


def _upload(
    address: ResourceKey,
    path: str,
    spec: dict[str, Any],
    action: Action,
    reason: str,
    rec: InventoryRecord | None,
    changes: tuple[FieldChange, ...] = (),
) -> ResourceChange:
    return ResourceChange(
        address=address,
        kind=Kind.FILE,
        name=path,
        stage=Stage.FILES,
        action=action,
        reason=reason,
        platform_id=rec.platform_id if rec else None,
        spec=spec,
        changes=changes,
    )


def plan_attachments(
    desired: DesiredState,
    live: LiveState,
    stored: StoredState,
    store_ids: dict[str, str],
    file_ids: Mapping[str, str] | None = None,
) -> list[ResourceChange]:
    """Attach, re-attach (content changed), update attributes, or detach, per store and path. An
    attachment the inventory does not record is adopted when our store holds the upload planned for
    the path (`file_ids`: kept or adopted) with attributes naming that path and content."""
    live_by_id = {s.id: s for s in live.vector_stores.values()}
    changes: list[ResourceChange] = []
    by_store: dict[str, dict[str, InventoryRecord]] = {}
    for rec in _attachment_records(stored):  # indexed once: per-store scans made large plans quadratic
        store_name, path = rec.key.store_and_path
        by_store.setdefault(store_name, {})[path] = rec
    retirable = _retirable(stored, by_store, live_by_id, store_ids)
    for name in sorted(set(desired.vector_stores) | set(by_store)):
        store = desired.vector_stores.get(name)
        records = by_store.get(name, {})
        live_store = live_by_id.get(store_ids.get(name, ""))
        files = store.files if store else ()
        changes.extend(_store_attachments(name, files, records, live_store, store, file_ids or {}, retirable))
    return changes


def _retirable(
    stored: StoredState,
    by_store: Mapping[str, Mapping[str, InventoryRecord]],
    live_by_id: Mapping[str, LiveVectorStore],
    store_ids: Mapping[str, str],
) -> frozenset[str]:
    """Uploads only a vanished attachment still records: a replace detached the old upload and died
    before deleting it (the new one is already recorded for the path). Nothing else uses them, so the
    attachment planned in their place deletes them; otherwise they would stay orphans for good."""
    upload_of = {r.key.name: r.platform_id for r in stored.inventory if r.key.kind is Kind.FILE}
    attached: set[str] = set()
    superseded: set[str] = set()
    for name, records in by_store.items():
        live_store = live_by_id.get(store_ids.get(name, ""))
        present = {f.id for f in live_store.files} if live_store else set()
        attached.update(r.platform_id for r in records.values() if r.platform_id in present)
        superseded.update(
            r.platform_id
            for path, r in records.items()
            if upload_of.get(path, r.platform_id) != r.platform_id
        )
    return frozenset(superseded - attached - set(upload_of.values()))


def _attachment_records(stored: StoredState) -> Iterable[InventoryRecord]:
    return (r for r in stored.inventory if r.key.kind is Kind.VECTOR_STORE_FILE)


def _store_attachments(
    name: str,
    files: Iterable[SourceFile],
    records: dict[str, InventoryRecord],
    live_store: LiveVectorStore | None,
    store: object,
    file_ids: Mapping[str, str],
    retirable: frozenset[str] = frozenset(),
) -> list[ResourceChange]:
    live_files = {f.id: f for f in live_store.files} if live_store else {}
    out: list[ResourceChange] = []
    wanted = {f.path: f for f in files}
    for path, source in sorted(wanted.items()):
        address = ResourceKey.attachment(name, path)
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
        # Also when the recorded attachment is gone: an apply that attached the planned upload (a
        # replace, say) and died before recording it left that upload attached as ours.
        gone = rec is None or live_file is None
        adopt = gone and _attached_as_ours(live_files.get(file_ids.get(path, "")), source)
        if adopt:
            live_file = live_files[file_ids[path]]
        deps = (ResourceKey(kind=Kind.FILE, name=path), ResourceKey(kind=Kind.VECTOR_STORE, name=name))
        base = {"address": address, "kind": Kind.VECTOR_STORE_FILE, "name": address.name, "spec": spec}
        if adopt and live_file is not None:
            same = dict(live_file.attributes) == attributes
            out.append(
                ResourceChange(
                    **base,
                    stage=Stage.VECTOR_STORE_FILES,
                    action=Action.NOOP if same else Action.UPDATE,
                    reason=ADOPT_ATTACHMENT,
                    platform_id=live_file.id,
                    changes=() if same else _attribute_changes(live_file, attributes),
                    depends_on=deps,
                    adopt=True,
                    payload=AttachmentPayload(status=live_file.status),  # not `completed`: apply waits
                )
            )
        elif rec is None or live_file is None:
            reason = "new file in the store" if rec is None else "attachment is gone from the platform"
            retire = rec.platform_id if rec is not None and rec.platform_id in retirable else None
            out.append(
                ResourceChange(
                    **base,
                    stage=Stage.VECTOR_STORE_FILES,
                    action=Action.CREATE,
                    reason=reason if retire is None else f"{reason}; its old upload {retire} is deleted",
                    depends_on=deps,
                    payload=AttachmentPayload(retire=retire),
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
            out.append(
                ResourceChange(
                    **base,
                    stage=Stage.VECTOR_STORE_FILES,
                    action=Action.UPDATE,
                    reason="attributes changed",
                    platform_id=rec.platform_id,
                    changes=_attribute_changes(live_file, attributes),
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
                    address=rec.key,
                    kind=Kind.VECTOR_STORE_FILE,
                    name=rec.key.name,
                    stage=Stage.VECTOR_STORE_FILES,
                    action=Action.DELETE,
                    reason="file removed from the store's manifest" if store else "store removed",
                    platform_id=rec.platform_id,
                    payload=AttachmentPayload(store_id=rec.store_id),
                )
            )
    claimed = {rec.platform_id for rec in records.values()} | {c.platform_id for c in out if c.adopt}
    out.extend(_unrecorded(name, live_store, claimed, set(file_ids.values())))
    return out


UNRECORDED = "attached by an apply that died before recording it"


def _unrecorded(
    name: str, live_store: LiveVectorStore | None, claimed: set[str | None], kept: set[str]
) -> list[ResourceChange]:
    """Attachments in our store that nothing records but our attributes name (a path and a content):
    an apply killed between attaching an upload and recording it, whose plan then changed. They are
    detached, and their upload deleted unless this plan keeps it for its path; else the store would
    serve stale content that no plan shows."""
    out: list[ResourceChange] = []
    for live_file in live_store.files if live_store else ():
        path = live_file.attributes.get(labels.FILE_PATH)
        if live_file.id in claimed or not isinstance(path, str) or not path:
            continue
        out.append(
            ResourceChange(
                address=ResourceKey.attachment(name, f"{path}#{live_file.id}"),
                kind=Kind.VECTOR_STORE_FILE,
                name=ResourceKey.attachment(name, path).name,
                stage=Stage.VECTOR_STORE_FILES,
                action=Action.DELETE,
                reason=UNRECORDED,
                platform_id=live_file.id,
                payload=AttachmentPayload(
                    store_id=live_file.vector_store_id,
                    unrecorded=True,
                    delete_upload=live_file.id not in kept,
                ),
            )
        )
    return out


ADOPT_ATTACHMENT = "adopting our attachment of this content, which the inventory does not record"


def _attached_as_ours(live_file: LiveVectorStoreFile | None, source: SourceFile) -> bool:
    """The upload planned for this path sits in our store with the attributes we attach it with."""
    return (
        live_file is not None
        and live_file.attributes.get(labels.FILE_PATH) == source.path
        and live_file.attributes.get(labels.FILE_SHA256) == source.sha256
    )


def _attribute_changes(
    live_file: LiveVectorStoreFile, attributes: Mapping[str, str | float | bool]
) -> tuple[FieldChange, ...]:
    return tuple(
        FieldChange(path=f"attributes.{k}", before=live_file.attributes.get(k), after=attributes.get(k))
        for k in sorted(set(live_file.attributes) | set(attributes))
        if live_file.attributes.get(k) != attributes.get(k)
    )
