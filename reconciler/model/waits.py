"""What a run is waiting for: the typed event the layers that sleep (apply's pacer and retries, the
store's lease wait, ingestion polls) hand to an observer the caller passes down. The library never
prints; the CLI turns these events into lines on stderr (`cli.waits`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

__all__ = ["Wait", "WaitObserver", "WaitReason"]


class WaitReason(StrEnum):
    """Why a run sleeps; the value is how the CLI names it."""

    ADMIN_PACE = "Admin API rate limit"
    RATE_LIMITED = "rate limited by the platform"
    TEMPORARY_ERROR = "retrying after a temporary platform error"
    STATE_LOCK = "state lock"
    INGESTION = "file ingestion"


@dataclass(frozen=True)
class Wait:
    """One sleep about to start. A poll (lock, ingestion) sleeps briefly many times: `waited` is how long
    the caller has waited so far and `at_most` how much longer it will before giving up, so an observer
    can speak of the whole wait rather than of each short sleep."""

    reason: WaitReason
    seconds: float  # how long this sleep lasts
    detail: str = ""  # e.g. "HTTP 429; attempt 2 of 8", "held by ana on ci-7", a file's path
    waited: float = 0.0
    at_most: float | None = None


WaitObserver = Callable[[Wait], None]
