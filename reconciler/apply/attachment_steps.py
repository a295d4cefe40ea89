"""The vector-store-file steps: attach an upload to a store, change its attributes, detach it, and wait
until the platform has indexed it. `apply.steps.Steps` holds one and points its table's attachment kind at
it; the calls go through the Steps' retries, and a lost attach is recovered by asking the store for the file
(attaching is keyed by store and file, so there is nothing to duplicate, only something to find).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.apply.outputs import Ids, StepOutput
from reconciler.calls.retry import Retrier
from reconciler.errors import NotFound
from reconciler.model.desired import Kind, ResourceKey
from reconciler.model.stored import InventoryRecord
from reconciler.model.waits import Wait, WaitObserver, WaitReason
from reconciler.plan.definition import Action, ResourceChange
from reconciler.plan.payloads import AttachmentPayload
from reconciler.targets.base import Target
from reconciler.targets.handlers import Ref, Write

INGESTION_POLL_SECONDS = 0.2

Call = Callable[..., Any]  # Steps._call: one platform call with retries and lost-response recovery


class IngestionFailed(Exception):
    """A file the platform could not index; the executor reports it by name."""


@dataclass
class AttachmentSteps:
    target: Target
    retrier: Retrier
    ids: Ids
    call: Call
    retire: Callable[[str], None]  # delete an old upload; gone already is as good
    ingestion_deadline_seconds: float = 300.0
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    on_wait: WaitObserver | None = None

    def attachment(self, change: ResourceChange) -> StepOutput:
        # By name: an unrecorded attachment's address also names its platform id.
        key = ResourceKey(kind=Kind.VECTOR_STORE_FILE, name=change.name)
        store_name, path = key.store_and_path
        extra = change.payload_as(AttachmentPayload)
        if change.action is Action.DELETE:
            return self._detach(change, key, extra, extra.store_id or self.ids.stores.get(store_name, ""))
        spec = change.spec or {}
        store_id = self.ids.stores[store_name]
        file_id = self.ids.files[path]
        attributes = spec["attributes"]
        handler = self.target.handlers[Kind.VECTOR_STORE_FILE]
        if change.action is Action.UPDATE:
            change_attributes = Write({"attributes": attributes}, parent=store_id)
            self.call(lambda: handler.update(Ref(file_id, store_id), change_attributes))
            if change.adopt and extra.status != "completed":
                self.await_ingestion(store_id, file_id, path)
        else:
            if change.action is Action.REPLACE and change.platform_id and change.platform_id != file_id:
                old = change.platform_id
                self.call(lambda: handler.delete(Ref(old, store_id)))
                self.call(lambda: self.target.handlers[Kind.FILE].delete(Ref(old)))
            if extra.retire is not None and extra.retire != file_id:
                self.retire(extra.retire)
            chunking = spec.get("chunking", {"type": "auto"})
            body = {"file_id": file_id, "attributes": attributes, "chunking": chunking}
            self.call(
                lambda: handler.create(Write(body, parent=store_id)),
                recover=lambda: self._attached(store_id, file_id),
            )
            self.await_ingestion(store_id, file_id, path)
        return StepOutput(file_id, upserts=[attachment_record(store_name, path, store_id, file_id, spec)])

    def adopt(self, change: ResourceChange, platform_id: str) -> StepOutput:
        """An attachment in our store whose attributes name this path and content, as we attached it
        (a killed apply's, still being indexed maybe: then it is waited for, as after attaching)."""
        store_name, path = change.address.store_and_path
        store_id = self.ids.stores[store_name]
        if change.payload_as(AttachmentPayload).status != "completed":
            self.await_ingestion(store_id, platform_id, path)
        record = attachment_record(store_name, path, store_id, platform_id, change.spec or {})
        return StepOutput(platform_id, upserts=[record], note="adopted")

    def _detach(
        self, change: ResourceChange, key: ResourceKey, extra: AttachmentPayload, store_id: str
    ) -> StepOutput:
        handler = self.target.handlers[Kind.VECTOR_STORE_FILE]
        ref = Ref(change.platform_id or "", store_id)
        if extra.unrecorded:
            # Nothing records it, so nothing is forgotten; gone already is as good as detached.
            with contextlib.suppress(NotFound):
                self.call(lambda: handler.delete(ref))
            if extra.delete_upload:
                self.retire(change.platform_id or "")
            return StepOutput(change.platform_id)
        if store_id:
            self.call(lambda: handler.delete(ref))
        return StepOutput(change.platform_id, deletes=[key])

    def _attached(self, store_id: str, file_id: str) -> Any:
        try:
            return self.target.handlers[Kind.VECTOR_STORE_FILE].get(Ref(file_id, store_id))
        except NotFound:
            return None

    def await_ingestion(self, store_id: str, file_id: str, path: str) -> None:
        """Poll until the file is indexed. A 404 right after attaching is the platform's eventual
        consistency, not an error, until the deadline."""
        began = self.clock()
        deadline = began + self.ingestion_deadline_seconds
        while True:
            try:
                status = self.retrier.run(
                    lambda: self.target.handlers[Kind.VECTOR_STORE_FILE].get(Ref(file_id, store_id))
                )
                if status.status == "completed":
                    return
                if status.status in ("failed", "cancelled"):
                    raise IngestionFailed(
                        f"{path}: ingestion {status.status}: {status.last_error or 'no reason given'}"
                    )
            except NotFound:
                pass
            now = self.clock()
            if now >= deadline:
                raise IngestionFailed(f"{path}: not indexed within {self.ingestion_deadline_seconds:.0f}s")
            if self.on_wait is not None:
                self.on_wait(
                    Wait(WaitReason.INGESTION, INGESTION_POLL_SECONDS, path, now - began, deadline - now)
                )
            self.sleep(INGESTION_POLL_SECONDS)


def attachment_record(
    store_name: str, path: str, store_id: str, file_id: str, spec: Mapping[str, Any]
) -> InventoryRecord:
    return InventoryRecord(
        key=ResourceKey.attachment(store_name, path),
        platform_id=file_id,
        fingerprint=spec["sha256"][:16],
        attributes={"store_id": store_id, "sha256": spec["sha256"]},
    )
