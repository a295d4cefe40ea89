"""Fault injection, deterministic by seed: latency, rate limits, 5xx, connection resets, lost responses.

Configured in code (`FaultConfig`) or as a string (`--faults` / `EMULATOR_FAULTS`):
`seed=7,latency_ms=50,jitter_ms=10,error_rate=0.1,reset_rate=0.05,lost_rate=0.05,rpm=600,admin_rpm=10`.
Rates are fractions of requests per route group; `only=` limits faults to route groups (`;`-separated).
"""

from __future__ import annotations

import random
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, fields
from enum import Enum


class Outcome(Enum):
    OK = "ok"
    RATE_LIMITED = "rate_limited"
    SERVER_ERROR = "server_error"
    RESET = "reset"  # connection dropped before the request was handled
    LOST = "lost"  # request handled, then the connection dropped: the client never sees the response


@dataclass(frozen=True)
class FaultConfig:
    seed: int = 0
    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    error_rate: float = 0.0
    reset_rate: float = 0.0
    lost_rate: float = 0.0
    rpm: int = 0  # requests per minute per route group for normal endpoints; 0 = unlimited
    admin_rpm: int = 0  # admin endpoints: 429 *without* rate-limit headers, as the real Admin API does
    only: tuple[str, ...] = ()  # route groups the random faults apply to; empty = all
    writes_only: bool = False  # random faults only on POST/DELETE

    @classmethod
    def parse(cls, text: str) -> FaultConfig:
        values: dict[str, object] = {}
        known = {f.name: f for f in fields(cls)}
        for part in filter(None, (p.strip() for p in text.split(","))):
            key, _, value = part.partition("=")
            key = key.strip()
            if key not in known:
                raise ValueError(f"unknown fault option {key!r} (known: {', '.join(sorted(known))})")
            if key == "only":
                values[key] = tuple(v for v in value.split(";") if v)
            elif key == "writes_only":
                values[key] = value.lower() in ("1", "true", "yes")
            elif key in ("seed", "rpm", "admin_rpm"):
                values[key] = int(value)
            else:
                values[key] = float(value)
        return cls(**values)  # type: ignore[arg-type]

    @property
    def active(self) -> bool:
        return any(
            (self.latency_ms, self.jitter_ms, self.error_rate, self.reset_rate, self.lost_rate, self.rpm)
        ) or bool(self.admin_rpm)


class FaultInjector:
    """Decides, per request, what goes wrong. Thread-safe; the same seed gives the same sequence."""

    def __init__(
        self,
        config: FaultConfig,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.config = config
        self._rng = random.Random(config.seed)  # noqa: S311  (determinism by seed is the point)
        self._lock = threading.Lock()
        self._clock = clock
        self._sleep = sleep
        self._windows: dict[str, deque[float]] = {}

    def delay(self) -> None:
        if not (self.config.latency_ms or self.config.jitter_ms):
            return
        with self._lock:
            jitter = self._rng.uniform(-self.config.jitter_ms, self.config.jitter_ms)
        self._sleep(max(0.0, self.config.latency_ms + jitter) / 1000.0)

    def rate_limit(self, group: str, *, admin: bool) -> tuple[bool, float, int, int]:
        """Sliding one-minute window per group: (limited, seconds_until_reset, limit, remaining)."""
        limit = self.config.admin_rpm if admin else self.config.rpm
        if limit <= 0:
            return False, 0.0, 0, 0
        with self._lock:
            now = self._clock()
            window = self._windows.setdefault(group, deque())
            while window and now - window[0] >= 60.0:
                window.popleft()
            if len(window) >= limit:
                return True, max(0.001, 60.0 - (now - window[0])), limit, 0
            window.append(now)
            # Not limited: the second value is when the oldest request in the window leaves it.
            return False, max(0.001, 60.0 - (now - window[0])), limit, limit - len(window)

    def pick_503(self) -> bool:
        """Which 5xx an injected server error is: 500 or 503, half each, from the seeded sequence."""
        with self._lock:
            return self._rng.random() < 0.5

    def draw(self, group: str, method: str) -> Outcome:
        config = self.config
        if config.only and group not in config.only:
            return Outcome.OK
        if config.writes_only and method not in ("POST", "DELETE"):
            return Outcome.OK
        with self._lock:
            roll = self._rng.random()
        for rate, outcome in (
            (config.error_rate, Outcome.SERVER_ERROR),
            (config.reset_rate, Outcome.RESET),
            (config.lost_rate, Outcome.LOST),
        ):
            if roll < rate:
                return outcome
            roll -= rate
        return Outcome.OK


class ConnectionDropped(Exception):
    """Raised inside the app to drop the connection: the in-process transport turns it into a
    transport error; the real server closes the socket mid-response."""
