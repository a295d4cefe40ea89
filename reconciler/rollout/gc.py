"""`reconcile gc`: delete old versions beyond the retention (platform assistants, or release bundles in
the store), best effort.

On the Responses era a version is a release bundle in our store: gc flags it deleted and asks the assistant
handler to delete it, which deletes its materialised agent (`materialize: agents`; only agents with our
owner label) and sends nothing otherwise. The leftovers sweep and the ownership listing below are about
platform assistants only: an agent whose delete failed stays until deleted by hand.

Kept: the newest `keep` undeleted versions of each assistant, every version a pointer holds, every
version a conversation is pinned to that was seen in the last `retention` seconds (the project's
`conversations.retention`, 30 days by default: its next turn must find the tools it started with; a
conversation migrated to a copy, `moved_to` set, holds nothing), and any platform id that a kept version or an
inventory record still names. Only ids recorded as versions are ever deleted.

Each deletion first flags the version deleted in the store, then deletes the platform object. That order
is deliberate: the store refuses the flag while a pointer holds the version, and refuses to move a pointer
onto a flagged one, so a rollback racing gc either wins (gc skips that version) or fails loudly - it can
never leave `stable` naming an assistant that no longer exists. The price: when the platform call fails
(after the retrier's attempts), the version stays flagged and the object stays on the platform. The next
gc finds such leftovers (flagged versions whose labelled object is still listed) and deletes them, so a
failed run is resumed rather than left for manual cleanup. gc also holds the workspace lease, so an apply
cannot reuse a version while gc removes it.

Ownership: before deleting anything, gc lists the assistants once and refuses the whole run when any
version it would delete names an object another owner's label claims (a state copied from another
project or target), as the planner does. Objects without an owner label (made before owner labels, or
recorded by hand) stay deletable because our store records them. Without that listing gc deletes nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from enum import StrEnum

from reconciler.calls.retry import Retrier
from reconciler.errors import NotFound, ReconcilerError
from reconciler.model import labels
from reconciler.model.desired import Kind
from reconciler.model.stored import StoredState, VersionRecord
from reconciler.plan.safety import refuse_owned_by_others, version_address
from reconciler.rollout.defaults import DEFAULT_KEEP
from reconciler.store.base import StateStore
from reconciler.store.identity import Identity, whoami
from reconciler.store.lease import Clock, SystemClock, take_lease
from reconciler.targets.base import ReadTuning, Target, run_once
from reconciler.targets.handlers import Ref

__all__ = [
    "DEFAULT_KEEP",
    "DEFAULT_RETENTION_SECONDS",
    "GcItem",
    "GcOutcome",
    "GcReport",
    "collect_garbage",
    "leftovers",
    "live_pins",
    "plan_gc",
]

_LEASE_SECONDS = 900.0
DEFAULT_RETENTION_SECONDS = 30 * 86_400.0  # how long a conversation counts as live since last seen


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
    retention: float = DEFAULT_RETENTION_SECONDS  # seconds since last seen that a conversation counts live
    # (assistant, version) -> conversations seen within the retention that are pinned to it: kept for them
    pinned: dict[tuple[str, int], int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)  # what gc could not check (it went on without it)
    cancelled: bool = False  # `confirm` said no: nothing was deleted

    @property
    def ok(self) -> bool:
        return not any(i.outcome is GcOutcome.FAILED for i in self.items)

    @property
    def failed(self) -> list[GcItem]:
        return [i for i in self.items if i.outcome is GcOutcome.FAILED]


def live_pins(store: StateStore, workspace: str, *, since: float) -> dict[tuple[str, int], int]:
    """(undeleted assistant version) -> how many conversations pinned to it were seen at or after `since`
    and not migrated to a copy: those still need it."""
    undeleted = {(v.assistant, v.number) for v in store.read(workspace).versions if not v.deleted}
    return {
        (assistant, number): conversations
        for assistant, counts in store.live_conversations(workspace, seen_since=since).items()
        for number, conversations in counts.items()
        if conversations and (assistant, number) in undeleted
    }


def plan_gc(
    store: StateStore,
    workspace: str,
    *,
    keep: int = DEFAULT_KEEP,
    pinned: Collection[tuple[str, int]] = (),
) -> tuple[list[VersionRecord], int]:
    """The versions gc would delete (oldest first per assistant) and how many undeleted ones it keeps;
    `pinned` are (assistant, version) pairs live conversations hold, kept too."""
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
        held = set(stored.pointers.get(assistant, {}).values()) | {n for a, n in pinned if a == assistant}
        newest = {v.number for v in versions[len(versions) - keep :]} if keep else set()
        keeping = [v for v in versions if v.number in held or v.number in newest]
        # a platform id still named by a kept version (or by the inventory) is never deleted
        ids_in_use = protected_ids | {v.platform_id for v in keeping}
        going = [v for v in versions if v not in keeping and v.platform_id not in ids_in_use]
        doomed += going
        kept += len(versions) - len(going)
    return doomed, kept


def leftovers(stored: StoredState, live_ids: set[str]) -> list[VersionRecord]:
    """Versions an earlier gc flagged deleted whose platform object is still listed (its delete failed),
    unless an undeleted version or the inventory still names that id."""
    in_use = {r.platform_id for r in stored.inventory} | {
        v.platform_id for v in stored.versions if not v.deleted
    }
    seen: set[str] = set()
    out: list[VersionRecord] = []
    for version in sorted(stored.versions, key=lambda v: (v.assistant, v.number)):
        pid = version.platform_id
        if version.deleted and pid in live_ids and pid not in in_use and pid not in seen:
            seen.add(pid)
            out.append(version)
    return out


def collect_garbage(
    store: StateStore,
    target: Target,
    workspace: str,
    *,
    keep: int = DEFAULT_KEEP,
    dry_run: bool = False,
    label_owner: str = "",
    owner: str = "reconcile-gc",
    host: str = "",
    clock: Clock | None = None,
    retrier: Retrier | None = None,
    confirm: Callable[[list[VersionRecord]], bool] | None = None,
    retention: float = DEFAULT_RETENTION_SECONDS,
    now: Callable[[], float] = time.time,
) -> GcReport:
    """Delete what `plan_gc` names, and the leftovers of earlier runs; temporary platform errors are
    retried through `retrier`; a failure that remains is recorded on its item and gc carries on.
    `confirm` sees every version to delete first (under the lease, as apply asks under its lock), and
    returning False cancels the run before anything is deleted (`cancelled`).

    Versions that conversations seen within `retention` seconds (before `now()`) are pinned to are kept
    (`report.pinned` says which, and for how many).

    `label_owner` is this workspace's owner label (`Workspace.owner`); `owner` names the lease holder.
    Raises PlanRejected, deleting nothing, when a version to delete is another owner's object (without
    `label_owner`, every owner-labelled object counts as another's)."""
    if retention <= 0:
        raise ValueError("retention must be positive")
    report = GcReport(workspace=workspace, keep=keep, dry_run=dry_run, retention=retention)
    report.pinned = live_pins(store, workspace, since=now() - retention)
    if dry_run:
        doomed, report.kept = plan_gc(store, workspace, keep=keep, pinned=report.pinned)
        left = _checked(store, target, workspace, doomed, label_owner, retrier, report)
        report.items = [_item(v, GcOutcome.WOULD_DELETE) for v in [*doomed, *left]]
        return report
    wall = clock or SystemClock()
    who = Identity(user=owner, host=host or whoami().host)
    lease = take_lease(store, workspace, who=who, ttl_seconds=_LEASE_SECONDS, timeout=0.0, clock=wall)
    try:
        doomed, report.kept = plan_gc(store, workspace, keep=keep, pinned=report.pinned)
        left = _checked(store, target, workspace, doomed, label_owner, retrier, report)
        if confirm is not None and (left or doomed) and not confirm([*left, *doomed]):
            report.cancelled = True
            return report
        for version in left:
            lease = store.renew_lock(lease, now=wall.now())  # retried deletes can outlast one lease
            report.items.append(_delete_object(target, version, retrier))
        for version in doomed:
            lease = store.renew_lock(lease, now=wall.now())
            report.items.append(_delete(store, target, workspace, version, retrier))
    finally:
        store.release_lock(lease)
    return report


def _checked(
    store: StateStore,
    target: Target,
    workspace: str,
    doomed: list[VersionRecord],
    label_owner: str,
    retrier: Retrier | None,
    report: GcReport,
) -> list[VersionRecord]:
    """The leftovers of earlier runs, once nothing gc would delete (`doomed` or a leftover) is labelled
    by another owner. One listing of the assistants; none when no platform object is at stake."""
    stored = store.read(workspace)
    if not target.versions_on_platform or not (doomed or any(v.deleted for v in stored.versions)):
        return []
    try:
        live = target.read([Kind.ASSISTANT], ReadTuning(run=retrier.read if retrier else run_once))
    except ReconcilerError as error:
        if doomed:
            raise  # without the listing nobody can tell whose objects these are: delete nothing
        # The sweep only finishes earlier runs' work: without the list there is nothing else to do.
        report.warnings.append(f"leftovers of earlier gc runs not checked: {error.one_line()}")
        return []
    metadata = {a.id: a.metadata for a in live.assistants.values()}
    left = leftovers(stored, {i for i, m in metadata.items() if labels.is_managed(m)})
    at_stake = {v.platform_id: version_address(v) for v in [*doomed, *left]}
    refuse_owned_by_others(at_stake, metadata, label_owner, outcome="gc deleted nothing: ")
    return left


def _delete(
    store: StateStore, target: Target, workspace: str, version: VersionRecord, retrier: Retrier | None
) -> GcItem:
    try:
        # Refused (StateError) if a pointer moved onto this version since plan_gc read the store.
        store.mark_version_deleted(workspace, version.assistant, version.number)
    except ReconcilerError as error:
        return _item(version, GcOutcome.FAILED, f"not flagged, platform object kept: {error.one_line()}")
    # A release bundle lives in our store, but its handler may keep a platform object beside it (an agent,
    # `materialize: agents`): its delete removes that, and sends nothing otherwise.
    return _delete_object(target, version, retrier)


def _delete_object(target: Target, version: VersionRecord, retrier: Retrier | None) -> GcItem:
    def delete() -> None:
        target.handlers[Kind.ASSISTANT].delete(Ref(version.platform_id))

    try:
        if retrier is None:
            delete()
        else:
            retrier.run(delete)
    except NotFound:
        return _item(version, GcOutcome.ALREADY_GONE)
    except ReconcilerError as error:
        # Only platform assistants are listed again by the next gc (`leftovers`); a bundle's agent is not.
        remains = (
            "the platform object remains (the next gc retries it)"
            if target.versions_on_platform
            else "its platform agent remains (delete it by hand)"
        )
        return _item(version, GcOutcome.FAILED, f"flagged deleted, but {remains}: {error.one_line()}")
    return _item(version, GcOutcome.DELETED)


def _item(version: VersionRecord, outcome: GcOutcome, error: str = "") -> GcItem:
    return GcItem(version.assistant, version.number, version.platform_id, outcome, error)
