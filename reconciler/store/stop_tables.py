"""The stop button's tables: the current stops (`stops`, one row per stopped assistant) and the history of
every stop and start (`stop_history`: who, where, when, why), written together in one transaction.

A `StopWatch` tells a reader cheaply whether a stop or start may have committed since it last asked, so
the runtime re-reads the (small) `stops` table only then. A rollout's save announces itself the same way
(`store.rollout_tables`): it changes what the runtime serves too. How the watch knows is the backend's
business: SQLite compares `PRAGMA data_version` (bumped by commits on other connections) and a count of
announced writes committed through this store's own connection; PostgreSQL listens on `STOP_CHANNEL`,
which every announced write notifies in its transaction (so the notice is delivered when, and only if,
it commits).
"""

from __future__ import annotations

from typing import Protocol

from reconciler.errors import StateError
from reconciler.model.stored import StopEvent
from reconciler.store import rows
from reconciler.store.guard import check_text
from reconciler.store.sqlcore import Row, SqlCore

__all__ = ["STOP_CHANNEL", "StopTables", "StopWatch"]

STOP_CHANNEL = "reconciler_stops"


class StopWatch(Protocol):
    """Whether the stop state may have changed since the last call to `changed` (True on the first)."""

    def changed(self) -> bool:
        """True when a stop or start may have committed since the previous call. A false True only
        costs a re-read; a false False would serve a stopped assistant, so a watch that cannot tell
        (its connection lost) says True."""
        ...

    def close(self) -> None:
        """Release what the watch holds (a listening connection). Idempotent."""
        ...


def _to_current(row: Row) -> StopEvent:
    assistant, at, user, host, reason = row
    return rows.decode(
        "stops",
        lambda: rows.row_key(assistant=assistant),
        lambda: StopEvent(
            assistant=rows.text(assistant, "assistant"),
            stopped=True,
            at=rows.timestamp(at, "stopped_at"),
            user=rows.text(user, "stopped_by_user"),
            host=rows.text(host, "stopped_by_host"),
            reason=rows.text(reason, "reason"),
        ),
    )


def _to_event(row: Row) -> StopEvent:
    assistant, stopped, at, user, host, reason = row
    return rows.decode(
        "stop_history",
        lambda: rows.row_key(assistant=assistant, at=at),
        lambda: StopEvent(
            assistant=rows.text(assistant, "assistant"),
            stopped=rows.flag(stopped, "stopped"),
            at=rows.timestamp(at, "at"),
            user=rows.text(user, "by_user"),
            host=rows.text(host, "by_host"),
            reason=rows.text(reason, "reason"),
        ),
    )


class StopTables(SqlCore):
    _stop_writes = 0  # stops, starts and rollout saves committed through this connection (see StopWatch)

    # -- reads -------------------------------------------------------------------------------------
    def stops(self, workspace: str) -> dict[str, StopEvent]:
        found = self._query(
            "SELECT assistant, stopped_at, stopped_by_user, stopped_by_host, reason FROM stops "
            "WHERE workspace = ? ORDER BY assistant",
            (self._workspace(workspace),),
        )
        return {stop.assistant: stop for stop in map(_to_current, found)}

    def stop_history(self, workspace: str, assistant: str) -> tuple[StopEvent, ...]:
        found = self._query(
            "SELECT assistant, stopped, at, by_user, by_host, reason FROM stop_history "
            "WHERE workspace = ? AND assistant = ? ORDER BY id",
            (self._workspace(workspace), assistant),
        )
        return tuple(_to_event(row) for row in found)

    def stop_watch(self) -> StopWatch:
        raise NotImplementedError

    # -- writes ------------------------------------------------------------------------------------
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
        if not assistant:
            raise StateError("a stop needs an assistant name")
        check_text(reason, what="the reason of a stop")
        with self.transaction():
            self._serialize(f"stops/{workspace}/{assistant}")
            held = self._query(
                "SELECT 1 FROM stops WHERE workspace = ? AND assistant = ?",
                (self._workspace(workspace), assistant),
            )
            if bool(held) == stopped:
                return None  # already so: nothing to record
            event = StopEvent(
                assistant=assistant, stopped=stopped, at=now, user=user, host=host, reason=reason
            )
            if stopped:
                self._exec(
                    "INSERT INTO stops (workspace, assistant, stopped_at, stopped_by_user, stopped_by_host, "
                    "reason) VALUES (?, ?, ?, ?, ?, ?)",
                    (workspace, assistant, now, user, host, reason),
                )
            else:
                self._exec("DELETE FROM stops WHERE workspace = ? AND assistant = ?", (workspace, assistant))
            self._exec(
                "INSERT INTO stop_history (workspace, assistant, stopped, at, by_user, by_host, reason) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (workspace, assistant, int(stopped), now, user, host, reason),
            )
            self._announce_change(f"{workspace}/{assistant}")
        return event

    def _announce_change(self, payload: str) -> None:
        """Inside a write transaction that changes what the runtime obeys (a stop, a rollout): every
        stop watch will say changed once it commits, and none if it rolls back - on other connections
        through the backend's notice, on this one through `_stop_writes`. The count waits for the
        outermost commit: a write made inside a caller's transaction is not visible before it."""
        self._announce_stop(payload)
        self._after_commit(self._count_stop_write)

    def _count_stop_write(self) -> None:
        self._stop_writes += 1

    def _announce_stop(self, payload: str) -> None:
        """Inside the transaction, tell other connections once it commits. SQLite needs nothing: their
        `PRAGMA data_version` moves."""
