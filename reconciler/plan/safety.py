"""The planner's refusals: plans that would touch another owner's objects, delete a protected object, or
delete everything. Each raises `PlanRejected` naming what it refused; a refused plan is never made."""

from __future__ import annotations

from collections.abc import Mapping

from reconciler.errors import PlanRejected
from reconciler.model import labels
from reconciler.model.desired import Kind, ResourceKey
from reconciler.model.live import LiveState
from reconciler.model.stored import InventoryRecord, StoredState, VersionRecord
from reconciler.plan.definition import Action, ResourceChange


def refuse_foreign(
    live: LiveState, stored: StoredState, records: Mapping[ResourceKey, InventoryRecord], owner: str
) -> None:
    """Stop before touching an object our state records but another owner's label claims (state copied
    between projects, or an adoption by a reconciler that had no owner labels)."""
    if not owner:
        return
    metadata: dict[str, Mapping[str, str]] = {a.id: a.metadata for a in live.assistants.values()}
    metadata.update((s.id, s.metadata) for s in live.vector_stores.values())
    ours = {rec.platform_id: str(key) for key, rec in records.items()}
    for version in stored.versions:
        if not version.deleted:
            ours.setdefault(version.platform_id, version_address(version))
    refuse_owned_by_others(ours, metadata, owner)


def version_address(version: VersionRecord) -> str:
    """A version as messages name it: its assistant's address and its number."""
    return f"{ResourceKey(kind=Kind.ASSISTANT, name=version.assistant)} v{version.number}"


def refuse_owned_by_others(
    ours: Mapping[str, str], metadata: Mapping[str, Mapping[str, str]], owner: str, *, outcome: str = ""
) -> None:
    """Raise PlanRejected naming every object of `ours` (platform id -> address) whose live `metadata`
    carries another owner's label; `outcome` says what the refusal left undone (gc: nothing deleted)."""
    conflicts = [
        f"{address} ({platform_id} is owned by {other!r})"
        for platform_id, address in sorted(ours.items(), key=lambda item: item[1])
        if (other := labels.foreign_owner(metadata.get(platform_id), owner)) is not None
    ]
    if conflicts:
        raise PlanRejected(
            f"{outcome}objects in this workspace's state are owned by another project or workspace: "
            f"{', '.join(conflicts)}; they are never updated or deleted from here (is this the state of "
            "another project or target? `metadata.name` in reconcile.yaml and the target name make the owner)"
        )


def refuse_unsafe(
    changes: list[ResourceChange], records: Mapping[ResourceKey, InventoryRecord], allow_empty: bool
) -> None:
    """Refuse a plan that deletes a protected object, or every managed object without `allow_empty`."""
    protected = [str(c.address) for c in changes if c.action in (Action.DELETE, Action.REPLACE) and c.protect]
    if protected:
        raise PlanRejected(
            f"refusing to delete protected resources: {', '.join(protected)} "
            "(protection is recorded in the state; set protect: false and apply before removing them)"
        )
    kinds = set(Kind) - {Kind.FILE, Kind.VECTOR_STORE_FILE}
    managed = [c for c in changes if c.kind in kinds]
    deleting = [c for c in managed if c.action is Action.DELETE]
    if records and deleting and len(deleting) == len(managed) and not allow_empty:
        raise PlanRejected(
            f"this plan would delete every managed object ({len(deleting)}); "
            "pass --allow-empty if that is what you mean"
        )
