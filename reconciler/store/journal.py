"""The apply journal: one row per apply (which plan, how it ended) and one per step (latest status, detail,
attempts), so an apply that crashed or was interrupted can be found and resumed step by step.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from reconciler.errors import StateError
from reconciler.store import rows
from reconciler.store.guard import dump_json, load_json
from reconciler.store.records import ApplyRecord, ApplyStatus, StepRecord, StepStatus
from reconciler.store.sqlcore import Row, SqlCore

__all__ = ["UPSERT_STEP", "JournalTables", "step_row"]


UPSERT_STEP = (
    "INSERT INTO apply_steps (apply_id, step_key, status, detail, attempts, updated_at) "
    "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (apply_id, step_key) DO UPDATE SET "
    "status = excluded.status, detail = excluded.detail, updated_at = excluded.updated_at, "
    "attempts = apply_steps.attempts + excluded.attempts"
)


def step_row(apply_id: str, step_key: str, status: StepStatus, detail: Mapping[str, Any], now: float) -> Row:
    """The parameters of UPSERT_STEP: a `started` record counts one more attempt."""
    text = dump_json(detail, what=f"detail of step {step_key}")
    return (apply_id, step_key, status.value, text, int(status is StepStatus.STARTED), now)


def _status(value: StepStatus | str) -> StepStatus:
    try:
        return StepStatus(value)
    except ValueError:
        allowed = ", ".join(s.value for s in StepStatus)
        raise StateError(f"unknown step status {value!r} (expected one of {allowed})") from None


def _to_step(apply_id: str, row: Row) -> StepRecord:
    key, status, detail, updated_at, attempts = row
    return rows.decode(
        "apply_steps",
        lambda: rows.row_key(apply_id=apply_id, step_key=key),
        lambda: StepRecord(
            step_key=rows.text(key, "step_key"),
            status=StepStatus(rows.text(status, "status")),
            detail=rows.json_object(detail, "detail"),
            updated_at=rows.timestamp(updated_at, "updated_at"),
            attempts=rows.integer(attempts, "attempts"),
        ),
    )


class JournalTables(SqlCore):
    def begin_apply(self, workspace: str, plan_id: str, *, now: float) -> str:
        apply_id = f"apply-{uuid.uuid4().hex}"
        with self.transaction():
            self._serialize(f"applies/{workspace}")
            # `seq` orders applies that started in the same second (a fake clock does that).
            last = self._query("SELECT COALESCE(MAX(seq), 0) FROM applies WHERE workspace = ?", (workspace,))
            seq = rows.decode(
                "applies",
                lambda: rows.row_key(workspace=workspace),
                lambda: rows.integer(last[0][0], "seq") + 1,
            )
            self._exec(
                "INSERT INTO applies (seq, apply_id, workspace, plan_id, status, started_at, finished_at) "
                "VALUES (?, ?, ?, ?, ?, ?, NULL)",
                (
                    seq,
                    apply_id,
                    self._workspace(workspace),
                    plan_id,
                    ApplyStatus.RUNNING.value,
                    now,
                ),
            )
        return apply_id

    def record_step(
        self,
        apply_id: str,
        step_key: str,
        status: StepStatus | str,
        detail: Mapping[str, Any],
        *,
        now: float,
    ) -> StepRecord:
        step_status = _status(status)
        text = dump_json(detail, what=f"detail of step {step_key}")
        started = int(step_status is StepStatus.STARTED)
        with self.transaction():
            self._require_running(apply_id)
            returned = self._query(
                UPSERT_STEP + " RETURNING attempts",
                (apply_id, step_key, step_status.value, text, started, now),
            )
        return StepRecord(
            step_key=step_key,
            status=step_status,
            detail=load_json(text),
            updated_at=now,
            attempts=int(returned[0][0]),
        )

    def steps(self, apply_id: str) -> dict[str, StepRecord]:
        with self._snapshot():
            self._apply_row(apply_id)
            return self._steps(apply_id)

    def _steps(self, apply_id: str) -> dict[str, StepRecord]:
        found = self._query(
            "SELECT step_key, status, detail, updated_at, attempts FROM apply_steps "
            "WHERE apply_id = ? ORDER BY step_key",
            (apply_id,),
        )
        steps = (_to_step(apply_id, row) for row in found)
        return {step.step_key: step for step in steps}

    def finish_apply(self, apply_id: str, status: ApplyStatus | str, *, now: float | None = None) -> None:
        try:
            final = ApplyStatus(status)
        except ValueError:
            final = ApplyStatus.RUNNING  # rejected just below, with the allowed values
        if final is ApplyStatus.RUNNING:
            raise StateError(f"finish_apply needs succeeded, failed or abandoned, not {status!r}")
        with self.transaction():
            # Conditional update, so two finishers racing cannot both close the journal.
            closed = self._exec(
                "UPDATE applies SET status = ?, finished_at = ? WHERE apply_id = ? AND status = ?",
                (final.value, now, apply_id, ApplyStatus.RUNNING.value),
            )
            if not closed:
                self._require_running(apply_id)  # raises the precise reason: unknown or already finished

    def journal(self, apply_id: str) -> ApplyRecord:
        with self._snapshot():
            return self._record(self._apply_row(apply_id))

    def unfinished_apply(self, workspace: str, plan_id: str | None = None) -> ApplyRecord | None:
        sql = (
            "SELECT apply_id, workspace, plan_id, status, started_at, finished_at "
            "FROM applies "
            "WHERE workspace = ? AND status = ?"
        )
        params: list[Any] = [self._workspace(workspace), ApplyStatus.RUNNING.value]
        if plan_id is not None:
            sql += " AND plan_id = ?"
            params.append(plan_id)
        with self._snapshot():
            found = self._query(sql + " ORDER BY seq DESC LIMIT 1", params)
            return self._record(found[0]) if found else None

    # -- helpers -----------------------------------------------------------------------------------
    def _apply_row(self, apply_id: str) -> Row:
        found = self._query(
            "SELECT apply_id, workspace, plan_id, status, started_at, finished_at "
            "FROM applies "
            "WHERE apply_id = ?",
            (apply_id,),
        )
        if not found:
            raise StateError(f"no apply with id {apply_id!r} in the journal")
        return found[0]

    def _require_running(self, apply_id: str) -> None:
        status = self._apply_row(apply_id)[3]
        if status != ApplyStatus.RUNNING.value:
            raise StateError(f"apply {apply_id} already finished ({status}); its journal is closed")

    def _record(self, row: Row) -> ApplyRecord:
        apply_id, workspace, plan_id, status, started_at, finished_at = row
        record = rows.decode(
            "applies",
            lambda: rows.row_key(apply_id=apply_id),
            lambda: ApplyRecord(
                apply_id=rows.text(apply_id, "apply_id"),
                workspace=rows.text(workspace, "workspace"),
                plan_id=rows.text(plan_id, "plan_id"),
                status=ApplyStatus(rows.text(status, "status")),
                started_at=rows.timestamp(started_at, "started_at"),
                finished_at=rows.optional_timestamp(finished_at, "finished_at"),
            ),
        )
        return replace(record, steps=self._steps(record.apply_id))
