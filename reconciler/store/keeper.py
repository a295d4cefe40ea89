"""Keeping the state lease while an apply runs: `LeaseKeeper` renews it from a background thread, however
long one step takes (a file ingestion can outlast the lease), and tells the apply's workers, through
`check()`, when the lease is lost so they stop before their next platform call.

The renewals share the apply's store handle: every backend guards its one connection with a lock held for
each statement and each whole transaction (`SqlCore`), so a renewal waits for the apply's own write
transaction to end and never lands inside it.
"""

from __future__ import annotations

import logging
import threading
from types import TracebackType
from typing import Self

from reconciler.errors import LeaseLost, LockHeld
from reconciler.store.base import StateStore
from reconciler.store.lease import Clock, SystemClock
from reconciler.store.records import Lease

__all__ = ["LeaseKeeper"]

_log = logging.getLogger(__name__)

# Renew every third of the ttl (two renewals in a row can fail before the lease is in danger), and at
# least every 30 s: a renewal is also how an apply learns that its lease was taken from it.
RENEW_FRACTION = 1 / 3
RENEW_MAX_SECONDS = 30.0
# After a failed renewal (the store busy or unreachable), try again this soon instead of a third later.
RETRY_SECONDS = 5.0
# A lease with less than this part of its ttl left unrenewed counts as lost: another apply may take it
# as soon as it expires on that apply's clock, which need not agree with ours to the second.
MARGIN_FRACTION = 0.1
# stop() waits this long for a renewal in flight (one store statement, itself bounded by the store's own
# lock wait); the thread is a daemon, so a stuck one cannot keep the process alive.
JOIN_SECONDS = 60.0


class LeaseKeeper:
    """Holds one lease for the length of a `with` block: renewed in the background, checked by workers.

    `renew()` is one renewal (what the thread does every `interval`: a third of the ttl, at most 30 s);
    tests call it directly on a fake clock. The lease is lost for good once a renewal finds it taken
    over (LockHeld) or removed (LeaseLost), or once it is about to expire without a renewal; from then on
    `check()` raises LeaseLost, on every thread, and the keeper renews no more.
    """

    def __init__(
        self, store: StateStore, lease: Lease, *, clock: Clock | None = None, interval: float | None = None
    ) -> None:
        self._store = store
        self._lease = lease
        self._clock = clock or SystemClock()
        self._interval = (
            interval if interval is not None else min(lease.ttl_seconds * RENEW_FRACTION, RENEW_MAX_SECONDS)
        )
        self._mutex = threading.Lock()  # one renewal at a time: the thread's, or a worker's in check()
        self._stopping = threading.Event()
        self._lost: LeaseLost | None = None
        self._last_error = ""
        self._thread: threading.Thread | None = None

    @property
    def lease(self) -> Lease:
        """The lease as last renewed: what to release at the end."""
        return self._lease

    @property
    def lost(self) -> bool:
        return self._lost is not None

    def renew(self) -> bool:
        """Renew once; True while the lease is still ours. Store trouble is logged and retried later."""
        with self._mutex:
            if self._lost is not None:
                return False
            lease = self._lease
            try:
                self._lease = self._store.renew_lock(lease, now=self._clock.now())
            except LockHeld as taken:
                self._lose(f"it was taken over by {taken.holder} (lock id {taken.lock_id})")
            except LeaseLost:
                self._lose("it was removed (released, or `reconcile state unlock`)")
            except Exception as exc:  # a failing store must not end the renewals: retried soon
                self._last_error = " ".join(str(exc).split())[:200]
                _log.warning("could not renew the state lease %s (retrying): %s", lease.lock_id, exc)
                return True
            self._last_error = ""
            return self._lost is None

    def check(self) -> None:
        """Raise LeaseLost unless the lease is still ours: workers call it before each platform call.

        A lease about to expire unrenewed (the renewer fell behind, the process was suspended) gets one
        renewal attempt here first: the store decides atomically whether it is still ours."""
        if self._lost is None and self._expiring():
            self.renew()
            if self._lost is None and self._expiring():
                with self._mutex:
                    why = f"; last error: {self._last_error}" if self._last_error else ""
                    self._lose(f"it could not be renewed before it expired{why}")
        if self._lost is not None:
            raise self._lost

    def start(self) -> None:
        if self._thread is not None:
            return
        self._thread = threading.Thread(
            target=self._run, name=f"lease-{self._lease.lock_id[:8]}", daemon=True
        )
        self._thread.start()

    def stop(self) -> Lease:
        """Stop renewing (idempotent); returns the lease as last renewed."""
        self._stopping.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout=JOIN_SECONDS)
        return self._lease

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def _run(self) -> None:
        delay = self._interval
        while not self._stopping.wait(delay):
            if not self.renew():
                return
            delay = min(self._interval, RETRY_SECONDS) if self._last_error else self._interval

    def _expiring(self) -> bool:
        lease = self._lease
        return self._clock.now() >= lease.expires_at - lease.ttl_seconds * MARGIN_FRACTION

    def _lose(self, why: str) -> None:
        lease = self._lease
        self._lost = LeaseLost(
            f"this apply lost the state lock {lease.lock_id} of workspace {lease.workspace!r}: {why}; "
            "it stopped before its next platform call. Once no other apply runs, plan and apply again"
        )
        _log.warning("%s", self._lost)
