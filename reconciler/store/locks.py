"""The state lock as a lease: one row per workspace naming owner, host, holding process, lock id and expiry.

Acquisition is a single `INSERT ... ON CONFLICT DO UPDATE ... WHERE expired` statement, which both
SQLite (inside BEGIN IMMEDIATE) and PostgreSQL (row lock on the conflicting row) execute atomically, so two
acquirers racing can never both win; an expired lease is taken over by the same statement. A live lease
whose holder the caller proved gone is taken over by `UPDATE ... WHERE lock_id = <the dead one's>`: the
first of two rerunning processes changes the lock id, so the second's update matches nothing.
"""

from __future__ import annotations

import dataclasses
import uuid

from reconciler.errors import LeaseLost, LockHeld, StateError
from reconciler.store import rows
from reconciler.store.records import Lease
from reconciler.store.sqlcore import Row, SqlCore

__all__ = ["LockTable"]


def _to_lease(row: Row) -> Lease:
    workspace, lock_id, owner, host, acquired_at, expires_at, ttl_seconds, pid, process_start = row
    return rows.decode(
        "locks",
        lambda: rows.row_key(workspace=workspace),
        lambda: Lease(
            workspace=rows.text(workspace, "workspace"),
            lock_id=rows.text(lock_id, "lock_id"),
            owner=rows.text(owner, "owner"),
            host=rows.text(host, "host"),
            acquired_at=rows.timestamp(acquired_at, "acquired_at"),
            expires_at=rows.timestamp(expires_at, "expires_at"),
            ttl_seconds=rows.number(ttl_seconds, "ttl_seconds"),
            pid=rows.optional_integer(pid, "pid"),
            process_start="" if process_start is None else rows.text(process_start, "process_start"),
        ),
    )


def _held(workspace: str, holder: Lease) -> LockHeld:
    return LockHeld(
        f"the state of workspace {workspace!r} is locked by {holder.describe()}; wait for it "
        f"(--lock-timeout) or, if that apply is dead, run `reconcile state unlock {holder.lock_id}`",
        holder=holder.holder,
        lock_id=holder.lock_id,
    )


class LockTable(SqlCore):
    def current_lock(self, workspace: str) -> Lease | None:
        rows = self._query(
            "SELECT workspace, lock_id, owner, host, acquired_at, expires_at, ttl_seconds, pid, "
            "process_start FROM locks WHERE workspace = ?",
            (self._workspace(workspace),),
        )
        return _to_lease(rows[0]) if rows else None

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
        lease = self._new_lease(workspace, owner, host, ttl_seconds, now, pid, process_start)
        with self.transaction():
            won = self._query(
                "INSERT INTO locks (workspace, lock_id, owner, host, acquired_at, expires_at, ttl_seconds, "
                "pid, process_start) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (workspace) DO UPDATE SET lock_id = excluded.lock_id, owner = excluded.owner, "
                "host = excluded.host, acquired_at = excluded.acquired_at, "
                "expires_at = excluded.expires_at, ttl_seconds = excluded.ttl_seconds, "
                "pid = excluded.pid, process_start = excluded.process_start "
                "WHERE locks.expires_at <= ? "
                "RETURNING lock_id",
                (*_values(lease), now),
            )
            if won:
                return lease
            # Lost: the conflicting row is locked by our statement until commit, so it is still there.
            holder = self.current_lock(workspace)
        if holder is None:
            raise StateError(f"the lock of workspace {workspace!r} vanished while acquiring it; retry")
        raise _held(workspace, holder)

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
        lease = self._new_lease(dead.workspace, owner, host, ttl_seconds, now, pid, process_start)
        with self.transaction():
            # Compare-and-swap on the dead holder's lock id: of two processes proving the same holder
            # gone, the first replaces the row and the second matches nothing.
            won = self._query(
                "UPDATE locks SET lock_id = ?, owner = ?, host = ?, acquired_at = ?, expires_at = ?, "
                "ttl_seconds = ?, pid = ?, process_start = ? "
                "WHERE workspace = ? AND lock_id = ? "
                "RETURNING lock_id",
                (*_values(lease)[1:], lease.workspace, dead.lock_id),
            )
            holder = None if won else self.current_lock(dead.workspace)
        if won:
            return lease
        if holder is None:  # released meanwhile: an ordinary acquisition
            return self.acquire_lock(
                dead.workspace,
                owner=owner,
                host=host,
                ttl_seconds=ttl_seconds,
                now=now,
                pid=pid,
                process_start=process_start,
            )
        raise _held(dead.workspace, holder)

    def _new_lease(
        self,
        workspace: str,
        owner: str,
        host: str,
        ttl_seconds: float,
        now: float,
        pid: int | None,
        process_start: str,
    ) -> Lease:
        if ttl_seconds <= 0:
            raise StateError(f"a lease needs a positive ttl, got {ttl_seconds}")
        if not owner or not host:
            raise StateError("a lease needs an owner and a host, so a waiting apply can name its holder")
        return Lease(
            workspace=self._workspace(workspace),
            lock_id=uuid.uuid4().hex,
            owner=owner,
            host=host,
            acquired_at=now,
            expires_at=now + ttl_seconds,
            ttl_seconds=ttl_seconds,
            pid=pid,
            process_start=process_start,
        )

    def renew_lock(self, lease: Lease, *, now: float) -> Lease:
        renewed = dataclasses.replace(lease, expires_at=now + lease.ttl_seconds)
        with self.transaction():
            # Matching on lock_id means a lease that expired but was not taken over can still be renewed,
            # while one that changed hands cannot.
            changed = self._exec(
                "UPDATE locks SET expires_at = ? WHERE workspace = ? AND lock_id = ?",
                (renewed.expires_at, self._workspace(lease.workspace), lease.lock_id),
            )
            holder = None if changed else self.current_lock(lease.workspace)
        if changed:
            return renewed
        if holder is not None:
            raise _held(lease.workspace, holder)
        raise LeaseLost(
            f"lease {lease.lock_id} on workspace {lease.workspace!r} is gone (released or force-unlocked)"
        )

    def release_lock(self, lease: Lease) -> None:
        with self.transaction():
            self._exec(
                "DELETE FROM locks WHERE workspace = ? AND lock_id = ?",
                (self._workspace(lease.workspace), lease.lock_id),
            )

    def force_unlock(self, workspace: str, lock_id: str) -> Lease:
        with self.transaction():
            rows = self._query(
                "SELECT workspace, lock_id, owner, host, acquired_at, expires_at, ttl_seconds, pid, "
                "process_start FROM locks WHERE workspace = ? AND lock_id = ?",
                (self._workspace(workspace), lock_id),
            )
            if not rows:
                current = self.current_lock(workspace)
                hint = f"; the current lock id is {current.lock_id}" if current else "; it is not locked"
                raise StateError(f"workspace {workspace!r} holds no lock with id {lock_id!r}{hint}")
            self._exec("DELETE FROM locks WHERE workspace = ? AND lock_id = ?", (workspace, lock_id))
        return _to_lease(rows[0])


def _values(lease: Lease) -> tuple[object, ...]:
    """A lease's row, in the order the statements above name the columns."""
    return (
        lease.workspace,
        lease.lock_id,
        lease.owner,
        lease.host,
        lease.acquired_at,
        lease.expires_at,
        lease.ttl_seconds,
        lease.pid,
        lease.process_start,
    )
