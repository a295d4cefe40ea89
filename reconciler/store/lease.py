"""Waiting for the state lease: `wait_for_lock` retries `acquire_lock` until a timeout, on an injected
clock and sleeper so tests never sleep.
"""

from __future__ import annotations

import math
import time
from typing import Protocol

from reconciler.errors import LockHeld
from reconciler.store.base import StateStore
from reconciler.store.records import Lease

__all__ = ["Clock", "Sleeper", "SystemClock", "system_sleep", "wait_for_lock"]


class Clock(Protocol):
    """Wall-clock time as epoch seconds; leases are compared across hosts, so not a monotonic clock."""

    def now(self) -> float: ...


class Sleeper(Protocol):
    def __call__(self, seconds: float, /) -> None: ...


class SystemClock:
    def now(self) -> float:
        return time.time()


def system_sleep(seconds: float, /) -> None:
    time.sleep(seconds)


def wait_for_lock(
    store: StateStore,
    workspace: str,
    *,
    owner: str,
    host: str,
    ttl_seconds: float,
    timeout: float,
    clock: Clock,
    sleeper: Sleeper,
    poll_seconds: float = 1.0,
) -> Lease:
    """Acquire the workspace lease, retrying every `poll_seconds` for up to `timeout` seconds.

    The loop is bounded by an attempt count as well as by the clock, so a clock that never advances (a
    misconfigured fake) still ends. On timeout the last LockHeld is re-raised with the wait added, so the
    message still names the holder and its lock id.
    """
    if poll_seconds <= 0:
        raise ValueError("poll_seconds must be positive")
    deadline = clock.now() + max(timeout, 0.0)
    attempts = 1 + math.ceil(max(timeout, 0.0) / poll_seconds)
    last: LockHeld | None = None
    for attempt in range(attempts):
        now = clock.now()
        try:
            return store.acquire_lock(workspace, owner=owner, host=host, ttl_seconds=ttl_seconds, now=now)
        except LockHeld as held:
            last = held
        remaining = deadline - clock.now()
        if remaining <= 0 or attempt == attempts - 1:
            break
        sleeper(min(poll_seconds, remaining))
    assert last is not None  # the loop runs at least once and returns on success
    raise LockHeld(
        f"{last} (gave up after waiting {timeout:g}s)", holder=last.holder, lock_id=last.lock_id
    ) from last
