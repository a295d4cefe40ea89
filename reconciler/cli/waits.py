"""Lines on stderr saying what a command is waiting for and how long ("waiting 28 s: Admin API rate
limit"), from the `Wait` events the service passes up, so a run under the Admin API's pace or a held lock
is never silent for most of a minute.

Waits shorter than MIN_SECONDS say nothing. A line per reason at most every `interval` seconds (10 on a
terminal, 30 in a CI log), unless a wait reaches well past what the last line said, so a long run of
paced calls prints a line now and then rather than one per call. In a CI log (not a terminal) lines are
plain; on a terminal a line first clears what the progress bar drew on the current line.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TextIO

from reconciler.render.escape import sanitize

# Only a type here: importing `reconciler.model` loads pydantic, which `reconcile --help` must not pay for.
if TYPE_CHECKING:
    from reconciler.model.waits import Wait

__all__ = ["MIN_SECONDS", "WaitLines", "wait_line"]

MIN_SECONDS = 2.0
TERMINAL_INTERVAL = 10.0
LOG_INTERVAL = 30.0
_CLEAR_LINE = "\r\x1b[K"


def _seconds(value: float) -> str:
    return f"{max(1, math.ceil(value - 1e-9))} s"


def wait_line(wait: Wait) -> str:
    """One wait in words: what for, how long, and the detail the layer that waits gave."""
    what = f"{wait.reason.value} ({wait.detail})" if wait.detail else wait.reason.value
    if wait.at_most is None:
        return f"waiting {_seconds(wait.seconds)}: {what}"
    so_far = round(wait.waited)
    if so_far < 1:
        return f"waiting up to {_seconds(wait.at_most)}: {what}"
    return f"waiting up to {_seconds(wait.at_most)} more ({so_far} s so far): {what}"


@dataclass
class _Said:
    at: float  # when the last line for this reason was written
    until: float  # when the wait it announced was to end


class WaitLines:
    """A `WaitObserver` writing `wait_line`s to `stream`, rate-limited per reason; thread-safe (an
    apply's workers wait at once)."""

    def __init__(
        self,
        stream: TextIO,
        *,
        terminal: bool | None = None,
        interval: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._stream = stream
        self._terminal = stream.isatty() if terminal is None else terminal
        self._interval = (
            interval if interval is not None else TERMINAL_INTERVAL if self._terminal else LOG_INTERVAL
        )
        self._clock = clock
        self._said: dict[str, _Said] = {}
        self._lock = threading.Lock()

    def __call__(self, wait: Wait) -> None:
        if wait.waited + wait.seconds < MIN_SECONDS:
            return
        with self._lock:
            now = self._clock()
            until = now + (wait.at_most if wait.at_most is not None else wait.seconds)
            said = self._said.get(wait.reason)
            if said is not None and now - said.at < self._interval and until <= said.until + self._interval:
                return
            self._said[wait.reason] = _Said(now, until)
            prefix = _CLEAR_LINE if self._terminal else ""
            self._stream.write(f"{prefix}{sanitize(wait_line(wait))}\n")
            self._stream.flush()
