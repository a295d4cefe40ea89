"""`reconcile state unlock`: release an apply lock by hand, but never silently under a running apply.

A released apply only learns it lost the lock at its next lease renewal (at most `RENEW_MAX_SECONDS`
later), and keeps calling the platform until then, beside any apply started meanwhile. So a lock whose
holder is provably still running on this host is released only with `force`; a lock whose holder cannot
be checked (another host, an older lease without a pid) is released as before, with a note saying so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum

from reconciler.errors import UserError
from reconciler.service.workspace import Workspace
from reconciler.store.holder import gone_reason, running_here
from reconciler.store.identity import whoami
from reconciler.store.keeper import RENEW_MAX_SECONDS
from reconciler.store.records import Lease

__all__ = ["HolderState", "Unlocked", "unlock"]


class HolderState(Enum):
    """What this host can prove about the process that held a lock."""

    RUNNING_HERE = "running here"
    GONE = "gone"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Unlocked:
    """A lock `state unlock` released, and what was known about its holder when it did."""

    lease: Lease
    holder: HolderState
    gone: str = ""  # why the holder is provably gone, when it is

    def caution(self) -> str | None:
        """The line to print beside the release (a warning when the holder runs here), or None."""
        renewal = f"at its next lease renewal, at most {RENEW_MAX_SECONDS:.0f} s from now"
        if self.holder is HolderState.RUNNING_HERE:
            return f"{_who(self.lease)} may still be running; it stops {renewal}"
        if self.holder is HolderState.UNKNOWN:
            return f"if {self.lease.holder} is still running, it stops {renewal}"
        return None


def unlock(ws: Workspace, lock_id: str, *, force: bool = False) -> Unlocked:
    """Remove the lock `lock_id`; refuse (UserError) when its holder provably still runs here, unless
    `force`. A lock id that is not the current one fails in the store, naming the current id."""
    host = whoami().host
    current = ws.store.current_lock(ws.name)
    if current is not None and current.lock_id == lock_id and running_here(current, host=host) and not force:
        raise UserError(
            f"lock {lock_id} is held by {_who(current)}, which is still running on this host; "
            f"`reconcile state unlock {lock_id} --force` releases it anyway "
            f"(that apply then stops at its next lease renewal, at most {RENEW_MAX_SECONDS:.0f} s later)"
        )
    lease = ws.store.force_unlock(ws.name, lock_id)
    # The lock id names one holder for its whole life (a takeover issues a new id), so what was checked
    # above is what was removed.
    if running_here(lease, host=host):
        return Unlocked(lease, HolderState.RUNNING_HERE)
    reason = gone_reason(lease, host=host)
    if reason is not None:
        return Unlocked(lease, HolderState.GONE, reason)
    return Unlocked(lease, HolderState.UNKNOWN)


def _who(lease: Lease) -> str:
    since = datetime.fromtimestamp(lease.acquired_at, tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    return f"pid {lease.pid} ({lease.holder}, since {since})"
