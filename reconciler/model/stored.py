"""Stored state as data: what the state store remembers about a workspace (one target), read in one go
and handed to the pure planner. The store package reads and writes these; it defines no types of its own
that the planner needs.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from reconciler.model.desired import BreakingFinding, Frozen, ResourceKey
from reconciler.model.rollouts import AnalysisRun, RolloutEvent, RolloutRecord


class InventoryRecord(Frozen):
    """A platform object we created or adopted. Only objects in the inventory (and labelled) are ever
    updated or deleted.

    `key` names the resource (a vector-store file: `VectorStoreFile/<store>/<path>`). `fingerprint` is
    the desired-spec hash applied last; `live_hash` is the hash of the live
    object as read right after that apply, so a later read that differs is drift.
    """

    key: ResourceKey
    platform_id: str
    fingerprint: str = ""
    live_hash: str = ""
    protect: bool = False
    attributes: dict[str, Any] = Field(default_factory=dict)
    updated_at: float = 0.0

    @property
    def applied_spec(self) -> dict[str, Any] | None:
        """The live spec the last apply left (`spec`): what drift is shown against."""
        spec = self.attributes.get("spec")
        return spec if isinstance(spec, dict) else None

    @property
    def sha256(self) -> str | None:
        """The content an upload or attachment record holds."""
        value = self.attributes.get("sha256")
        return value if isinstance(value, str) else None

    @property
    def store_id(self) -> str:
        """The vector store an attachment record's file is attached to ("" when not recorded)."""
        value = self.attributes.get("store_id")
        return value if isinstance(value, str) else ""


class VersionRecord(Frozen):
    """One immutable assistant version (issue: immutable versions)."""

    assistant: str
    number: int
    platform_id: str
    fingerprint: str
    parent: int | None = None
    created_at: float = 0.0
    verdict: dict[str, Any] = Field(default_factory=dict)
    deleted: bool = False
    # On a platform that stores no versions, the release bundle itself: a `LiveAssistant` as JSON (see
    # `bundle_assistant`). Empty for a version that is a platform assistant.
    bundle: dict[str, Any] = Field(default_factory=dict)
    # A platform assistant's function tools (name -> {"parameters": schema, "strict": bool}), kept so the
    # runtime can validate call arguments; a bundle carries its tools itself, so it is empty there.
    tools: dict[str, Any] = Field(default_factory=dict)


class Acceptance(Frozen):
    """An `acceptBreaking` reason as an apply used it: the change it let through (behaviour fingerprints
    before and after) and that change's breaking findings. A reason without listed findings accepts
    nothing beyond what it was first used for."""

    assistant: str
    reason: str
    from_fingerprint: str
    to_fingerprint: str
    findings: tuple[BreakingFinding, ...] = ()


class PointerMove(Frozen):
    """One entry of a release pointer's history: who moved `pointer` from one version to another, and why.

    `to_version` is None when the pointer was cleared (its assistant was destroyed): after that entry the
    pointer names no version until an apply deploys one again."""

    assistant: str
    pointer: str
    from_version: int | None
    to_version: int | None
    at: float
    user: str
    host: str
    reason: str = ""
    accepted: Acceptance | None = None  # the breaking change this move shipped, when one was accepted

    @property
    def cleared(self) -> bool:
        return self.to_version is None


class StopEvent(Frozen):
    """One press of the stop button or of start: `stopped` True for `reconcile stop` (the runtime refuses
    new turns for `assistant` from then on), False for `reconcile start`. The current stop of an assistant
    is the event that stopped it; the history keeps every event, oldest first."""

    assistant: str
    stopped: bool
    at: float
    user: str
    host: str
    reason: str = ""


class StoredState(Frozen):
    """Everything the planner needs from the store for one workspace."""

    workspace: str
    inventory: tuple[InventoryRecord, ...] = ()
    versions: tuple[VersionRecord, ...] = ()
    pointers: dict[str, dict[str, int]] = Field(default_factory=dict)  # assistant -> pointer -> version
    acceptances: tuple[Acceptance, ...] = ()  # from the release history, oldest first
    rollouts: dict[str, RolloutRecord] = Field(default_factory=dict)  # assistant -> its active rollout
    # assistant -> its latest rollout when that one was aborted (a plan must not start it again unasked)
    aborted: dict[str, RolloutRecord] = Field(default_factory=dict)
    # assistant -> version -> conversations pinned to it, seen within the project's
    # `conversations.retention` and not migrated to a copy: the versions a new version is also judged
    # against (transitive compatibility). Filled by `service.planning`; empty when nothing is pinned.
    live_conversations: dict[str, dict[int, int]] = Field(default_factory=dict)

    def record(self, key: ResourceKey) -> InventoryRecord | None:
        for rec in self.inventory:
            if rec.key == key:
                return rec
        return None


class RolloutView(Frozen):
    """`reconcile rollout status NAME`: a rollout with its history, analysis runs, the conversations
    pinned per version, the assistant's pointers and the stop in force (if any)."""

    workspace: str
    record: RolloutRecord
    events: tuple[RolloutEvent, ...]
    runs: tuple[AnalysisRun, ...]
    conversations: dict[int, int]  # version -> conversations pinned to it
    pointers: dict[str, int]
    stop: StopEvent | None = None
