"""A request gate that keeps one budget's requests per minute under the platform's limit, shared by every
process on one state store, and slowed further by what the platform says (`Retry-After` on a 429, its
`x-ratelimit-*` headers when the remaining requests run out).

The arithmetic: slots are spaced `interval` apart with `burst` seconds' worth allowed at once (GCRA, kept
in the store). In any 60 s window at most `60 / interval + burst / interval + 1` requests start, which
`RateGate.for_limit` keeps at `per_minute` less a 1 % margin for clocks and transit. That leaves 95 % of
the limit for the sustained rate at large limits.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

__all__ = ["RateGate", "RateSlots"]

WINDOW_SECONDS = 60.0


class RateSlots(Protocol):
    """Where the budget is kept (`StateStore.take_rate_slot` / `delay_budget` bound to one budget)."""

    def take(self, interval: float, burst: float) -> float:
        """Reserve the next request; the seconds to wait before sending it."""
        ...

    def delay(self, until: float) -> None:
        """No request starts before `until` (epoch seconds), in any process."""
        ...


@dataclass
class RateGate:
    slots: RateSlots
    interval: float  # seconds between requests, sustained
    burst: float  # seconds' worth of requests that may go at once
    per_minute: int
    sleep: Callable[[float], None] = time.sleep
    wall_clock: Callable[[], float] = time.time
    requests: int = 0
    waited_seconds: float = 0.0
    delays: int = 0  # times the platform's answer pushed the budget back

    @classmethod
    def for_limit(cls, slots: RateSlots, per_minute: int, **kwargs: object) -> RateGate:
        if per_minute < 1:
            raise ValueError("a rate limit admits at least one request a minute")
        burst_requests = math.floor(per_minute * 0.04)
        margin = math.ceil(per_minute * 0.01) + 1
        sustained = max(per_minute * 0.5, per_minute - burst_requests - margin)
        interval = WINDOW_SECONDS / sustained
        return cls(slots, interval, burst_requests * interval, per_minute, **kwargs)  # type: ignore[arg-type]

    def __call__(self) -> None:
        """Wait for this request's turn."""
        wait = self.slots.take(self.interval, self.burst)
        self.requests += 1
        if wait > 1e-6:  # float residue of the slot arithmetic is no wait
            self.waited_seconds += wait
            self.sleep(wait)

    def observe(
        self,
        *,
        retry_after_seconds: float | None = None,
        remaining_requests: int | None = None,
        reset_seconds: float | None = None,
    ) -> None:
        """What the platform said of its limit after a request: a Retry-After holds every process until
        then; a remaining count of (nearly) none holds them until the platform's window resets."""
        now = self.wall_clock()
        until = None
        if retry_after_seconds is not None and retry_after_seconds > 0:
            until = now + retry_after_seconds
        if remaining_requests is not None and remaining_requests <= 1 and reset_seconds is not None:
            until = max(until or now, now + reset_seconds)
        if until is not None and until > now:
            self.delays += 1
            self.slots.delay(until)
