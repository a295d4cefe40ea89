"""The router's control snapshot: the workspace's current stops and the active rollouts of the assistants
it assigns, re-read only when the store's watch says a stop, start or rollout save may have committed
(one watch check per call)."""

from __future__ import annotations

from collections.abc import Callable
from threading import Lock

from reconciler.model.rollouts import RolloutRecord
from reconciler.model.stored import StopEvent
from reconciler.runtime.release import Stopped
from reconciler.store.base import StateReader
from reconciler.store.stop_tables import StopWatch

__all__ = ["Control"]

RolloutKey = tuple[str, str, int, int] | None


def _key(rollout: RolloutRecord | None) -> RolloutKey:
    if rollout is None:
        return None
    return (rollout.id, rollout.status.value, rollout.weight, rollout.revision)


class Control:
    """Stops and active rollouts as last read. `check(name)` asks the watch once and re-reads both when it
    said changed (read the watch first, then the tables: a save committed in between is either read now
    or signalled again); a failed re-read leaves the snapshot stale, to retry next call. When an
    assistant's rollout differs from the one in the snapshot, `on_rollout_change(name)` runs (the router
    drops that assistant's cached pins: an abort with onAbort: stable rewrote them)."""

    def __init__(
        self,
        store: StateReader,
        workspace: str,
        watch: StopWatch,
        on_rollout_change: Callable[[str], None],
    ) -> None:
        self._store = store
        self._workspace = workspace
        self._watch = watch
        self._on_rollout_change = on_rollout_change
        self._lock = Lock()
        self._stops: dict[str, StopEvent] = {}
        self._rollouts: dict[str, RolloutRecord | None] = {}  # the assistants assigned so far
        self._stale = True
        self._refreshes = 0  # lets a first read of a rollout tell whether a refresh overtook it
        self.reads = 0  # re-reads after the watch said changed (or after a failed one)

    def check(self, name: str) -> None:
        """Raise `Stopped` when `name` is stopped, after refreshing the snapshot if the watch moved."""
        with self._lock:
            if self._watch.changed() or self._stale:
                self._refresh()
            stop = self._stops.get(name)
        if stop is not None:
            raise Stopped(self._workspace, stop)

    def _refresh(self) -> None:
        self._stale = True
        self._stops = self._store.stops(self._workspace)
        for name, known in list(self._rollouts.items()):
            fresh = self._store.active_rollout(self._workspace, name)
            if _key(fresh) != _key(known):
                self._rollouts[name] = fresh
                self._on_rollout_change(name)
        self._refreshes += 1
        self._stale = False
        self.reads += 1

    def rollout(self, name: str) -> RolloutRecord | None:
        """The active rollout of `name` as of the last check; the first time, read from the store (and from
        then on kept fresh by `check`)."""
        with self._lock:
            if name in self._rollouts:
                return self._rollouts[name]
            seen = self._refreshes
        fresh = self._store.active_rollout(self._workspace, name)  # outside the lock: a store read
        with self._lock:
            if name not in self._rollouts:
                self._rollouts[name] = fresh
                if seen != self._refreshes:
                    # A refresh ran while we read and did not know `name` yet: what we read may predate
                    # the save it was told about, so read again on the next call.
                    self._stale = True
            return self._rollouts[name]
