"""Fault injection, deterministic by seed: latency, rate limits, 5xx, connection resets, lost responses.

Configured in code (`FaultConfig`) or as a string (`--faults` / `EMULATOR_FAULTS`):
`seed=7,latency_ms=50,jitter_ms=10,error_rate=0.1,reset_rate=0.05,lost_rate=0.05,rpm=600,admin_rpm=10`.
Rates are fractions of requests per route group; `only=` limits faults to route groups (`;`-separated).
"""

from __future__ import annotations

import math
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


# The route groups faults and rate limits apply to (`Router.add` refuses any other).
GROUPS = (
    "assistants", "files", "vector_stores", "threads", "conversations", "responses", "agents", "admin",
)  # fmt: skip
_RATES = ("error_rate", "reset_rate", "lost_rate")
_BOOLEANS = {"1": True, "true": True, "yes": True, "0": False, "false": False, "no": False}


@dataclass(frozen=True)
class FaultConfig:
    """Faults in force. Checked when made: a bad value is a one-line `ValueError` naming the option."""

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

    def __post_init__(self) -> None:
        for name in ("seed", "rpm", "admin_rpm"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(f"fault option {name}: expected a whole number, got {value!r}")
        for name in ("rpm", "admin_rpm"):
            if getattr(self, name) < 0:
                raise ValueError(
                    f"fault option {name}: expected 0 (no limit) or more, got {getattr(self, name)}"
                )
        for name in ("latency_ms", "jitter_ms", *_RATES):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                raise ValueError(f"fault option {name}: expected a number, got {value!r}")
            if value < 0:
                raise ValueError(f"fault option {name}: expected 0 or more, got {_number(value)}")
        for name in _RATES:
            if getattr(self, name) > 1:
                raise ValueError(
                    f"fault option {name}: a rate is a fraction of requests from 0 to 1, "
                    f"got {_number(getattr(self, name))}"
                )
        total = sum(getattr(self, name) for name in _RATES)
        if total > 1 + 1e-9:
            raise ValueError(
                f"fault options error_rate + reset_rate + lost_rate add up to {total:g}; they share one roll "
                "per request, so their sum must be at most 1"
            )
        unknown = [group for group in self.only if group not in GROUPS]
        if unknown:
            raise ValueError(
                f"fault option only: unknown route group {unknown[0]!r} (known: {', '.join(GROUPS)})"
            )

    @classmethod
    def parse(cls, text: str) -> FaultConfig:
        """`key=value` pairs separated by commas; `only` takes `;`-separated route groups."""
        values: dict[str, object] = {}
        known = {f.name for f in fields(cls)}
        for part in filter(None, (p.strip() for p in text.split(","))):
            key, equals, value = (s.strip() for s in part.partition("="))
            if key not in known:
                raise ValueError(f"unknown fault option {key!r} (known: {', '.join(sorted(known))})")
            if not equals or not value:
                raise ValueError(f"fault option {key} has no value (write {key}=VALUE)")
            if key in values:
                raise ValueError(f"fault option {key} is given twice")
            values[key] = _value(key, value)
        return cls(**values)  # type: ignore[arg-type]

    @property
    def active(self) -> bool:
        return any(
            (self.latency_ms, self.jitter_ms, self.error_rate, self.reset_rate, self.lost_rate, self.rpm)
        ) or bool(self.admin_rpm)

    def describe(self) -> str:
        """The faults in force, in `--faults` syntax (`none` when there are none)."""
        if not self.active:
            return "none"
        parts = []
        for f in fields(self):
            value = getattr(self, f.name)
            if value == f.default and f.name != "seed":
                continue
            if f.name == "only":
                parts.append("only=" + ";".join(value))
            elif isinstance(value, bool):
                parts.append(f"{f.name}={'true' if value else 'false'}")
            else:
                parts.append(f"{f.name}={_number(value)}")
        return ",".join(parts)


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _value(key: str, text: str) -> object:
    if key == "only":
        return tuple(v.strip() for v in text.split(";") if v.strip())
    if key == "writes_only":
        if text.lower() not in _BOOLEANS:
            raise ValueError(f"fault option writes_only: expected true or false, got {text!r}")
        return _BOOLEANS[text.lower()]
    if key in ("seed", "rpm", "admin_rpm"):
        try:
            return int(text)
        except ValueError:
            raise ValueError(f"fault option {key}: expected a whole number, got {text!r}") from None
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"fault option {key}: expected a number, got {text!r}") from None


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


def duration_text(seconds: float) -> str:
    """A duration as OpenAI's `x-ratelimit-reset-*` headers write it (Go's format, to the millisecond):
    `20ms`, `1s`, `12.345s`, `1m0s`, `6m30.5s`."""
    millis = max(1, round(seconds * 1000))
    if millis < 1000:
        return f"{millis}ms"
    minutes, rest = divmod(millis, 60_000)
    text = f"{rest / 1000:.3f}".rstrip("0").rstrip(".") + "s"
    return f"{minutes}m{text}" if minutes else text


class ConnectionDropped(Exception):
    """Raised inside the app to drop the connection after handling (a lost response): the in-process
    transport turns it into a transport error; the real server closes the socket mid-response."""


class ResetBeforeHandling(ConnectionDropped):
    """The connection drops before the request is handled: the real server closes the socket without
    sending a status line, so the client cannot mistake it for a response that was sent and lost."""
