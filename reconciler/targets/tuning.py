"""`ReadTuning`: how one read of a target is run, and the speed machinery a target may adopt.

A read is always `Target.read(kinds, tuning) -> LiveState`; the tuning changes how many round trips and
how much waiting it takes, never what it returns. A new target can ignore everything here but `run` (see
`targets.reading.read_all`) and adopt the rest later:

- `run`: the runner every listing goes through (the service's retrying, paced `calls.retry.Reads`);
- `hints`: the cursors the last read's pages began at (kept in the store): with them every page of a
  list is requested at once (`targets.paging.from_cursors`); the read reports the cursors it met in
  `seen` for the next one;
- `known_stores`: stores whose files may be listed before the store list arrives (the inventory's);
- `on_assistants`: sees each page of assistants as it arrives, so the planner digests them while later
  pages travel (`plan.prepare.LiveCollector`).

The collector pause around a whole plan is the service's (`service.gcpause`), switched by the caller.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from threading import Lock
from typing import Protocol, TypeVar

from reconciler.model.live import LiveAssistant

T = TypeVar("T")


class ReadRunner(Protocol):
    """Runs one idempotent read (`admin` marks Admin API calls). The service passes a retrying one, so a
    503 or 429 while planning is waited out; a read is safe to repeat, unlike a create."""

    def __call__(self, fn: Callable[[], T], *, admin: bool = False) -> T: ...


def run_once(fn: Callable[[], T], *, admin: bool = False) -> T:
    """The default runner: no retries (tests and callers that retry around the whole read)."""
    return fn()


# Called with each page of live assistants as it arrives, on reader threads, while later pages are in
# flight: the service digests them there instead of after the whole read. With list hints the pages
# come from several threads at once, out of order, possibly cut short or from segments the result does
# not use; so a sink keys what it keeps by object and is reused only for the very objects returned.
# A listing that is repeated (a retried read) pages again.
PageSink = Callable[[Sequence[LiveAssistant]], None]


@dataclass
class ReadTuning:
    """One read's runner and speed machinery (module docstring); `seen` is filled by the read."""

    run: ReadRunner = run_once
    hints: Mapping[str, Sequence[str]] = field(default_factory=dict)
    known_stores: Callable[[], Collection[str]] | None = None
    on_assistants: PageSink | None = None
    seen: dict[str, tuple[str, ...]] = field(default_factory=dict)
    _lock: Lock = field(default_factory=Lock, repr=False)

    def cursors(self, listing: str) -> tuple[str, ...]:
        return tuple(self.hints.get(listing, ()))

    def saw(self, listing: str, cursors: Sequence[str]) -> None:
        """Where the pages of `listing` began in this read. A list of one page has none: its empty entry
        tells the caller to drop any it kept."""
        with self._lock:
            self.seen[listing] = tuple(cursors)
