"""The state store's seams: `StateReader` (what plan, `versions` and `resolve` need) and `StateStore` (what
apply, rollout and `state unlock` need). Every backend passes one contract suite
(tests/contract/store/test_store_contract.py).

Everything is scoped by `workspace` (a target name), so one database can serve several targets. Time is
always passed in as epoch seconds (`now`), so leases and the journal are testable without sleeping.

The store never holds secrets: no API key, admin key or DSN password is written to any table. Writes
whose JSON payloads contain something shaped like an OpenAI key are refused (see `store.guard`).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from types import TracebackType
from typing import Any, Protocol, Self, runtime_checkable

from reconciler.model.desired import ResourceKey
from reconciler.model.moves import ConversationMove
from reconciler.model.rollouts import (
    AnalysisRun,
    Assignment,
    PinImport,
    RolloutEvent,
    RolloutRecord,
    TelemetryCounts,
    TelemetryRow,
)
from reconciler.model.stored import (
    Acceptance,
    InventoryRecord,
    PointerMove,
    StopEvent,
    StoredState,
    VersionRecord,
)
from reconciler.store.budget_tables import BudgetStore
from reconciler.store.migration_protocol import MigrationStore
from reconciler.store.records import (
    ApplyRecord,
    ApplyStatus,
    Lease,
    StepRecord,
    StepStatus,
    WriteBatch,
)
from reconciler.store.stop_tables import StopWatch

__all__ = ["StateReader", "StateStore"]


@runtime_checkable
class StateReader(Protocol):
    """Read-only access to the stored state of workspaces."""

    def read(self, workspace: str) -> StoredState:
        """Inventory, versions and pointers of one workspace, read as one consistent snapshot."""
        ...

    def inventory(self, workspace: str) -> tuple[InventoryRecord, ...]:
        """Every inventory record, ordered by kind, name and path."""
        ...

    def versions(self, workspace: str, assistant: str) -> tuple[VersionRecord, ...]:
        """Every version of one assistant (deleted ones included, flagged), oldest first."""
        ...

    def pointers(self, workspace: str, assistant: str) -> dict[str, int]:
        """Where each release pointer of one assistant points: pointer name -> version number."""
        ...

    def pointer_history(self, workspace: str, assistant: str) -> tuple[PointerMove, ...]:
        """Every pointer move of one assistant, oldest first."""
        ...

    def stops(self, workspace: str) -> dict[str, StopEvent]:
        """The current stops of a workspace (`reconcile stop`): assistant name -> the stop in force."""
        ...

    def stop_history(self, workspace: str, assistant: str) -> tuple[StopEvent, ...]:
        """Every stop and start of one assistant, oldest first."""
        ...

    def stop_watch(self) -> StopWatch:
        """A new watch saying cheaply whether a stop or start may have committed since it last said
        (`store.stop_tables`); the caller closes it. The runtime re-reads `stops` only then."""
        ...

    # -- rollouts, assignments, telemetry (model.rollouts) -----------------------------------------
    def rollouts(self, workspace: str, assistant: str | None = None) -> tuple[RolloutRecord, ...]:
        """Every rollout of one assistant (or of the workspace), oldest first."""
        ...

    def active_rollout(self, workspace: str, assistant: str) -> RolloutRecord | None:
        """The assistant's rollout that is progressing or paused (at most one), or None."""
        ...

    def rollout_events(self, workspace: str, rollout_id: str) -> tuple[RolloutEvent, ...]:
        """Every move of one rollout, oldest first."""
        ...

    def analysis_runs(self, workspace: str, rollout_id: str) -> tuple[AnalysisRun, ...]:
        """The analysis runs of one rollout, by step (background analysis is step -1)."""
        ...

    def assignment(self, workspace: str, assistant: str, conversation: str) -> Assignment | None:
        """The version `conversation` is pinned to, or None when it has none yet."""
        ...

    def conversation_counts(
        self, workspace: str, assistant: str, *, seen_since: float | None = None, live_only: bool = False
    ) -> dict[int, int]:
        """version -> how many conversations are pinned to it (last seen at or after `seen_since`; with
        `live_only`, not counting conversations migrated to a copy, `moved_to` set)."""
        ...

    def live_conversations(self, workspace: str, *, seen_since: float) -> dict[str, dict[int, int]]:
        """assistant -> version -> conversations pinned to it, last seen at or after `seen_since` and not
        migrated to a copy (`moved_to` unset): the versions live conversations still need. One query."""
        ...

    def conversation_move(self, workspace: str, assistant: str, conversation: str) -> ConversationMove | None:
        """The latest move of `conversation`, or None when it never moved."""
        ...

    def telemetry(
        self, workspace: str, assistant: str, version: int, *, since: float, until: float
    ) -> TelemetryCounts:
        """The sums of what the runtime recorded for one version in buckets from `since` up to (not
        including) `until`, epoch seconds."""
        ...

    def journal(self, apply_id: str) -> ApplyRecord:
        """One apply with all its steps. Raises StateError for an unknown id."""
        ...

    def current_lock(self, workspace: str) -> Lease | None:
        """The lease row of a workspace, expired or not (check `Lease.expired(now)`), or None."""
        ...

    def close(self) -> None:
        """Close the connection. Idempotent."""
        ...

    def __enter__(self) -> Self:
        """`with open_store(dsn) as store:` closes the connection on the way out."""
        ...

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...


@runtime_checkable
class StateStore(StateReader, MigrationStore, BudgetStore, Protocol):
    """Read and write access. A write outside `transaction()` is atomic on its own."""

    def transaction(self) -> AbstractContextManager[None]:
        """Group several writes into one atomic unit; nested calls join the outer transaction, and any
        exception rolls the whole unit back. Other threads using the same store wait until it ends."""
        ...

    # -- inventory ---------------------------------------------------------------------------------
    def upsert_inventory(self, workspace: str, record: InventoryRecord) -> None:
        """Insert or replace the record named by its key."""
        ...

    def delete_inventory(self, workspace: str, key: ResourceKey) -> bool:
        """Forget one record. True when a record was removed."""
        ...

    # -- versions and release pointers -------------------------------------------------------------
    def add_version(self, workspace: str, version: VersionRecord) -> None:
        """Record a new immutable version. Raises StateError when that number already exists."""
        ...

    def mark_version_deleted(self, workspace: str, assistant: str, number: int) -> None:
        """Flag a version whose platform object is gone. Refused while a pointer holds the version."""
        ...

    def move_pointer(
        self,
        workspace: str,
        assistant: str,
        pointer: str,
        to_version: int,
        *,
        user: str,
        host: str,
        reason: str,
        now: float,
        accepted: Acceptance | None = None,
    ) -> PointerMove:
        """Point `pointer` at an existing, undeleted version; append the move to its history, atomically.
        `accepted` is the breaking change the move ships under acceptBreaking, kept with the move."""
        ...

    def clear_pointers(
        self, workspace: str, assistant: str, *, user: str, host: str, reason: str, now: float
    ) -> tuple[PointerMove, ...]:
        """Remove every pointer of `assistant` (its assistant was destroyed), appending one history row
        per pointer (`to_version` None), atomically; returns those rows (none when no pointer was set)."""
        ...

    # -- the stop button ---------------------------------------------------------------------------
    def set_stopped(
        self,
        workspace: str,
        assistant: str,
        stopped: bool,
        *,
        user: str,
        host: str,
        reason: str,
        now: float,
    ) -> StopEvent | None:
        """Stop `assistant` (`stopped` True: the runtime refuses it from the commit on) or start it again,
        appending the event to its stop history, atomically; a stopped store announces it to other
        connections (`stop_watch`). Returns the event, or None (nothing written) when the assistant was
        already stopped (or not stopped): the first stop and its reason stay in force."""
        ...

    # -- rollouts ----------------------------------------------------------------------------------
    def save_rollout(
        self, workspace: str, record: RolloutRecord, event: RolloutEvent, *, expect_revision: int | None
    ) -> RolloutRecord:
        """Insert (`expect_revision` None: a new id) or update a rollout, appending `event` to its history,
        atomically (joining an open transaction, so pointer moves can share it). An update is refused
        with `store.records.RevisionConflict` unless the stored revision is `expect_revision`; returns
        the record as saved, its revision one higher. Saving announces a control change to other
        connections, as a stop does (`stop_watch` says changed)."""
        ...

    def save_analysis_run(self, workspace: str, run: AnalysisRun) -> None:
        """Insert or replace the run of (`rollout_id`, `step_index`)."""
        ...

    def clear_pointer(
        self, workspace: str, assistant: str, pointer: str, *, user: str, host: str, reason: str, now: float
    ) -> PointerMove | None:
        """Remove one pointer (the canary's, when a rollout ends), with a history row; None when unset."""
        ...

    # -- conversations -----------------------------------------------------------------------------
    def assign_conversation(
        self,
        workspace: str,
        assistant: str,
        conversation: str,
        version: int,
        *,
        now: float,
        rollout_id: str | None = None,
    ) -> Assignment | None:
        """Pin `conversation` to `version` unless it is pinned already; returns the pin in force (two
        writers racing on one new conversation both get the first one's answer). With `rollout_id` (the
        canary was chosen under that rollout) the pin is written only while that rollout is active,
        atomically with respect to its abort; None when it has ended and no pin exists: choose again."""
        ...

    def touch_conversations(self, workspace: str, seen: Sequence[tuple[str, str]], *, now: float) -> None:
        """Set `last_seen` of these (assistant, conversation) pairs to `now`, in one transaction."""
        ...

    def import_conversations(
        self, workspace: str, pins: Iterable[Assignment], *, dry_run: bool = False
    ) -> PinImport:
        """Pin each conversation of `pins` (an application's own table, imported) unless it is pinned
        already: an existing pin is never overwritten, and one naming another version is reported in
        `conflicts`. One transaction, whatever the number of pins (they are read in chunks, so `pins` may
        be a stream); nothing is written when it raises, nor with `dry_run` (which counts all the same)."""
        ...

    def reassign_conversations(
        self, workspace: str, assistant: str, from_version: int, to_version: int, *, now: float
    ) -> int:
        """Move every conversation pinned to `from_version` to `to_version` (an abort with `onAbort:
        stable`); returns how many moved."""
        ...

    # -- telemetry ---------------------------------------------------------------------------------
    def add_telemetry(self, workspace: str, rows: Sequence[TelemetryRow]) -> None:
        """Add each row's counts to its (assistant, version, bucket), in one transaction (sums, and the
        maximum for `latency_ms_max`)."""
        ...

    # -- apply journal -----------------------------------------------------------------------------
    def begin_apply(self, workspace: str, plan_id: str, *, now: float) -> str:
        """Open a journal for executing `plan_id`; returns the new apply id."""
        ...

    def record_step(
        self,
        apply_id: str,
        step_key: str,
        status: StepStatus | str,
        detail: Mapping[str, Any],
        *,
        now: float,
    ) -> StepRecord:
        """Record where one step got to (pending/started/done/failed) with JSON-serialisable detail."""
        ...

    def steps(self, apply_id: str) -> dict[str, StepRecord]:
        """The latest record of every step of one apply."""
        ...

    def write_batch(
        self, workspace: str, batch: WriteBatch, *, user: str, host: str, now: float
    ) -> tuple[PointerMove, ...]:
        """Write a group of independent apply steps at once, atomically (joining an open transaction):
        inventory upserts and deletes, new versions (one already recorded is kept), pointer moves (one
        to where the pointer already is is skipped; a move to an unknown or deleted version raises
        StateError, as `move_pointer` does), then the journal rows, whose apply must still be running.
        Returns the pointer moves made, with history written for each."""
        ...

    def finish_apply(self, apply_id: str, status: ApplyStatus | str, *, now: float | None = None) -> None:
        """Close a running apply's journal with a final status (succeeded, failed or abandoned)."""
        ...

    def unfinished_apply(self, workspace: str, plan_id: str | None = None) -> ApplyRecord | None:
        """The most recent apply still `running` (crashed or interrupted), optionally for one plan."""
        ...

    # -- list hints --------------------------------------------------------------------------------
    def list_hints(self, workspace: str) -> dict[str, tuple[str, ...]]:
        """Per cursor list (e.g. "assistants"), the cursors its pages began at in the last read; a row
        that cannot be read back counts as none (they are hints)."""
        ...

    def save_list_hints(
        self,
        workspace: str,
        hints: Mapping[str, Sequence[str]],
        *,
        now: float,
        drop: Collection[str] = (),
    ) -> None:
        """Replace the cursors of each list named in `hints` and forget the lists named in `drop`
        (unless `hints` names them too); other lists keep theirs. One transaction, which waits only
        briefly for another writer (StateError then): hints are optional, and a plan saves them."""
        ...

    # -- pacing ------------------------------------------------------------------------------------
    def take_pace_slot(self, budget: str, *, limit: int, window_seconds: float, now: float) -> float:
        """Take the next request slot of the shared budget `budget` (not scoped by workspace: the Admin
        API of one endpoint, say) and return its start, in epoch seconds like `now`: the first time, at
        or after `now` and after every slot already taken, at which fewer than `limit` slots fall in the
        `window_seconds` before it. The caller sleeps until then. Atomic across processes, so callers on
        one store never admit more than `limit` a window between them; slots older than a window, or
        implausibly far ahead (a clock far off), are forgotten, so a crashed caller holds nothing long."""
        ...

    # -- leases ------------------------------------------------------------------------------------
    def acquire_lock(
        self,
        workspace: str,
        *,
        owner: str,
        host: str,
        ttl_seconds: float,
        now: float,
        pid: int | None = None,
        process_start: str = "",
    ) -> Lease:
        """Take the workspace lease, recording the holding process when given. Raises LockHeld naming the
        holder while an unexpired lease exists (leases are not re-entrant: the holder renews its Lease);
        an expired lease is taken over."""
        ...

    def take_over_lock(
        self,
        dead: Lease,
        *,
        owner: str,
        host: str,
        ttl_seconds: float,
        now: float,
        pid: int | None = None,
        process_start: str = "",
    ) -> Lease:
        """Replace the lease `dead` (whose holder the caller proved gone) with a new one, atomically: only
        while `dead` is still the current lease (same lock id), so of two callers only one succeeds; the
        other gets LockHeld naming the winner. Acquires normally when no lease is left."""
        ...

    def renew_lock(self, lease: Lease, *, now: float) -> Lease:
        """Extend a lease we still hold by its ttl. Raises LockHeld if another holder took it over, or
        LeaseLost (a StateError) if it was released or force-unlocked."""
        ...

    def release_lock(self, lease: Lease) -> None:
        """Give the lease back. Releasing a lease that was already taken over or removed does nothing."""
        ...

    def force_unlock(self, workspace: str, lock_id: str) -> Lease:
        """Remove a lease by id whatever its holder (`reconcile state unlock ID`); returns what was removed.
        Raises StateError when the workspace holds no lock with that id."""
        ...
