"""Retries for temporary platform errors: jittered exponential backoff that honours Retry-After, bounded
in attempts and time, and a pacer for the Admin API, which rate-limits at ~10 requests/minute and sends
no rate-limit headers to pace by (a sliding-window budget of 90% of that), kept in this process or, when
the service hands it one, in the state store so parallel runs share it (`service.pacing`).

Time is injected (Clock, Sleeper) so tests run without sleeping. Every sleep is announced first to the
caller's `WaitObserver` (what is waited for, how long); nothing here prints.
"""

from __future__ import annotations

import logging
import math
import random
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from reconciler.config import RetrySettings
from reconciler.errors import RateLimited, StateError, TemporaryPlatformError
from reconciler.model.waits import Wait, WaitObserver, WaitReason

T = TypeVar("T")

_log = logging.getLogger(__name__)


Clock = Callable[[], float]
Sleeper = Callable[[float], None]


@dataclass
class Retrier:
    settings: RetrySettings
    clock: Clock = time.monotonic
    sleep: Sleeper = time.sleep
    rng: random.Random = field(default_factory=random.Random)  # jitter, not crypto
    retries: int = 0  # how many retries this apply needed (reported)
    # Called before every attempt; raises to stop the call unsent (an apply that lost its state lease).
    guard: Callable[[], None] | None = None
    observe: WaitObserver | None = None  # told of each backoff before it is slept

    def check(self) -> None:
        """Run the guard: before a platform call that did not come through `run`, or after a long wait."""
        if self.guard is not None:
            self.guard()

    def delay(self, attempt: int, error: TemporaryPlatformError, *, admin: bool = False) -> float:
        backoff = float(min(self.settings.max_delay_seconds, self.settings.base_delay_seconds * 2.0**attempt))
        jittered = backoff * (0.5 + self.rng.random() / 2)
        if error.retry_after is not None:
            # The platform said when; wait at least that long, with a little jitter so workers spread out.
            return float(min(self.settings.max_delay_seconds, error.retry_after) + self.rng.random() * 0.05)
        if isinstance(error, RateLimited):
            # A 429 with no hint (the Admin API's): short backoffs would spend the attempts inside the
            # window that refused us, so an admin call waits at least one interval of the admin rate.
            floor = 60.0 / self.settings.admin_requests_per_minute if admin else 0.0
            return max(jittered, min(self.settings.max_delay_seconds, floor))
        return jittered

    def run(
        self,
        fn: Callable[[], T],
        *,
        before_retry: Callable[[TemporaryPlatformError], T | None] | None = None,
        admin: bool = False,
    ) -> T:
        """Call `fn` until it succeeds, a permanent error escapes, or attempts/deadline run out.

        `before_retry` runs after a temporary failure and before the next attempt; returning a value
        ends the loop with it. Creates use it to look for the object a lost response did create. The
        guard runs before each attempt, so a step stops unsent once it raises.
        """
        deadline = self.clock() + self.settings.deadline_seconds
        attempt = 0
        while True:
            self.check()
            try:
                return fn()
            except TemporaryPlatformError as error:
                attempt += 1
                wait = self.delay(attempt - 1, error, admin=admin)
                if attempt >= self.settings.max_attempts or self.clock() + wait > deadline:
                    raise
                self.retries += 1
                if self.observe is not None:
                    self.observe(self._backoff(wait, error, attempt, admin=admin))
                self.sleep(wait)
                if before_retry is not None:
                    found = before_retry(error)
                    if found is not None:
                        return found

    def _backoff(self, wait: float, error: TemporaryPlatformError, attempt: int, *, admin: bool) -> Wait:
        reason = WaitReason.TEMPORARY_ERROR
        if isinstance(error, RateLimited):
            reason = WaitReason.ADMIN_PACE if admin else WaitReason.RATE_LIMITED
        status = f"HTTP {error.status}" if error.status is not None else "no response"
        hint = f", Retry-After {error.retry_after:g} s" if error.retry_after is not None else ""
        detail = f"{status}{hint}; attempt {attempt + 1} of {self.settings.max_attempts}"
        return Wait(reason, wait, detail)

    def read(self, fn: Callable[[], T], *, admin: bool = False) -> T:
        """A `targets.ReadRunner`: reads are idempotent, so they are simply repeated; an Admin API 429
        waits at least one request interval at the configured admin rate."""
        return Reads(self)(fn, admin=admin)


@dataclass
class Reads:
    """The read runner the service hands the target: retried reads whose Admin API calls take their
    turn on the pacer like writes, so the writes that follow, and other runs sharing the pacer's budget,
    keep the whole under the admin rate. A plan alone sends its few admin reads at once (the window
    holds 9); several plans at once take turns instead of failing on 429s."""

    retrier: Retrier
    pacer: Pacer | None = None

    def __call__(self, fn: Callable[[], T], *, admin: bool = False) -> T:
        def attempt() -> T:
            if admin and self.pacer is not None and self.pacer.wait():
                self.retrier.check()  # the turn may have come most of a minute later
            return fn()

        return self.retrier.run(attempt, admin=admin)


# Requests from several workers leave a few milliseconds early or late, so a window can see one more
# than scheduled: admit 90% of the limit (at 10/min, 9; measured at 600/min: 85 of 200 rejected with
# no headroom, none at 90%).
PACING_HEADROOM = 0.9
# A slot is taken when a call is about to be sent, but the platform counts it when it arrives: a call
# that travels slowly would still sit in the platform's window when the one a window later arrives
# promptly. Counting each call for a little longer than the window covers that.
WINDOW_SECONDS = 60.0
TRANSIT_MARGIN_SECONDS = 2.0


class SharedSlots(Protocol):
    """A pacing budget kept outside this process (`apply.pace.StoreSlots`: the state store's)."""

    def take(self, limit: int, window_seconds: float) -> float:
        """Take the first slot at which at most `limit` slots fall in any `window_seconds`; return the
        seconds until it starts (0 when it is now)."""
        ...


@dataclass
class Pacer:
    """Admits at most 90% of `per_minute` calls in any 60 s window (a sliding-window log).

    A window, not even spacing: a small apply's few admin calls go at once instead of 6.7 s apart (the
    Admin API allows ~10 per minute, not one per 6 s), while a long run still sends 9 a minute. Any
    fixed or sliding minute window, or token bucket of the same limit, the platform may use is then
    never exceeded. Calls are slotted under a lock, so concurrent workers share the budget; with
    `shared`, slots are taken there instead, so other processes on the same budget count too.
    """

    per_minute: int
    clock: Clock = time.monotonic
    sleep: Sleeper = time.sleep
    shared: SharedSlots | None = None
    observe: WaitObserver | None = None  # told of each wait for a turn before it is slept
    _slots: deque[float] = field(default_factory=deque)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def limit(self) -> int:
        return max(1, math.floor(self.per_minute * PACING_HEADROOM))

    def _take(self) -> float:
        """Record a slot at the first time the window has room; return the seconds until then. Slots
        stay in order, and only the last `limit` are kept."""
        if self.shared is not None:
            try:
                return self.shared.take(self.limit, WINDOW_SECONDS + TRANSIT_MARGIN_SECONDS)
            except StateError as exc:
                # A store that refuses the write (read-only, busy past its timeout) must not fail a
                # plan over pacing: this run paces alone, and a 429 from a parallel run is retried.
                _log.warning("the shared Admin API pace is unavailable, pacing this run alone: %s", exc)
                self.shared = None
        with self._lock:
            now = self.clock()
            start = max(now, self._slots[-1]) if self._slots else now
            if len(self._slots) >= self.limit:
                start = max(start, self._slots[-self.limit] + WINDOW_SECONDS + TRANSIT_MARGIN_SECONDS)
            self._slots.append(start)
            while len(self._slots) > self.limit:
                self._slots.popleft()
            return start - now

    def wait(self) -> bool:
        """Block until this call fits the window; its slot is taken before sleeping. True when it slept."""
        delay = self._take()
        if delay <= 0:
            return False
        if self.observe is not None:
            shared = ", shared with other runs on this state store" if self.shared is not None else ""
            self.observe(Wait(WaitReason.ADMIN_PACE, delay, f"{self.limit} requests a minute{shared}"))
        self.sleep(delay)
        return True
