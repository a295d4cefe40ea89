"""Platform requests sent through a caller's gate, with the rate-limit hints of every answer reported back.

A migration copies many conversations under one shared budget: the engine hands in `gate` (called before
each HTTP request: its rate limiter blocks there) and `on_limits` (told, after each answer, a 429
included, what the platform said about its limits). `RateHints` carries OpenAI's headers:
`retry-after` / `retry-after-ms`, `x-ratelimit-limit-requests`, `x-ratelimit-remaining-requests` and
`x-ratelimit-reset-requests` (a Go-style duration: `1s`, `6m0s`, `20ms`, `1.5s`, `1h2m3s`).

`GatedCalls.send` makes one SDK call through `with_raw_response` (so the headers are seen), translates
SDK errors at the boundary (`targets.errors.translate`) and retries temporary ones with a
`calls.retry.Retrier` (bounded in attempts and time, honouring Retry-After). A write that is not safe to
send twice (`once=True`: creating a conversation, appending items) is retried only after a 429, which
the platform answers before doing anything; after a 5xx or a lost answer the error reaches the caller,
who recounts before resending (`ConversationOps.count_items`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import openai

from reconciler.calls.retry import Retrier
from reconciler.config import RetrySettings
from reconciler.errors import PlatformError, RateLimited, TemporaryPlatformError
from reconciler.targets.errors import retry_after, translate

T = TypeVar("T")

_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(h|ms|us|µs|ns|m|s)")
_UNIT_SECONDS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "ns": 1e-9}


@dataclass(frozen=True)
class RateHints:
    """What one answer said about the request budget; None where the header was absent or unreadable."""

    retry_after_seconds: float | None = None
    remaining_requests: int | None = None
    reset_seconds: float | None = None  # until the request budget is full again
    limit_requests: int | None = None


Gate = Callable[[], None]
LimitsSink = Callable[[RateHints], None]


def parse_reset(value: str | None) -> float | None:
    """Seconds in OpenAI's reset format (`1s`, `6m0s`, `20ms`, `1h2m3.5s`; a bare number is seconds);
    None for anything else."""
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    total, position = 0.0, 0
    for match in _DURATION_PART.finditer(text):
        if match.start() != position:
            return None
        total += float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
        position = match.end()
    return total if position == len(text) else None


def _integer(value: str | None) -> int | None:
    try:
        return None if value is None else int(value.strip())
    except ValueError:
        return None


def hints_from(headers: Any) -> RateHints:
    """The hints in a response's headers (any mapping with `get`)."""
    get = headers.get
    return RateHints(
        retry_after_seconds=retry_after(headers),
        remaining_requests=_integer(get("x-ratelimit-remaining-requests")),
        reset_seconds=parse_reset(get("x-ratelimit-reset-requests")),
        limit_requests=_integer(get("x-ratelimit-limit-requests")),
    )


class _Unretried(Exception):
    """Carries a temporary error out of the retrier untouched (a write that must not be sent twice)."""

    def __init__(self, error: PlatformError) -> None:
        super().__init__(str(error))
        self.error = error


def no_gate() -> None:
    """The default gate: send at once."""


def ignore_limits(hints: RateHints) -> None:
    """The default sink: nobody listens."""


class GatedCalls:
    """Sends SDK calls through the gate, reports their hints, translates and retries their errors."""

    def __init__(
        self, *, gate: Gate = no_gate, on_limits: LimitsSink = ignore_limits, retrier: Retrier | None = None
    ) -> None:
        self.gate = gate
        self.on_limits = on_limits
        self.retrier = retrier or Retrier(RetrySettings())

    def send(self, what: str, fn: Callable[[], T], *, once: bool = False) -> T:
        """`fn` makes one request through `with_raw_response` and returns its raw answer. `what` names the
        operation in errors. `once`: retried only after a 429 (see the module docstring)."""

        def attempt() -> T:
            try:
                return self._one(what, fn)
            except TemporaryPlatformError as error:
                if once and not isinstance(error, RateLimited):
                    raise _Unretried(error) from error
                raise

        try:
            return self.retrier.run(attempt)
        except _Unretried as wrapped:
            raise wrapped.error from wrapped.error.__cause__

    def _one(self, what: str, fn: Callable[[], T]) -> T:
        self.gate()
        try:
            raw = fn()
        except openai.APIStatusError as error:
            self.on_limits(hints_from(error.response.headers))
            raise translate(error, what) from error
        except openai.OpenAIError as error:
            raise translate(error, what) from error
        headers = getattr(raw, "headers", None)
        if headers is not None:
            self.on_limits(hints_from(headers))
        return raw
