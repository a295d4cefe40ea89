"""Canary rollouts in the store: each rollout's record (compare and swap on its `revision`, at most one
active per assistant), the history of its moves, and its analysis runs (`model.rollouts`).

A rollout's save changes what the runtime serves, so it is announced as a stop is (`StopTables`): every
stop watch says changed once it commits. Pointer moves and reassignments that go with it share its
transaction (`store.transitions`).
"""

from __future__ import annotations

from typing import Any

from reconciler.errors import StateError
from reconciler.model.rollouts import AnalysisRun, RolloutEvent, RolloutRecord, RolloutStatus
from reconciler.store import rows
from reconciler.store.guard import check_text, dump_json, dump_json_value
from reconciler.store.records import RevisionConflict
from reconciler.store.sqlcore import Row
from reconciler.store.stop_tables import StopTables

__all__ = ["RolloutTables"]

_ACTIVE = tuple(status.value for status in RolloutStatus if status.active)
_IS_ACTIVE = f"status IN ({', '.join('?' for _ in _ACTIVE)})"

_ROLLOUT_COLUMNS = (
    "id, assistant, stable_version, canary_version, steps, analysis, templates, on_abort, status, "
    "step_index, step_started_at, weight, message, created_at, updated_at, revision"
)
_INSERT_ROLLOUT = (
    f"INSERT INTO rollouts (workspace, {_ROLLOUT_COLUMNS}) "  # noqa: S608 (only ? marks)
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
# The compare and swap: the row changes only while it is at the revision the caller read.
_UPDATE_ROLLOUT = (
    "UPDATE rollouts SET stable_version = ?, canary_version = ?, steps = ?, analysis = ?, templates = ?, "
    "on_abort = ?, status = ?, step_index = ?, step_started_at = ?, weight = ?, message = ?, "
    "created_at = ?, updated_at = ?, revision = ? "
    "WHERE id = ? AND workspace = ? AND assistant = ? AND revision = ?"
)
_INSERT_EVENT = (
    "INSERT INTO rollout_events (workspace, rollout_id, assistant, action, at, by_user, by_host, reason, "
    "step_index, weight) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_RUN_COLUMNS = (
    "rollout_id, step_index, templates, args, phase, started_at, finished_at, measurements, message"
)
_UPSERT_RUN = (
    f"INSERT INTO analysis_runs (workspace, {_RUN_COLUMNS}) "  # noqa: S608 (only ? marks)
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (rollout_id, step_index) DO UPDATE SET "
    "templates = excluded.templates, args = excluded.args, phase = excluded.phase, "
    "started_at = excluded.started_at, finished_at = excluded.finished_at, "
    "measurements = excluded.measurements, message = excluded.message"
)


def _to_rollout(row: Row) -> RolloutRecord:
    (rid, assistant, stable, canary, steps, analysis, templates, on_abort, status, step_index,
     step_started_at, weight, message, created_at, updated_at, revision) = row  # fmt: skip
    return rows.decode(
        "rollouts",
        lambda: rows.row_key(id=rid),
        lambda: RolloutRecord.model_validate(
            {
                "id": rows.text(rid, "id"),
                "assistant": rows.text(assistant, "assistant"),
                "stable_version": rows.integer(stable, "stable_version"),
                "canary_version": rows.integer(canary, "canary_version"),
                "steps": rows.json_array(steps, "steps"),
                "analysis": rows.json_object(analysis, "analysis") or None,
                "templates": rows.json_object(templates, "templates"),
                "on_abort": rows.text(on_abort, "on_abort"),
                "status": rows.text(status, "status"),
                "step_index": rows.integer(step_index, "step_index"),
                "step_started_at": rows.timestamp(step_started_at, "step_started_at"),
                "weight": rows.integer(weight, "weight"),
                "message": rows.text(message, "message"),
                "created_at": rows.timestamp(created_at, "created_at"),
                "updated_at": rows.timestamp(updated_at, "updated_at"),
                "revision": rows.integer(revision, "revision"),
            }
        ),
    )


def _to_event(row: Row) -> RolloutEvent:
    rollout_id, assistant, action, at, user, host, reason, step_index, weight = row
    return rows.decode(
        "rollout_events",
        lambda: rows.row_key(rollout_id=rollout_id, at=at),
        lambda: RolloutEvent(
            rollout_id=rows.text(rollout_id, "rollout_id"),
            assistant=rows.text(assistant, "assistant"),
            action=rows.text(action, "action"),
            at=rows.timestamp(at, "at"),
            user=rows.text(user, "by_user"),
            host=rows.text(host, "by_host"),
            reason=rows.text(reason, "reason"),
            step_index=rows.integer(step_index, "step_index"),
            weight=rows.integer(weight, "weight"),
        ),
    )


def _to_run(row: Row) -> AnalysisRun:
    rollout_id, step_index, templates, args, phase, started_at, finished_at, measurements, message = row
    return rows.decode(
        "analysis_runs",
        lambda: rows.row_key(rollout_id=rollout_id, step_index=step_index),
        lambda: AnalysisRun.model_validate(
            {
                "rollout_id": rows.text(rollout_id, "rollout_id"),
                "step_index": rows.integer(step_index, "step_index"),
                "templates": rows.json_array(templates, "templates"),
                "args": rows.json_object(args, "args"),
                "phase": rows.text(phase, "phase"),
                "started_at": rows.timestamp(started_at, "started_at"),
                "finished_at": rows.optional_timestamp(finished_at, "finished_at"),
                "measurements": rows.json_array(measurements, "measurements"),
                "message": rows.text(message, "message"),
            }
        ),
    )


def _rollout_values(record: RolloutRecord) -> tuple[Any, ...]:
    """The record's columns after `id, assistant` in `_ROLLOUT_COLUMNS` order, encoded and checked."""
    what = f"rollout {record.id} of {record.assistant}"
    steps = dump_json_value([s.model_dump(mode="json") for s in record.steps], what=f"the steps of {what}")
    analysis = (
        None
        if record.analysis is None
        else dump_json(record.analysis.model_dump(mode="json"), what=f"the analysis of {what}")
    )
    templates = dump_json(
        {name: template.model_dump(mode="json") for name, template in record.templates.items()},
        what=f"the analysis templates of {what}",
    )
    return (
        record.stable_version,
        record.canary_version,
        steps,
        analysis,
        templates,
        record.on_abort,
        record.status.value,
        record.step_index,
        record.step_started_at,
        record.weight,
        check_text(record.message, what=f"the message of {what}"),
        record.created_at,
        record.updated_at,
        record.revision,
    )


def _run_values(workspace: str, run: AnalysisRun) -> tuple[Any, ...]:
    what = f"the analysis run of rollout {run.rollout_id} step {run.step_index}"
    return (
        workspace,
        run.rollout_id,
        run.step_index,
        dump_json_value(list(run.templates), what=what),
        dump_json(run.args, what=what),
        run.phase.value,
        run.started_at,
        run.finished_at,
        dump_json_value([m.model_dump(mode="json") for m in run.measurements], what=what),
        check_text(run.message, what=what),
    )


class RolloutTables(StopTables):
    # -- reads -------------------------------------------------------------------------------------
    def rollouts(self, workspace: str, assistant: str | None = None) -> tuple[RolloutRecord, ...]:
        # Ties in `created_at` (one clock tick) are broken by id, only so the order is the same each read.
        if assistant is None:
            found = self._query(
                f"SELECT {_ROLLOUT_COLUMNS} FROM rollouts WHERE workspace = ? "  # noqa: S608 (only ? marks)
                "ORDER BY created_at, id",
                (self._workspace(workspace),),
            )
        else:
            found = self._query(
                f"SELECT {_ROLLOUT_COLUMNS} FROM rollouts WHERE workspace = ? AND assistant = ? "  # noqa: S608
                "ORDER BY created_at, id",
                (self._workspace(workspace), assistant),
            )
        return tuple(_to_rollout(row) for row in found)

    def active_rollout(self, workspace: str, assistant: str) -> RolloutRecord | None:
        found = self._query(
            f"SELECT {_ROLLOUT_COLUMNS} FROM rollouts "  # noqa: S608 (only ? marks)
            f"WHERE workspace = ? AND assistant = ? AND {_IS_ACTIVE}",
            (self._workspace(workspace), assistant, *_ACTIVE),
        )
        return _to_rollout(found[0]) if found else None

    def _active_rollouts(self, workspace: str) -> dict[str, RolloutRecord]:
        """assistant -> its active rollout, for `read()`'s snapshot (`StoredState.rollouts`)."""
        found = self._query(
            f"SELECT {_ROLLOUT_COLUMNS} FROM rollouts "  # noqa: S608 (only ? marks)
            f"WHERE workspace = ? AND {_IS_ACTIVE} ORDER BY assistant",
            (self._workspace(workspace), *_ACTIVE),
        )
        return {record.assistant: record for record in map(_to_rollout, found)}

    def _aborted_rollouts(self, workspace: str) -> dict[str, RolloutRecord]:
        """assistant -> its latest rollout when it ended aborted (`StoredState.aborted`)."""
        latest: dict[str, RolloutRecord] = {}
        for record in self.rollouts(workspace):
            latest[record.assistant] = record  # oldest first: the last one kept is the latest
        return {name: r for name, r in latest.items() if r.status is RolloutStatus.ABORTED}

    def rollout_events(self, workspace: str, rollout_id: str) -> tuple[RolloutEvent, ...]:
        found = self._query(
            "SELECT rollout_id, assistant, action, at, by_user, by_host, reason, step_index, weight "
            "FROM rollout_events WHERE rollout_id = ? AND workspace = ? ORDER BY id",
            (rollout_id, self._workspace(workspace)),
        )
        return tuple(_to_event(row) for row in found)

    def analysis_runs(self, workspace: str, rollout_id: str) -> tuple[AnalysisRun, ...]:
        found = self._query(
            f"SELECT {_RUN_COLUMNS} FROM analysis_runs "  # noqa: S608 (only ? marks)
            "WHERE rollout_id = ? AND workspace = ? ORDER BY step_index",
            (rollout_id, self._workspace(workspace)),
        )
        return tuple(_to_run(row) for row in found)

    # -- writes ------------------------------------------------------------------------------------
    def save_rollout(
        self, workspace: str, record: RolloutRecord, event: RolloutEvent, *, expect_revision: int | None
    ) -> RolloutRecord:
        workspace = self._workspace(workspace)
        if not record.id or not record.assistant:
            raise StateError("a rollout needs an id and an assistant")
        if (event.rollout_id, event.assistant) != (record.id, record.assistant):
            raise StateError(
                f"the event of rollout {record.id} ({record.assistant}) names rollout {event.rollout_id} "
                f"({event.assistant})"
            )
        base = record.revision if expect_revision is None else expect_revision
        saved = record.model_copy(update={"revision": base + 1})
        values = _rollout_values(saved)  # encoded first: a refused value fails before the transaction
        check_text(event.reason, what=f"the reason of a move of rollout {record.id}")
        with self.transaction():
            # One writer at a time per assistant, so what is checked here still holds when we write. The
            # pointers' lock: a move takes it again for the pointer moves it implies (store.transitions),
            # and one lock for both cannot be taken in two orders by two writers (a deadlock).
            self._serialize(f"pointers/{workspace}/{saved.assistant}")
            if expect_revision is None:
                if self._query("SELECT 1 FROM rollouts WHERE id = ?", (saved.id,)):
                    raise StateError(f"rollout {saved.id} already exists; a new rollout needs a new id")
            else:
                self._check_revision(workspace, saved, expect_revision)
            if saved.status.active:
                self._refuse_second_active(workspace, saved)
            if expect_revision is None:
                self._exec(_INSERT_ROLLOUT, (workspace, saved.id, saved.assistant, *values))
            else:
                updated = self._exec(
                    _UPDATE_ROLLOUT, (*values, saved.id, workspace, saved.assistant, expect_revision)
                )
                if not updated:  # checked above under the lock; the swap stays atomic on its own
                    self._check_revision(workspace, saved, expect_revision)
                    raise RevisionConflict(f"rollout {saved.id} changed while it was saved; read it again")
            self._exec(
                _INSERT_EVENT,
                (
                    workspace,
                    saved.id,
                    saved.assistant,
                    event.action,
                    event.at,
                    event.user,
                    event.host,
                    event.reason,
                    event.step_index,
                    event.weight,
                ),
            )
            self._announce_change(f"{workspace}/{saved.assistant}")
        return saved

    def _refuse_second_active(self, workspace: str, record: RolloutRecord) -> None:
        other = self._query(
            f"SELECT id FROM rollouts WHERE workspace = ? AND assistant = ? AND {_IS_ACTIVE} AND id <> ?",  # noqa: S608
            (workspace, record.assistant, *_ACTIVE, record.id),
        )
        if other:
            raise StateError(
                f"{record.assistant} already has an active rollout ({other[0][0]}) in {workspace}; "
                "it must end (or be superseded) before another starts"
            )

    def _check_revision(self, workspace: str, record: RolloutRecord, expect_revision: int) -> None:
        """Refuse an update of an unknown rollout, of another assistant's, or from a stale read."""
        found = self._query(
            "SELECT assistant, revision FROM rollouts WHERE id = ? AND workspace = ?", (record.id, workspace)
        )
        if not found:
            raise StateError(f"no rollout {record.id} in {workspace}")
        assistant, revision = found[0]
        if assistant != record.assistant:
            raise StateError(f"rollout {record.id} is a rollout of {assistant}, not of {record.assistant}")
        if revision != expect_revision:
            raise RevisionConflict(
                f"rollout {record.id} of {record.assistant} changed since it was read (revision {revision}, "
                f"not {expect_revision}): another controller or an operator moved it; read it again"
            )

    def save_analysis_run(self, workspace: str, run: AnalysisRun) -> None:
        workspace = self._workspace(workspace)
        values = _run_values(workspace, run)
        with self.transaction():
            if not self._query(
                "SELECT 1 FROM rollouts WHERE id = ? AND workspace = ?", (run.rollout_id, workspace)
            ):
                raise StateError(f"no rollout {run.rollout_id} in {workspace} for an analysis run")
            self._exec(_UPSERT_RUN, values)
