"""`reconcile gc`: delete platform assistants of old versions beyond the retention, best effort.

Kept: the newest `keep` undeleted versions of each assistant, every version a pointer holds, and any
platform id that a kept version or an inventory record still names. Only ids recorded as versions are
ever deleted.

Each deletion first flags the version deleted in the store, then deletes the platform object. That order
is deliberate: the store refuses the flag while a pointer holds the version, and refuses to move a pointer
onto a flagged one, so a rollback racing gc either wins (gc skips that version) or fails loudly - it can
never leave `stable` naming an assistant that no longer exists. The price: when the platform call fails,
the version stays flagged and the object stays on the platform; the report names it for manual cleanup.
gc also holds the workspace lease, so an apply cannot reuse a version while gc removes it.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from enum import StrEnum

from reconciler.errors import NotFound, ReconcilerError
from reconciler.model.stored import VersionRecord
from reconciler.store.base import StateStore
from reconciler.store.lease import Clock, SystemClock, system_sleep, wait_for_lock
from reconciler.targets.base import Target

__all__ = ["DEFAULT_KEEP", "GcItem", "GcOutcome", "GcReport", "collect_garbage", "plan_gc"]

DEFAULT_KEEP = 5
_LEASE_SECONDS = 900.0


class GcOutcome(StrEnum):
    WOULD_DELETE = "would delete"  # --dry-run
    DELETED = "deleted"
    ALREADY_GONE = "already gone"  # the platform said 404: flagged, nothing left to delete
    FAILED = "failed"


@dataclass(frozen=True)
class GcItem:
    assistant: str
    number: int
    platform_id: str
    outcome: GcOutcome
    error: str = ""


@dataclass
class GcReport:
    workspace: str
    keep: int
    dry_run: bool
    items: list[GcItem] = field(default_factory=list)
    kept: int = 0  # undeleted versions left alone

    @property
    def ok(self) -> bool:
        return not any(i.outcome is GcOutcome.FAILED for i in self.items)

    @property
    def failed(self) -> list[GcItem]:
        return [i for i in self.items if i.outcome is GcOutcome.FAILED]


def plan_gc(
    store: StateStore, workspace: str, *, keep: int = DEFAULT_KEEP
) -> tuple[list[VersionRecord], int]:
    """The versions gc would delete (oldest first per assistant) and how many undeleted ones it keeps."""
    if keep < 0:
        raise ValueError("keep must be zero or more")
    stored = store.read(workspace)
    protected_ids = {r.platform_id for r in stored.inventory}
    by_assistant: dict[str, list[VersionRecord]] = {}
    for version in stored.versions:
        if not version.deleted:
            by_assistant.setdefault(version.assistant, []).append(version)
    doomed: list[VersionRecord] = []
    kept = 0
    for assistant, versions in sorted(by_assistant.items()):
        versions.sort(key=lambda v: v.number)
        held = set(stored.pointers.get(assistant, {}).values())
        newest = {v.number for v in versions[len(versions) - keep :]} if keep else set()
        keeping = [v for v in versions if v.number in held or v.number in newest]
        # a platform id still named by a kept version (or by the inventory) is never deleted
        ids_in_use = protected_ids | {v.platform_id for v in keeping}
        going = [v for v in versions if v not in keeping and v.platform_id not in ids_in_use]
        doomed += going
        kept += len(versions) - len(going)
    return doomed, kept


def collect_garbage(
    store: StateStore,
    target: Target,
    workspace: str,
    *,
    keep: int = DEFAULT_KEEP,
    dry_run: bool = False,
    owner: str = "reconcile-gc",
    host: str = "",
    clock: Clock | None = None,
) -> GcReport:
    """Delete what `plan_gc` names; a failure is recorded on its item and gc carries on."""
    report = GcReport(workspace=workspace, keep=keep, dry_run=dry_run)
    if dry_run:
        doomed, report.kept = plan_gc(store, workspace, keep=keep)
        report.items = [_item(v, GcOutcome.WOULD_DELETE) for v in doomed]
        return report
    lease = wait_for_lock(
        store,
        workspace,
        owner=owner,
        host=host or socket.gethostname(),
        ttl_seconds=_LEASE_SECONDS,
        timeout=0.0,
        clock=clock or SystemClock(),
        sleeper=system_sleep,
    )
    try:
        doomed, report.kept = plan_gc(store, workspace, keep=keep)
        for version in doomed:
            report.items.append(_delete(store, target, workspace, version))
    finally:
        store.release_lock(lease)
    return report


def _delete(store: StateStore, target: Target, workspace: str, version: VersionRecord) -> GcItem:
    try:
        # Refused (StateError) if a pointer moved onto this version since plan_gc read the store.
        store.mark_version_deleted(workspace, version.assistant, version.number)
    except ReconcilerError as error:
        return _item(version, GcOutcome.FAILED, f"not flagged, platform object kept: {error.one_line()}")
    if not target.versions_on_platform:
        return _item(version, GcOutcome.DELETED)  # the version lived only in our store
    try:
        target.delete_assistant(version.platform_id)
    except NotFound:
        return _item(version, GcOutcome.ALREADY_GONE)
    except ReconcilerError as error:
        return _item(
            version,
            GcOutcome.FAILED,
            f"flagged deleted, but the platform object remains (delete it by hand): {error.one_line()}",
        )
    return _item(version, GcOutcome.DELETED)


def _item(version: VersionRecord, outcome: GcOutcome, error: str = "") -> GcItem:
    return GcItem(version.assistant, version.number, version.platform_id, outcome, error)
