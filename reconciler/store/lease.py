"""Taking the state lease: `wait_for_lock` retries `acquire_lock` until a timeout, on an injected
clock and sleeper so tests never sleep, and takes over a lease whose holder the caller proves gone;
`take_lease` is how reconciler itself takes it (apply and gc): as this process, taking over a lease whose
holder ran on this host and is provably gone.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Protocol

from reconciler.errors import LockHeld
from reconciler.model.waits import Wait, WaitObserver, WaitReason
from reconciler.store.base import StateStore
from reconciler.store.holder import HolderProcess, gone_reason
from reconciler.store.identity import Identity
from reconciler.store.records import Lease

__all__ = [
    "Clock",
    "Sleeper",
    "SystemClock",
    "system_sleep",
    "take_lease",
    "takeover_notice",
    "wait_for_lock",
]


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


def takeover_notice(dead: Lease, reason: str) -> str:
    """What an apply says when it took over the lock of a holder proved gone."""
    return (
        f"took over the lock {dead.lock_id} of {dead.owner}'s apply by pid {dead.pid} on {dead.host}: "
        f"{reason}"
    )


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
    process: HolderProcess | None = None,
    holder_gone: Callable[[Lease], str | None] | None = None,
    on_takeover: Callable[[Lease, str], None] | None = None,
    observe: WaitObserver | None = None,
) -> Lease:
    """Acquire the workspace lease, retrying every `poll_seconds` for up to `timeout` seconds.

    The loop is bounded by an attempt count as well as by the clock, so a clock that never advances (a
    misconfigured fake) still ends. On timeout the last LockHeld is re-raised with the wait added, so the
    message still names the holder and its lock id.

    `process` is recorded in the lease. With `holder_gone`, a held lease is taken over (atomically, in
    the store) when it returns why its holder is provably gone (`store.holder.gone_reason`);
    `on_takeover` then hears of it, with that reason. `observe` is told of each poll's sleep, with the
    holder, how long this wait has lasted and how much longer it may.
    """
    if poll_seconds <= 0:
        raise ValueError("poll_seconds must be positive")
    began = clock.now()
    deadline = began + max(timeout, 0.0)
    attempts = 1 + math.ceil(max(timeout, 0.0) / poll_seconds)
    pid, start = (process.pid, process.start) if process is not None else (None, "")
    last: LockHeld | None = None
    for attempt in range(attempts):
        now = clock.now()
        try:
            return store.acquire_lock(
                workspace,
                owner=owner,
                host=host,
                ttl_seconds=ttl_seconds,
                now=now,
                pid=pid,
                process_start=start,
            )
        except LockHeld as held:
            last = held
        current = store.current_lock(workspace) if holder_gone is not None else None
        reason = holder_gone(current) if holder_gone is not None and current is not None else None
        if current is not None and reason is not None:
            try:
                lease = store.take_over_lock(
                    current,
                    owner=owner,
                    host=host,
                    ttl_seconds=ttl_seconds,
                    now=now,
                    pid=pid,
                    process_start=start,
                )
            except LockHeld as held:  # another rerun took it over first: it is a live holder now
                last = held
            else:
                if on_takeover is not None:
                    on_takeover(current, reason)
                return lease
        now = clock.now()
        remaining = deadline - now
        if remaining <= 0 or attempt == attempts - 1:
            break
        if observe is not None and last is not None:
            held_by = f"held by {last.holder}, lock {last.lock_id}"
            observe(
                Wait(WaitReason.STATE_LOCK, min(poll_seconds, remaining), held_by, now - began, remaining)
            )
        sleeper(min(poll_seconds, remaining))
    assert last is not None  # the loop runs at least once and returns on success
    raise LockHeld(
        f"{last} (gave up after waiting {timeout:g}s)", holder=last.holder, lock_id=last.lock_id
    ) from last


def take_lease(
    store: StateStore,
    workspace: str,
    *,
    who: Identity,
    ttl_seconds: float,
    timeout: float,
    clock: Clock | None = None,
    sleeper: Sleeper = system_sleep,
    notice: Callable[[str], None] | None = None,
    observe: WaitObserver | None = None,
) -> Lease:
    """The workspace lease for this process, held as `who`, waiting up to `timeout` seconds (`observe`
    hears of each wait). A lease whose holder ran on `who.host` and is provably gone (killed, say) is
    taken over at once, and `notice` is told so in one line."""
    return wait_for_lock(
        store,
        workspace,
        owner=who.user,
        host=who.host,
        ttl_seconds=ttl_seconds,
        timeout=timeout,
        clock=clock or SystemClock(),
        sleeper=sleeper,
        process=HolderProcess.current(),
        holder_gone=lambda lease: gone_reason(lease, host=who.host),
        on_takeover=None if notice is None else lambda dead, reason: notice(takeover_notice(dead, reason)),
        observe=observe,
    )
