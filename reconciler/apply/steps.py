"""One step per plan change: the platform calls it takes, how it recovers from a lost response, and the
inventory records it leaves. The executor decides order and concurrency; this module decides what to send.

Never creates twice: when a create fails in a way that may have reached the platform (a dropped
connection, a 5xx), the object is looked for by our label (or content) before the create is retried.
Vector-store files (`apply.attachment_steps`) and spend controls (`apply.spend_steps`) have their own
step objects, held here and reached through the same table.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reconciler.apply.attachment_steps import AttachmentSteps
from reconciler.apply.outputs import Ids, StepOutput, inventory_record
from reconciler.apply.spend_steps import SpendSteps
from reconciler.apply.uploads import PURPOSE, find_upload, upload_detail, upload_record
from reconciler.calls.retry import Pacer, Retrier
from reconciler.errors import NotFound, RateLimited, StalePlan, TemporaryPlatformError
from reconciler.model import labels
from reconciler.model.canonical import sha256_hex
from reconciler.model.desired import Kind, ResourceKey
from reconciler.model.live import LiveAssistant, LiveFile, LiveVectorStore
from reconciler.model.stored import InventoryRecord, VersionRecord
from reconciler.model.waits import WaitObserver
from reconciler.plan import normalise
from reconciler.plan.definition import Action, ResourceChange
from reconciler.plan.payloads import AssistantPayload, FilePayload
from reconciler.targets.base import Target
from reconciler.targets.handlers import CODE_FILES, VECTOR_STORES, Ref, Write

Step = Callable[[ResourceChange], StepOutput]


@dataclass
class Steps:
    target: Target
    root: Path
    retrier: Retrier
    pacer: Pacer
    ids: Ids
    owner: str = ""  # the plan's owner label: what we label, and the only label look-ups take as ours
    ingestion_deadline_seconds: float = 300.0
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    on_wait: WaitObserver | None = None
    interrupted_uploads: set[str] = field(default_factory=set)  # file steps a dead run of this plan started
    # Platform ids already taken: the inventory's, and the spend alerts this apply created (under ids.lock).
    known_ids: set[str] = field(default_factory=set)
    # The inventory as this apply found it: what a store-only update (protect) rewrites.
    records: Mapping[ResourceKey, InventoryRecord] = field(default_factory=dict)
    # The release bundles the store holds, by id: on a platform without versions, what a reused version
    # is read back from.
    bundles: Mapping[str, LiveAssistant] = field(default_factory=dict)
    spend: SpendSteps = field(init=False)  # spend alerts and limits, sent through this object's calls
    attachments: AttachmentSteps = field(init=False)  # vector-store files, likewise
    table: Mapping[Kind, Step] = field(init=False)  # the step for each kind a plan changes

    def __post_init__(self) -> None:
        self.spend = SpendSteps(
            self.target, self.pacer, self.ids, call=self._call, owned=self._owned, claim=self._claim
        )
        self.attachments = AttachmentSteps(
            self.target,
            self.retrier,
            self.ids,
            call=self._call,
            retire=self._delete_retired,
            ingestion_deadline_seconds=self.ingestion_deadline_seconds,
            clock=self.clock,
            sleep=self.sleep,
            on_wait=self.on_wait,
        )
        self.table = {
            Kind.FILE: self._file,
            Kind.VECTOR_STORE: self._vector_store,
            Kind.VECTOR_STORE_FILE: self.attachments.attachment,
            Kind.ASSISTANT: self._assistant,
            Kind.SPEND_ALERT: self.spend.spend_alert,
            Kind.SPEND_LIMIT: self.spend.spend_limit,
        }

    def run(self, change: ResourceChange) -> StepOutput:
        if change.action is Action.NOOP:
            return self._adopt(change)
        if change.store_only:
            return self._record_settings(change)
        return self.table[change.kind](change)

    # ---- helpers -----------------------------------------------------------------------------------

    def _call(
        self, fn: Callable[[], Any], *, admin: bool = False, recover: Callable[[], Any] | None = None
    ) -> Any:
        def attempt() -> Any:
            if admin:
                self.pacer.wait()
                self.retrier.check()  # the pacer may have waited most of a minute: still ours to send?
            return fn()

        def before_retry(error: TemporaryPlatformError) -> Any:
            # A 429 was refused before it was processed: nothing to look for. Other failures may have
            # reached the platform; the look-up is retried like any call, since guessing wrong duplicates.
            if recover is None or isinstance(error, RateLimited):
                return None
            return self.retrier.run(recover)

        return self.retrier.run(attempt, before_retry=before_retry, admin=admin)

    def _owned(self) -> set[str]:
        with self.ids.lock:
            return set(self.known_ids)

    def _claim(self, platform_id: str) -> None:
        self.known_ids.add(platform_id)  # the caller holds ids.lock

    # ---- vector stores -----------------------------------------------------------------------------

    def _vector_store(self, change: ResourceChange) -> StepOutput:
        key = ResourceKey(kind=Kind.VECTOR_STORE, name=change.name)
        if change.action is Action.DELETE:
            assert change.platform_id is not None
            self._call(lambda: self.target.handlers[Kind.VECTOR_STORE].delete(Ref(change.platform_id or "")))
            return StepOutput(change.platform_id, deletes=[key])
        spec = change.spec or {}
        metadata = labels.with_labels(
            spec["metadata"], owner=self.owner, name=change.name, fingerprint=change.fingerprint
        )
        if change.action is Action.CREATE:
            live: LiveVectorStore = self._call(
                lambda: self.target.handlers[Kind.VECTOR_STORE].create(Write(spec, metadata)),
                recover=lambda: _first(
                    self.target.handlers[Kind.VECTOR_STORE].recover(Write(spec, metadata))
                ),
            )
        else:
            live = self._call(
                lambda: self.target.handlers[Kind.VECTOR_STORE].update(
                    Ref(change.platform_id or ""), Write(spec, metadata)
                )
            )
        with self.ids.lock:
            self.ids.stores[change.name] = live.id
        live_spec = normalise.vector_store_spec(live, spec["chunking"])
        return StepOutput(
            live.id, upserts=[inventory_record(Kind.VECTOR_STORE, change.name, live.id, change, live_spec)]
        )

    # ---- uploads -----------------------------------------------------------------------------------

    def _file(self, change: ResourceChange) -> StepOutput:
        key = ResourceKey(kind=Kind.FILE, name=change.name)
        if change.action is Action.DELETE:
            self._call(lambda: self.target.handlers[Kind.FILE].delete(Ref(change.platform_id or "")))
            return StepOutput(change.platform_id, deletes=[key])
        spec = change.spec or {}
        content = (self.root / change.name).read_bytes()
        if sha256_hex(content) != spec["sha256"]:
            raise StalePlan(f"{change.name} changed on disk since the plan was made; plan again")
        detail = upload_detail(change, self.owner)
        filename = str(detail["filename"])

        def ours() -> LiveFile | None:
            # Only the file named with this very tag (owner, path, content) that nothing else records.
            found = find_upload(self.target, detail, self._taken_files())
            return found[0] if found else None

        # A dead run may have sent this upload: look first, retried like any call.
        interrupted = change.step_key in self.interrupted_uploads
        live: LiveFile | None = self.retrier.run(ours) if interrupted else None
        if live is None:
            live = self._call(
                lambda: self.target.handlers[Kind.FILE].create(
                    Write({"filename": filename, "purpose": PURPOSE, "size": len(content)}, content=content)
                ),
                recover=ours,
            )
        assert live is not None
        with self.ids.lock:
            self.ids.files[change.name] = live.id
        retire = change.payload_as(FilePayload).retire
        if retire is not None and retire != live.id:
            self._delete_retired(retire)
        # Otherwise a replaced upload's old file is deleted by the attachment step that stops using it.
        note = f"previous upload {change.platform_id} retired" if change.action is Action.REPLACE else None
        record = upload_record(change.name, live.id, spec["sha256"], live.filename)
        return StepOutput(live.id, upserts=[record], note=note)

    def _taken_files(self) -> set[str]:
        """Files the inventory, the plan or this run's earlier steps already hold."""
        with self.ids.lock:
            return set(self.known_ids) | set(self.ids.files.values())

    def _delete_retired(self, file_id: str) -> None:
        """An old upload a killed replace detached but never deleted; gone already is as good."""
        with contextlib.suppress(NotFound):
            self._call(lambda: self.target.handlers[Kind.FILE].delete(Ref(file_id)))

    # ---- assistants --------------------------------------------------------------------------------

    def _assistant(self, change: ResourceChange) -> StepOutput:
        key = ResourceKey(kind=Kind.ASSISTANT, name=change.name)
        if change.action is Action.DELETE:
            # Every recorded version goes with the assistant; its history stays in the store.
            others = change.payload_as(AssistantPayload).versions or ()
            for platform_id in [change.platform_id or "", *others]:
                self._delete_assistant(platform_id)
            return StepOutput(change.platform_id, deletes=[key], destroyed=change.name)
        spec = change.spec or {}
        extra = change.payload_as(AssistantPayload)
        version, keep = extra.version, extra.keep_labels
        number = version.number if version else None
        metadata = labels.with_labels(
            spec["metadata"],
            owner=self.owner,
            name=change.name,
            fingerprint=change.fingerprint,
            version=str(number) if number else keep.version if keep else None,
            parent=str(version.parent) if version and version.parent else keep.parent if keep else None,
        )
        stores = [self.ids.stores[n] for n in spec["file_search_vector_stores"]]
        files = [self.ids.files[p] for p in spec["code_interpreter_files"]]

        def mine(found: list[LiveAssistant]) -> LiveAssistant | None:
            return next(
                (a for a in found if a.metadata.get(labels.VERSION) == (str(number) if number else None)),
                None,
            )

        if change.action is Action.CREATE:
            live: LiveAssistant = self._call(
                lambda: self.target.handlers[Kind.ASSISTANT].create(
                    Write(spec, metadata, {VECTOR_STORES: stores, CODE_FILES: files})
                ),
                recover=lambda: mine(self.target.handlers[Kind.ASSISTANT].recover(Write(spec, metadata))),
            )
        elif version is not None and version.reuse and not extra.metadata_changes:
            live = self._live_after_pointer_move(change)
        else:
            live = self._call(
                lambda: self.target.handlers[Kind.ASSISTANT].update(
                    Ref(change.platform_id or ""),
                    Write(spec, metadata, {VECTOR_STORES: stores, CODE_FILES: files}),
                )
            )
        live_spec = normalise.assistant_spec(live, self.ids.store_names(), self.ids.file_paths())
        output = StepOutput(
            live.id, upserts=[inventory_record(Kind.ASSISTANT, change.name, live.id, change, live_spec)]
        )
        return self._versioned(change, output, live.id, live)

    def _delete_assistant(self, platform_id: str) -> None:
        self._call(lambda: self.target.handlers[Kind.ASSISTANT].delete(Ref(platform_id)))

    def _live_after_pointer_move(self, change: ResourceChange) -> LiveAssistant:
        """Reusing a version changes nothing on the platform; read it back for the inventory."""
        if not self.target.versions_on_platform:
            bundle = self.bundles.get(change.platform_id or "")
            if bundle is None:
                raise StalePlan(f"{change.address}: bundle {change.platform_id} is gone; plan again")
            return bundle
        self.retrier.check()
        # By id, not by label: the version is ours because the store records it (it may predate owners).
        found = self.target.read([Kind.ASSISTANT]).assistants.get(change.platform_id or "")
        if found is None:
            raise StalePlan(f"{change.address}: version object {change.platform_id} is gone; plan again")
        return found

    def _versioned(
        self, change: ResourceChange, output: StepOutput, platform_id: str, live: LiveAssistant | None = None
    ) -> StepOutput:
        if not isinstance(change.payload, AssistantPayload):  # an adopted store or spend control
            return output
        version, verdict = change.payload.version, change.payload.verdict
        # A bundle is (re)written with its version row: its metadata may have changed in place.
        bundle = live.model_dump(mode="json") if live and not self.target.versions_on_platform else {}
        if version is None and bundle and live is not None:
            output.version = _bundle_rewrite(change.name, live, bundle)
            return output
        if version is None or not version.number:
            return output
        number = version.number
        if change.action is Action.CREATE or version.record or bundle:
            output.version = VersionRecord(
                assistant=change.name,
                number=number,
                platform_id=platform_id,
                fingerprint=change.fingerprint or "",
                parent=version.parent,
                created_at=time.time(),
                verdict=verdict.model_dump(mode="json") if verdict else {},
                bundle=bundle,
                tools={} if bundle else _function_tools(change.spec or {}),
            )
        reason = change.reason
        if verdict is not None and verdict.accepted:
            reason += f"; breaking change accepted: {verdict.accepted}"
        if verdict is not None and verdict.acceptance is not None:
            output.accepted = verdict.acceptance
        if change.payload.rollout is not None:
            output.rollout = (change.name, number, change.payload.rollout, reason)
            stable = change.payload.rollout.stable
            output.note = (
                f"canary of version {number} started; stable stays on version {stable}: "
                f"`reconcile rollout watch {change.name}` runs it"
            )
        else:
            output.pointer = (change.name, number, reason)
        if change.payload.abort_rollout is not None:
            output.abort_rollout = (change.name, change.payload.abort_rollout, change.reason)
            output.note = f"rollout aborted: version {number} serves"
        return output

    def _record_settings(self, change: ResourceChange) -> StepOutput:
        """Only store-held settings changed: rewrite the record with them, everything else as it was."""
        recorded = self.records.get(change.address)
        if recorded is None:
            raise StalePlan(f"{change.address} is no longer in the state's inventory; plan again")
        record = recorded.model_copy(update={"protect": change.protect})
        return StepOutput(recorded.platform_id, upserts=[record], note="recorded in the state")

    def _adopt(self, change: ResourceChange) -> StepOutput:
        """A no-op that must still be written down: adopting an object equal to the desired spec."""
        assert change.platform_id is not None
        if change.kind is Kind.FILE:
            return self._adopt_upload(change, change.platform_id)
        if change.kind is Kind.VECTOR_STORE_FILE:
            return self.attachments.adopt(change, change.platform_id)
        record = InventoryRecord(
            key=ResourceKey(kind=change.kind, name=change.name),
            platform_id=change.platform_id,
            fingerprint=change.fingerprint or "",
            live_hash=change.live_hash or "",
            protect=change.protect,
            attributes={"spec": change.spec or {}},
        )
        if change.kind is Kind.VECTOR_STORE:
            with self.ids.lock:
                self.ids.stores[change.name] = change.platform_id
        output = StepOutput(change.platform_id, upserts=[record], note="adopted")
        return self._versioned(change, output, change.platform_id)

    def _adopt_upload(self, change: ResourceChange, platform_id: str) -> StepOutput:
        """One of our uploads the inventory lost: its tag (or our store's attributes) proved its content."""
        spec = change.spec or {}
        with self.ids.lock:
            self.ids.files[change.name] = platform_id
        filename = change.payload_as(FilePayload).filename
        record = upload_record(change.name, platform_id, spec["sha256"], filename)
        return StepOutput(platform_id, upserts=[record], note="adopted")


def _first(items: list[Any]) -> Any:
    return items[0] if items else None


def _bundle_rewrite(name: str, live: LiveAssistant, bundle: dict[str, Any]) -> VersionRecord | None:
    """The row that rewrites an existing version's bundle after an update in place (metadata, name or
    description): the store keeps the row and takes only the bundle, and only for the same behaviour."""
    number = live.metadata.get(labels.VERSION, "")
    if not number.isdigit():
        return None
    return VersionRecord(
        assistant=name,
        number=int(number),
        platform_id=live.id,
        fingerprint=live.metadata.get(labels.FINGERPRINT, ""),
        bundle=bundle,
    )


def _function_tools(spec: Mapping[str, Any]) -> dict[str, Any]:
    """A platform assistant's function tools as the runtime validates calls against them (a bundle keeps
    its own): name -> its `parameters` schema and `strict`."""
    return {
        str(tool["name"]): {"parameters": tool.get("parameters") or {}, "strict": bool(tool.get("strict"))}
        for tool in spec.get("tools", [])
        if tool.get("type") == "function"
    }
