"""Retries for temporary platform errors: jittered exponential backoff that honours Retry-After, bounded
in attempts and time, and a pacer for the Admin API, which rate-limits at ~10 requests/minute and sends
no rate-limit headers to pace by.

Time is injected (Clock, Sleeper) so tests run without sleeping.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from reconciler.config import RetrySettings
from reconciler.errors import RateLimited, TemporaryPlatformError

T = TypeVar("T")


Clock = Callable[[], float]
Sleeper = Callable[[float], None]


@dataclass
class Retrier:
    settings: RetrySettings
    clock: Clock = time.monotonic
    sleep: Sleeper = time.sleep
    rng: random.Random = field(default_factory=random.Random)  # jitter, not crypto
    retries: int = 0  # how many retries this apply needed (reported)

    def delay(self, attempt: int, error: TemporaryPlatformError, *, rate_floor: float = 0.0) -> float:
        backoff = float(min(self.settings.max_delay_seconds, self.settings.base_delay_seconds * 2.0**attempt))
        jittered = backoff * (0.5 + self.rng.random() / 2)
        if error.retry_after is not None:
            # The platform said when; wait at least that long, with a little jitter so workers spread out.
            return float(min(self.settings.max_delay_seconds, error.retry_after) + self.rng.random() * 0.05)
        if isinstance(error, RateLimited):
            # A 429 with no hint (the Admin API's): short backoffs would spend the attempts inside the
            # window that refused us, so wait at least one request interval of the known rate.
            return max(jittered, min(self.settings.max_delay_seconds, rate_floor))
        return jittered

    def run(
        self,
        fn: Callable[[], T],
        *,
        before_retry: Callable[[TemporaryPlatformError], T | None] | None = None,
        rate_floor: float = 0.0,
    ) -> T:
        """Call `fn` until it succeeds, a permanent error escapes, or attempts/deadline run out.

        `before_retry` runs after a temporary failure and before the next attempt; returning a value
        ends the loop with it. Creates use it to look for the object a lost response did create.
        """
        deadline = self.clock() + self.settings.deadline_seconds
        attempt = 0
        while True:
            try:
                return fn()
            except TemporaryPlatformError as error:
                attempt += 1
                wait = self.delay(attempt - 1, error, rate_floor=rate_floor)
                if attempt >= self.settings.max_attempts or self.clock() + wait > deadline:
                    raise
                self.retries += 1
                self.sleep(wait)
                if before_retry is not None:
                    found = before_retry(error)
                    if found is not None:
                        return found

    def read(self, fn: Callable[[], T], *, admin: bool = False) -> T:
        """A `targets.ReadRunner`: reads are idempotent, so they are simply repeated; an Admin API 429
        waits at least one request interval at the configured admin rate."""
        return Reads(self)(fn, admin=admin)


@dataclass
class Reads:
    """The read runner the service hands the target: retried reads whose Admin API calls are noted on
    the apply's pacer (not delayed: a plan alone should not wait), so the writes that follow keep the
    whole run under the admin rate."""

    retrier: Retrier
    pacer: Pacer | None = None

    def __call__(self, fn: Callable[[], T], *, admin: bool = False) -> T:
        def attempt() -> T:
            if admin and self.pacer is not None:
                self.pacer.note()
            return fn()

        floor = 60.0 / self.retrier.settings.admin_requests_per_minute if admin else 0.0
        return self.retrier.run(attempt, rate_floor=floor)


# Requests from several workers leave a few milliseconds early or late; pacing exactly at the limit lets
# some windows see one request too many (measured: 85 of 200 rejected at 600/min, none at 90%).
PACING_HEADROOM = 0.9


@dataclass
class Pacer:
    """Spaces calls evenly to stay under `per_minute` (a token bucket of size 1: no bursts), at 90% of it."""

    per_minute: int
    clock: Clock = time.monotonic
    sleep: Sleeper = time.sleep
    _next: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def wait(self) -> None:
        interval = 60.0 / (self.per_minute * PACING_HEADROOM)
        with self._lock:
            now = self.clock()
            start = max(now, self._next)
            self._next = start + interval
        if start > now:
            self.sleep(start - now)

    def note(self) -> None:
        """Count a call made now without waiting for it: later `wait`s space themselves after it."""
        interval = 60.0 / (self.per_minute * PACING_HEADROOM)
        with self._lock:
            self._next = max(self.clock(), self._next) + interval
