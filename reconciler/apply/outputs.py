"""What a step leaves behind: its output, the ids an apply learns as it goes, and inventory records."""

from __future__ import annotations

from dataclasses import dataclass, field
from threading import Lock
from typing import Any

from reconciler.model.canonical import fingerprint
from reconciler.model.desired import Kind, ResourceKey
from reconciler.model.stored import Acceptance, InventoryRecord, VersionRecord
from reconciler.plan.definition import ResourceChange
from reconciler.plan.payloads import RolloutPlan


@dataclass
class StepOutput:
    platform_id: str | None
    upserts: list[InventoryRecord] = field(default_factory=list)
    deletes: list[ResourceKey] = field(default_factory=list)
    note: str | None = None
    version: VersionRecord | None = None  # a new (or adopted) assistant version to record
    pointer: tuple[str, int, str] | None = None  # (assistant, version, reason): move `stable` there
    accepted: Acceptance | None = None  # the breaking change that move ships, recorded with it
    # Instead of moving `stable`: start a canary of (assistant, version) as the plan says, with a reason.
    rollout: tuple[str, int, RolloutPlan, str] | None = None
    abort_rollout: tuple[str, str, str] | None = None  # (assistant, rollout id, reason): abort it
    # An assistant this step destroyed, every version with it: its pointers are cleared (with history)
    # and its versions flagged deleted, so nothing resolves to an object that is gone.
    destroyed: str | None = None


@dataclass
class Ids:
    """Name -> platform id for what this apply and the inventory know, filled as steps finish."""

    stores: dict[str, str] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)
    lock: Lock = field(default_factory=Lock)

    # Under the lock: other workers add ids while an assistant step reads them (a bundle step, which
    # sends nothing, reads while unrelated stores are still being created).
    def store_names(self) -> dict[str, str]:
        with self.lock:
            return {v: k for k, v in self.stores.items()}

    def file_paths(self) -> dict[str, str]:
        with self.lock:
            return {v: k for k, v in self.files.items()}


def inventory_record(
    kind: Kind, name: str, platform_id: str, change: ResourceChange, live_spec: dict[str, Any]
) -> InventoryRecord:
    """The record of an object a step made or changed, as the platform now has it."""
    return InventoryRecord(
        key=ResourceKey(kind=kind, name=name),
        platform_id=platform_id,
        fingerprint=change.fingerprint or "",
        live_hash=fingerprint(live_spec),
        protect=change.protect,
        attributes={"spec": live_spec},
    )
