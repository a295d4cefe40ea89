"""A real in-memory SQLite store (versions, pointers, stops, the stop watch) whose issue-16 methods - the
ones the runtime calls: rollouts, assignments, telemetry - are kept in memory, so the runtime is tested
before (and apart from) the store's own tables. Rollout saves make the watch say changed, as the real
store's do; `fail_writes` makes the next telemetry writes raise."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from reconciler.errors import StateError
from reconciler.model.rollouts import (
    Assignment,
    CanaryStep,
    RolloutRecord,
    RolloutStatus,
    TelemetryCounts,
    TelemetryRow,
)
from reconciler.model.stored import VersionRecord
from reconciler.store import StateStore
from reconciler.store.stop_tables import StopWatch

WS = "local"
NAME = "CorporateAssist"


def bundle(version: int, tools: Sequence[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A release bundle as apply records it, with function tools (default: `ping` and strict `book`)."""
    if tools is None:
        tools = [
            {
                "type": "function",
                "name": "ping",
                "parameters": {
                    "type": "object",
                    "properties": {"n": {"type": "integer"}},
                    "required": ["n"],
                },
                "strict": False,
            },
            {
                "type": "function",
                "name": "book",
                "parameters": {
                    "type": "object",
                    "properties": {"room": {"type": "string"}},
                    "required": ["room"],
                    "additionalProperties": False,
                },
                "strict": True,
            },
        ]
    return {
        "id": f"bndl_v{version}",
        "name": NAME,
        "model": "gpt-4.1-2025-04-14",
        "instructions": f"version {version}",
        "tools": list(tools),
        "metadata": {"reconciler/name": NAME, "reconciler/version": str(version), "managed-by": "reconciler"},
    }


def seed(
    store: StateStore, versions: Sequence[int] = (1, 2), stable: int = 1, *, bundles: bool = True
) -> None:
    for n in versions:
        store.add_version(
            WS,
            VersionRecord(
                assistant=NAME,
                number=n,
                platform_id=f"bndl_v{n}" if bundles else f"asst_v{n}",
                fingerprint=f"f{n}",
                bundle=bundle(n) if bundles else {},
            ),
        )
    store.move_pointer(WS, NAME, "stable", stable, user="ci", host="h", reason="", now=0.0)


def rollout(
    weight: int,
    *,
    rid: str = "ro_1",
    status: RolloutStatus = RolloutStatus.PROGRESSING,
    stable: int = 1,
    canary: int = 2,
    revision: int = 1,
    on_abort: str = "keep",
) -> RolloutRecord:
    return RolloutRecord(
        id=rid,
        assistant=NAME,
        stable_version=stable,
        canary_version=canary,
        steps=(CanaryStep(weight=weight),),
        status=status,
        weight=weight,
        revision=revision,
        on_abort=on_abort,  # type: ignore[arg-type]
    )


class _Watch:
    def __init__(self, inner: StopWatch, store: FakeCanaryStore) -> None:
        self._inner = inner
        self._store = store
        self._seen = -1
        self.calls = 0

    def changed(self) -> bool:
        self.calls += 1
        inner = self._inner.changed()  # always asked: it keeps its own mark
        saves = self._store.saves
        if saves != self._seen:
            self._seen = saves
            return True
        return inner

    def close(self) -> None:
        self._inner.close()


class FakeCanaryStore:
    """Delegates everything else to `inner`."""

    def __init__(self, inner: StateStore) -> None:
        self._inner = inner
        self.records: dict[str, RolloutRecord] = {}
        self.pins: dict[tuple[str, str], Assignment] = {}
        self.rows: list[TelemetryRow] = []
        self.touched: list[tuple[tuple[str, str], ...]] = []
        self.calls: Counter[str] = Counter()
        self.saves = 0
        self.fail_writes = 0
        self.watches: list[_Watch] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    # reads the runtime makes, counted so tests can tell a cache hit from a store read
    def versions(self, workspace: str, assistant: str) -> tuple[VersionRecord, ...]:
        self.calls["versions"] += 1
        return self._inner.versions(workspace, assistant)

    def pointers(self, workspace: str, assistant: str) -> dict[str, int]:
        self.calls["pointers"] += 1
        return self._inner.pointers(workspace, assistant)

    def stop_watch(self) -> StopWatch:
        watch = _Watch(self._inner.stop_watch(), self)
        self.watches.append(watch)
        return watch

    # -- rollouts --------------------------------------------------------------------------------------
    def save(self, record: RolloutRecord) -> None:
        """A rollout save (what the controller does): announced through the watch. An abort with
        onAbort: stable rewrites the canary's pins in the same step, as the real store's transaction."""
        if record.status == RolloutStatus.ABORTED and record.on_abort == "stable":
            for key, pin in list(self.pins.items()):
                if pin.assistant == record.assistant and pin.version == record.canary_version:
                    self.pins[key] = pin.model_copy(update={"version": record.stable_version})
        self.records[record.id] = record
        self.saves += 1

    def active_rollout(self, workspace: str, assistant: str) -> RolloutRecord | None:
        self.calls["active_rollout"] += 1
        return next((r for r in self.records.values() if r.assistant == assistant and r.status.active), None)

    # -- conversations ---------------------------------------------------------------------------------
    def assignment(self, workspace: str, assistant: str, conversation: str) -> Assignment | None:
        self.calls["assignment"] += 1
        return self.pins.get((assistant, conversation))

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
        self.calls["assign_conversation"] += 1
        held = self.pins.get((assistant, conversation))
        if held is None and rollout_id is not None:
            active = self.active_rollout(workspace, assistant)
            if active is None or active.id != rollout_id:
                return None
        return self.pins.setdefault(
            (assistant, conversation),
            Assignment(
                conversation=conversation,
                assistant=assistant,
                version=version,
                assigned_at=now,
                last_seen=now,
            ),
        )

    def touch_conversations(self, workspace: str, seen: Sequence[tuple[str, str]], *, now: float) -> None:
        self._maybe_fail()
        self.touched.append(tuple(seen))

    # -- telemetry -------------------------------------------------------------------------------------
    def add_telemetry(self, workspace: str, rows: Sequence[TelemetryRow]) -> None:
        self.calls["add_telemetry"] += 1
        self._maybe_fail()
        self.rows.extend(rows)

    def _maybe_fail(self) -> None:
        if self.fail_writes > 0:
            self.fail_writes -= 1
            raise StateError("database is locked")

    def sums(self, version: int) -> TelemetryCounts:
        total = TelemetryCounts()
        for row in self.rows:
            if row.version == version:
                total = total + row.counts
        return total
