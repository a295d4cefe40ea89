"""The small API an application imports: which version of `NAME` serves right now, and how to call it.

On the Responses-era platform a version is a release bundle in the store; the application keeps its own
`OpenAI` client (the runtime never holds an API key) and passes the bundle's arguments to each call:

```python
from reconciler.runtime import Router

router = Router("sqlite:////srv/app/.reconcile/state.db", workspace="openai")
release = router.release("CorporateAssist")  # what `stable` names, as `reconcile resolve` prints
response = client.responses.create(**release.responses_kwargs(), conversation=conv.id, input=text)
```

`release.name`, `.version` and `.fingerprint` say which version answered, and so does every response:
its metadata carries `reconciler/name` and `reconciler/version`. On an Assistants-v2 platform a version
is a platform assistant: `router.assistant_id(name)` is its id.

Answers are cached for `ttl_seconds` (2 s by default) so a busy application does not read the store on
every request. Staleness is bounded two ways:

* in this process, a pointer move made through `reconciler.rollout` (rollback, promote) or by an apply run
  through `reconciler.service` (a new version, or an assistant destroyed, which clears its pointers)
  invalidates the cached answer immediately (`rollout.events`);
* in other processes - a `reconcile rollback` run from a shell, or an apply on a CI runner - nothing is
  signalled, so a router keeps serving the old id for at most `ttl_seconds` after the move commits.
  Choose the TTL as the longest you accept serving the old version after a rollback (0 disables caching).

The stop button is not bound by the TTL. After `reconcile stop NAME` commits, `release(NAME)` and
`assistant_id(NAME)` raise `Stopped` (name, reason, who, when), and the application serves its fallback,
until `reconcile start NAME`. Every lookup first asks the store's stop watch whether the stop state may
have changed, and re-reads the current stops only when it did: on SQLite the watch reads the
connection's `PRAGMA data_version` (the next lookup after the commit refuses), on PostgreSQL a listening
connection counts the stop notices as they arrive (no round trip per lookup).
"""

from __future__ import annotations

import copy
import time
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from threading import Lock
from types import TracebackType
from typing import Any, Self

from reconciler.errors import StateError, UserError
from reconciler.model.stored import StopEvent, VersionRecord
from reconciler.plan.bundles import bundle_assistant
from reconciler.rollout import events
from reconciler.rollout.pointers import STABLE, AssistantNotDeployed, resolve
from reconciler.store import open_store
from reconciler.store.base import StateReader
from reconciler.store.factory import missing_file
from reconciler.targets.responses_wire import response_params

__all__ = ["AssistantNotDeployed", "NotABundle", "Release", "Router", "Stopped", "resolve_assistant"]

DEFAULT_TTL_SECONDS = 2.0


class NotABundle(UserError):
    """The version is a platform assistant (an Assistants-v2 target): call it by `assistant_id`."""


class Stopped(UserError):
    """An operator stopped the assistant (`reconcile stop NAME`): serve the application's fallback, not a
    turn, until `reconcile start NAME`. Carries who stopped it, where, when (epoch seconds) and why."""

    def __init__(self, workspace: str, stop: StopEvent) -> None:
        self.workspace = workspace
        self.name = stop.assistant
        self.reason = stop.reason
        self.user = stop.user
        self.host = stop.host
        self.at = stop.at
        when = datetime.fromtimestamp(stop.at, UTC).strftime("%Y-%m-%d %H:%M:%SZ")
        why = f": {stop.reason}" if stop.reason else ""
        super().__init__(
            f"{stop.assistant} is stopped in {workspace} since {when} by {stop.user}@{stop.host}{why}; "
            f"`reconcile start {stop.assistant}` resumes it"
        )


@dataclass(frozen=True)
class Release:
    """One version of an assistant as an application serves it. Immutable; shared between callers."""

    name: str
    version: int
    fingerprint: str
    platform_id: str  # the bundle id, or the platform assistant's id on Assistants v2
    _params: Mapping[str, Any] | None  # None: not a bundle

    @classmethod
    def of(cls, record: VersionRecord) -> Release:
        bundle = bundle_assistant(record)
        params = response_params(bundle) if bundle is not None else None
        return cls(record.assistant, record.number, record.fingerprint, record.platform_id, params)

    @property
    def is_bundle(self) -> bool:
        return self._params is not None

    def responses_kwargs(self) -> dict[str, Any]:
        """The keyword arguments for `client.responses.create(...)`: model, instructions, tools, sampling,
        reasoning, text format and the metadata that names this version. A fresh copy each call, so the
        caller may add to it (`input`, `conversation`, ...) without touching the cached release."""
        if self._params is None:
            raise NotABundle(
                f"{self.name} version {self.version} is a platform assistant ({self.platform_id}), not a "
                "release bundle: call it by Router.assistant_id on an Assistants-v2 target"
            )
        return copy.deepcopy(dict(self._params))


class Router:
    """Resolves assistant names to platform ids through release pointers, with a short cache.

    `source` is a state DSN (the router opens the store and closes it in `close()`) or an open
    `StateReader` (the caller keeps ownership). `clock` returns seconds; tests pass a fake. Thread-safe.
    """

    def __init__(
        self,
        source: str | StateReader,
        workspace: str,
        *,
        ttl_seconds: float = DEFAULT_TTL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if ttl_seconds < 0:
            raise ValueError("ttl_seconds must be zero or more")
        self._owns_store = isinstance(source, str)
        self._store: StateReader = _open_existing(source) if isinstance(source, str) else source
        self.workspace = workspace
        self.ttl_seconds = ttl_seconds
        self._clock = clock
        self._lock = Lock()
        self._cache: dict[
            tuple[str, str], tuple[Release, float]
        ] = {}  # (name, pointer) -> (release, expires)
        self.lookups = 0  # store reads made; lets tests and metrics see cache hits
        self.stop_reads = 0  # re-reads of the current stops (each after the watch saw a change)
        self._stop_lock = Lock()
        self._stops: dict[str, StopEvent] = {}
        self._stops_stale = True
        try:
            self._watch = self._store.stop_watch()
        except BaseException:
            if self._owns_store:
                self._store.close()
            raise
        self._close_watch = weakref.finalize(self, self._watch.close)  # its listener thread, on PostgreSQL
        self._generation = 0  # bumped by every invalidation
        # The listener holds the router weakly so that a router dropped without close() is collected.
        ref = weakref.ref(self)

        def listener(workspace: str, assistant: str) -> None:
            router = ref()
            if router is not None:
                router.invalidate(assistant, workspace=workspace)

        # finalize() runs once: on close(), or when the router is collected without one.
        self._unsubscribe = weakref.finalize(self, events.subscribe(listener))

    def assistant_id(self, name: str, pointer: str = STABLE) -> str:
        """The platform id of the version `pointer` holds for assistant `name` (on the Responses-era
        platform, its bundle's id). Raises `AssistantNotDeployed` when the pointer names no version (never
        deployed, or the assistant was destroyed), `rollout.pointers.UnknownAssistant` for a name the store
        has never seen; both are `UserError`s. Failures are never cached."""
        return self.release(name, pointer).platform_id

    def release(self, name: str, pointer: str = STABLE) -> Release:
        """The version `pointer` holds for assistant `name`, as a `Release` (cached like `assistant_id`)."""
        self.refuse_if_stopped(name)
        key = (name, pointer)
        now = self._clock()
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None and now < hit[1]:
                return hit[0]
            generation = self._generation
        release = Release.of(resolve(self._store, self.workspace, name, pointer))
        with self._lock:
            self.lookups += 1
            # A move notified while we were reading may mean we read the old pointer: answer, but do
            # not cache it, or the invalidation would be undone for a whole TTL.
            if self.ttl_seconds > 0 and generation == self._generation:
                self._cache[key] = (release, now + self.ttl_seconds)
        return release

    def refuse_if_stopped(self, name: str) -> None:
        """Raise `Stopped` when `name` is stopped: `release` does, and an application that pins a
        conversation to the release it started on calls this before each turn. The current stops are
        re-read only when the watch says they may have changed (read the watch first, then the table: a
        stop committed in between is either read now or signalled again); a failed re-read leaves them
        stale, to retry next call."""
        with self._stop_lock:
            if self._watch.changed() or self._stops_stale:
                self._stops_stale = True
                self._stops = self._store.stops(self.workspace)
                self._stops_stale = False
                self.stop_reads += 1
            stop = self._stops.get(name)
        if stop is not None:
            raise Stopped(self.workspace, stop)

    def invalidate(self, assistant: str | None = None, *, workspace: str | None = None) -> None:
        """Forget cached answers: for one assistant, or all of them. A move in another workspace is
        ignored."""
        if workspace is not None and workspace != self.workspace:
            return
        with self._lock:
            self._generation += 1
            if assistant is None:
                self._cache.clear()
            else:
                for key in [k for k in self._cache if k[0] == assistant]:
                    del self._cache[key]

    def close(self) -> None:
        """Stop listening for pointer moves and close the store if the router opened it. Idempotent."""
        self._unsubscribe()
        self._close_watch()
        if self._owns_store:
            self._store.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def _open_existing(dsn: str) -> StateReader:
    """The store a DSN names; an SQLite file that is not there is an error, not a new empty store (a
    relative path is taken from the working directory, which is seldom the project's)."""
    database = missing_file(dsn)
    if database is not None:
        raise StateError(
            f"no state store at {database.resolve()}: apply the project first, or give the state DSN "
            "with an absolute path (sqlite:////abs/path/state.db)"
        )
    return open_store(dsn)


def resolve_assistant(source: str | StateReader, workspace: str, name: str, pointer: str = STABLE) -> str:
    """One uncached lookup, for scripts: the platform id `pointer` names for assistant `name` (`Stopped`
    while it is stopped)."""
    if isinstance(source, str):
        with _open_existing(source) as store:
            return _resolve_unless_stopped(store, workspace, name, pointer)
    return _resolve_unless_stopped(source, workspace, name, pointer)


def _resolve_unless_stopped(store: StateReader, workspace: str, name: str, pointer: str) -> str:
    stop = store.stops(workspace).get(name)
    if stop is not None:
        raise Stopped(workspace, stop)
    return resolve(store, workspace, name, pointer).platform_id
