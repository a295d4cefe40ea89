"""The canary's tables: rollouts and their history, analysis runs, conversation assignments and the
runtime's telemetry buckets (`model.rollouts`). Skeleton: filled in by the store work of issue 16."""

from __future__ import annotations

from collections.abc import Sequence

from reconciler.model.rollouts import (
    AnalysisRun,
    Assignment,
    RolloutEvent,
    RolloutRecord,
    TelemetryCounts,
    TelemetryRow,
)
from reconciler.model.stored import PointerMove
from reconciler.store.sqlcore import SqlCore

__all__ = ["RolloutTables"]


class RolloutTables(SqlCore):
    def rollouts(self, workspace: str, assistant: str | None = None) -> tuple[RolloutRecord, ...]:
        raise NotImplementedError

    def active_rollout(self, workspace: str, assistant: str) -> RolloutRecord | None:
        raise NotImplementedError

    def rollout_events(self, workspace: str, rollout_id: str) -> tuple[RolloutEvent, ...]:
        raise NotImplementedError

    def analysis_runs(self, workspace: str, rollout_id: str) -> tuple[AnalysisRun, ...]:
        raise NotImplementedError

    def assignment(self, workspace: str, assistant: str, conversation: str) -> Assignment | None:
        raise NotImplementedError

    def conversation_counts(
        self, workspace: str, assistant: str, *, seen_since: float | None = None
    ) -> dict[int, int]:
        raise NotImplementedError

    def telemetry(
        self, workspace: str, assistant: str, version: int, *, since: float, until: float
    ) -> TelemetryCounts:
        raise NotImplementedError

    def save_rollout(
        self, workspace: str, record: RolloutRecord, event: RolloutEvent, *, expect_revision: int | None
    ) -> RolloutRecord:
        raise NotImplementedError

    def save_analysis_run(self, workspace: str, run: AnalysisRun) -> None:
        raise NotImplementedError

    def clear_pointer(
        self, workspace: str, assistant: str, pointer: str, *, user: str, host: str, reason: str, now: float
    ) -> PointerMove | None:
        raise NotImplementedError

    def assign_conversation(
        self, workspace: str, assistant: str, conversation: str, version: int, *, now: float
    ) -> Assignment:
        raise NotImplementedError

    def touch_conversations(self, workspace: str, seen: Sequence[tuple[str, str]], *, now: float) -> None:
        raise NotImplementedError

    def reassign_conversations(
        self, workspace: str, assistant: str, from_version: int, to_version: int, *, now: float
    ) -> int:
        raise NotImplementedError

    def add_telemetry(self, workspace: str, rows: Sequence[TelemetryRow]) -> None:
        raise NotImplementedError
