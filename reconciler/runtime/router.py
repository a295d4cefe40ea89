"""The `Router`: names to releases through release pointers (cached for a TTL), conversations to their
pinned version (cached for good, refreshed when the assistant's rollout changes), the stop check on every
lookup, and the telemetry calls handed to `runtime.telemetry`. See the package docstring for the API."""

from __future__ import annotations

import time
import weakref
from collections.abc import Callable
from threading import Lock
from types import TracebackType
from typing import Any, Self

from reconciler.errors import StateError
from reconciler.rollout import events
from reconciler.rollout.pointers import STABLE, resolve
from reconciler.runtime.assignment import Pins, canary_choice
from reconciler.runtime.control import Control
from reconciler.runtime.release import Release, Route, Stopped, VersionGone
from reconciler.runtime.telemetry import DEFAULT_FLUSH_SECONDS, DEFAULT_MAX_PENDING, Recorder
from reconciler.store import open_store
from reconciler.store.base import StateReader, StateStore
from reconciler.store.factory import missing_file

__all__ = ["DEFAULT_TTL_SECONDS", "Router", "resolve_assistant"]

DEFAULT_TTL_SECONDS = 2.0
MAX_MOVES = 16  # a chain of copies longer than this is a loop in a store edited by hand
MOVE_RECHECK_SECONDS = 5.0  # how long an unmoved conversation is trusted to stay unmoved
DEFAULT_MAX_CONVERSATIONS = 100_000  # cached pins per assistant; past it the oldest is read again


class Router:
    """Resolves assistant names to platform ids through release pointers, with a short cache; pins
    conversations to versions; records telemetry in the background.

    `source` is a state DSN (the router opens the store and closes it in `close()`) or an open store (the
    caller keeps ownership; `assign`, `observe` and `tool_error` need a `StateStore`, not a read-only
    `StateReader`). `clock` returns monotonic seconds for the TTL and `wall_clock` epoch seconds for what
    is recorded; tests pass fakes. Thread-safe.

    Given a DSN, telemetry is written on a connection of its own (opened at the first flush); given a
    store, through that store, so on SQLite a lookup's watch check may wait behind a telemetry write.
    `flush_seconds` is how often the telemetry thread writes; `max_pending` bounds what waits to be
    written (queued observations, unwritten rows, conversations seen), past which it is dropped and
    counted (`telemetry.dropped`); `max_conversations` bounds the pins cached per assistant.
    """

    def __init__(
        self,
        source: str | StateReader,
        workspace: str,
        *,
        ttl_seconds: float = DEFAULT_TTL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        flush_seconds: float = DEFAULT_FLUSH_SECONDS,
        max_conversations: int = DEFAULT_MAX_CONVERSATIONS,
        max_pending: int = DEFAULT_MAX_PENDING,
    ) -> None:
        if ttl_seconds < 0:
            raise ValueError("ttl_seconds must be zero or more")
        self._owns_store = isinstance(source, str)
        self._store: StateReader = _open_existing(source) if isinstance(source, str) else source
        self.workspace = workspace
        self.ttl_seconds = ttl_seconds
        self._clock = clock
        self._wall_clock = wall_clock
        self._lock = Lock()
        # (name, pointer) -> (release, expires)
        self._cache: dict[tuple[str, str], tuple[Release, float]] = {}
        self._versions: dict[tuple[str, int], Release] = {}  # immutable: cached for good
        self.lookups = 0  # store reads made; lets tests and metrics see cache hits
        self.assign_reads = 0  # assignments read (or made) in the store: cache misses of `assign`
        self._pins = Pins(max_conversations)
        # (name, conversation) -> ((its copy, the copy's version), or None; when to ask again)
        self._moves: dict[tuple[str, str], tuple[tuple[str, int] | None, float]] = {}
        self._max_moves = max_conversations
        self._writer: StateStore | None = self._store if isinstance(self._store, StateStore) else None
        self._telemetry: Recorder | None = None
        try:
            self._watch = self._store.stop_watch()
            if self._writer is not None:
                self._telemetry = self._recorder(source, flush_seconds, max_pending)
        except BaseException:
            if self._owns_store:
                self._store.close()
            raise
        self._control = Control(self._store, workspace, self._watch, self._pins.drop)
        self._close_watch = weakref.finalize(self, self._watch.close)  # its listener thread, on PostgreSQL
        # Stops the flushing thread and writes what is left when the router is dropped without close().
        self._close_telemetry = weakref.finalize(self, self._telemetry.close if self._telemetry else _no_op)
        self._generation = 0  # bumped by every invalidation
        # The listener holds the router weakly so that a router dropped without close() is collected.
        ref = weakref.ref(self)

        def listener(workspace: str, assistant: str) -> None:
            router = ref()
            if router is not None:
                router.invalidate(assistant, workspace=workspace)

        # finalize() runs once: on close(), or when the router is collected without one.
        self._unsubscribe = weakref.finalize(self, events.subscribe(listener))

    def _recorder(self, source: str | StateReader, flush_seconds: float, max_pending: int) -> Recorder:
        store = self._writer
        assert store is not None
        if isinstance(source, str) and ":memory:" not in source:
            # Telemetry writes on a connection of its own: on SQLite the watch of every lookup shares the
            # router's connection, and must not wait behind a batch being written.
            def open_writer() -> StateStore:
                return open_store(source)

            return Recorder(
                self.workspace,
                open_writer,
                owns_writer=True,
                flush_seconds=flush_seconds,
                wall_clock=self._wall_clock,
                max_pending=max_pending,
            )
        return Recorder(
            self.workspace,
            lambda: store,
            owns_writer=False,
            flush_seconds=flush_seconds,
            wall_clock=self._wall_clock,
            max_pending=max_pending,
        )

    # -- pointers ----------------------------------------------------------------------------------
    def assistant_id(self, name: str, pointer: str = STABLE) -> str:
        """The platform id of the version `pointer` holds for assistant `name` (on the Responses-era
        platform, its bundle's id). Raises `AssistantNotDeployed` when the pointer names no version (never
        deployed, or the assistant was destroyed), `rollout.pointers.UnknownAssistant` for a name the store
        has never seen; both are `UserError`s. Failures are never cached."""
        return self.release(name, pointer).platform_id

    def release(self, name: str, pointer: str = STABLE) -> Release:
        """The version `pointer` holds for assistant `name`, as a `Release` (cached like `assistant_id`)."""
        self.refuse_if_stopped(name)
        return self._pointed(name, pointer)

    def _pointed(self, name: str, pointer: str) -> Release:
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
        """Raise `Stopped` when `name` is stopped: `release` and `assign` do, and an application that keeps
        a release for a conversation calls this before each turn. The current stops (and the active
        rollouts of assigned assistants) are re-read only when the store's watch says they may have
        changed; a failed re-read leaves them stale, to retry next call."""
        self._control.check(name)

    @property
    def stop_reads(self) -> int:
        """Re-reads of the stops (each after the watch saw a change)."""
        return self._control.reads

    # -- sticky assignment -------------------------------------------------------------------------
    def assign(self, name: str, conversation: str) -> Release:
        """The version `conversation` is pinned to, pinning it first if it is new: while `name` has an
        active rollout (progressing or paused) a new conversation goes to the canary when a stable hash
        of (rollout id, conversation) falls under the canary's weight, else to what `stable` names. A pin
        never moves on its own (raising the weight moves no conversation); only an abort with onAbort:
        stable rewrites pins, and a rollout change drops this router's cached pins of `name`.

        Raises `Stopped` while `name` is stopped, `VersionGone` when the pinned version was deleted, and
        the pointer errors of `release` when a new conversation finds no `stable`. A conversation this
        router has seen is answered from memory (one watch check, no store read), so a version deleted
        after this router cached a pin to it is noticed only at the assistant's next rollout change or by
        a new router."""
        self.refuse_if_stopped(name)
        pinned = self._pins.get(name, conversation)
        if pinned is not None:
            return pinned
        return self._assign_from_store(name, conversation)

    def route(self, name: str, conversation: str) -> Route:
        """Where a turn of `conversation` goes: the conversation to send it to and the release to serve it
        with. When `reconcile conversations migrate` copied the conversation to a newer version (the
        Responses era), that is the copy and the copy's version; a copy migrated again is followed to the
        newest one. Otherwise it is `conversation` itself and `assign(name, conversation)`.

        A copy is followed only while it is pinned to the version it was made for: a canary aborted with
        `onAbort: stable` moves its conversations' pins back to stable, and then the original, still on its
        own version and tools, goes on instead of a copy whose calls were upcast for the aborted one.

        A move found is remembered for good (moves are never undone); a conversation found unmoved is
        asked again after `MOVE_RECHECK_SECONDS`, so a migration reaches a running application within
        that. Raises what `assign` raises."""
        self.refuse_if_stopped(name)
        target, release = conversation, None
        for _ in range(MAX_MOVES):
            moved = self._moved_to(name, target)
            if moved is None or moved[0] == target:
                break
            copy, version = moved
            held = self.assign(name, copy)
            if held.version != version:
                break  # its pin moved back (an aborted canary): the conversation it was copied from goes on
            target, release = copy, held
        else:
            raise StateError(f"conversation {conversation} of {name} was moved more than {MAX_MOVES} times")
        if release is None:
            release = self.assign(name, target)
        moved_from = conversation if target != conversation else None
        return Route(conversation=target, release=release, moved_from=moved_from)

    def _moved_to(self, name: str, conversation: str) -> tuple[str, int] | None:
        """(the copy, the version it was made for) of the latest move of `conversation`, or None."""
        key = (name, conversation)
        known = self._moves.get(key)
        now = self._clock()
        if known is not None and (known[0] is not None or known[1] > now):
            return known[0]
        move = self._store.conversation_move(self.workspace, name, conversation)
        target = (move.new_conversation, move.to_version) if move is not None else None
        with self._lock:
            if len(self._moves) >= self._max_moves:
                self._moves.pop(next(iter(self._moves)))
            self._moves[key] = (target, now + MOVE_RECHECK_SECONDS)
        return target

    def _assign_from_store(self, name: str, conversation: str) -> Release:
        writer = self._writer
        if writer is None:
            raise TypeError("Router.assign needs a writable StateStore, not a read-only StateReader")
        generation = self._pins.generation(name)
        # Asked first even when the pin exists: it puts `name` in the control snapshot, so a later change
        # of its rollout (an abort that rewrites pins) drops the pins cached here.
        rollout = self._control.rollout(name)
        pin = writer.assignment(self.workspace, name, conversation)
        if pin is None:
            canary = canary_choice(rollout, conversation)
            # Insert-if-absent: another process may have pinned it since we looked, and its pin wins. A
            # canary pin is written only while its rollout is active (an abort may have committed since
            # the snapshot was read); when it has ended, the conversation goes where stable is now.
            if canary is not None and rollout is not None:
                pin = writer.assign_conversation(
                    self.workspace, name, conversation, canary, now=self._wall_clock(), rollout_id=rollout.id
                )
            if pin is None:
                pin = writer.assign_conversation(
                    self.workspace, name, conversation, self._stable_version(name), now=self._wall_clock()
                )
            if pin is None:  # only a canary pin can be refused
                raise StateError(f"the store refused to pin conversation {conversation!r} of {name}")
        release = self._version(name, pin.version, conversation)
        self._pins.put(name, conversation, release, generation)
        with self._lock:
            self.assign_reads += 1
        return release

    def _stable_version(self, name: str) -> int:
        number = self._store.pointers(self.workspace, name).get(STABLE)
        if number is None:  # resolve says why: never deployed, destroyed, or an unknown name
            return resolve(self._store, self.workspace, name, STABLE).number
        return number

    def _version(self, name: str, number: int, conversation: str) -> Release:
        cached = self._versions.get((name, number))
        if cached is not None:
            return cached
        record = next((v for v in self._store.versions(self.workspace, name) if v.number == number), None)
        if record is None:
            raise StateError(
                f"conversation {conversation} of {name} is pinned to version {number}, which the store lacks"
            )
        if record.deleted:
            raise VersionGone(
                f"conversation {conversation} of {name} is pinned to version {number}, which was deleted; "
                "it cannot go on with the tools it started with: start a new conversation"
            )
        release = Release.of(record)
        with self._lock:
            self._versions[(name, number)] = release
        return release

    # -- telemetry ---------------------------------------------------------------------------------
    def observe(
        self,
        release: Release,
        response: Any,
        *,
        latency_s: float,
        conversation: str | None = None,
        cost_usd: float | None = None,
    ) -> None:
        """Record one answer of `release`: `response` is an SDK Responses `Response` or an Assistants-v2
        `Run`, or either's dict; `latency_s` what the call took. Only queues it (microseconds, no I/O):
        the flushing thread counts it as failed when its status is failed or incomplete (a run's also
        when expired), counts its function calls and validates their arguments against the tool's JSON
        Schema in this release's bundle (a call to a tool the release does not offer, or arguments that
        are not JSON, are invalid). A release that is a platform assistant (Assistants v2) carries no tool
        schemas in the store: its calls are counted but not validated. `conversation` marks the
        conversation seen; `cost_usd` adds to its cost."""
        recorder = self._telemetry
        if recorder is None:
            raise TypeError("Router.observe needs a writable StateStore, not a read-only StateReader")
        recorder.observe(release, response, latency_s, conversation, cost_usd)

    def tool_error(self, release: Release, tool: str) -> None:
        """Record that the application's handler for `tool` failed on a call `release` made. Only queues."""
        recorder = self._telemetry
        if recorder is None:
            raise TypeError("Router.tool_error needs a writable StateStore, not a read-only StateReader")
        recorder.tool_error(release, tool)

    def flush(self) -> None:
        """Write the telemetry queued so far now (the thread does every `flush_seconds`, and `close` does
        last). A failed write is logged and kept for the next flush, never raised."""
        if self._telemetry is not None:
            self._telemetry.flush()

    @property
    def telemetry(self) -> Recorder | None:
        """The recorder, for its counters: `written` rows, `failures`, `dropped`, `pending`."""
        return self._telemetry

    # -- lifecycle ---------------------------------------------------------------------------------
    def invalidate(self, assistant: str | None = None, *, workspace: str | None = None) -> None:
        """Forget cached pointer answers: for one assistant, or all of them. A move in another workspace is
        ignored. Pins are not pointer answers: they stay."""
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
        """Stop listening for pointer moves, flush and stop the telemetry thread, and close the store if the
        router opened it. Idempotent."""
        self._unsubscribe()
        self._close_telemetry()
        self._close_watch()
        if self._owns_store:
            self._store.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def _no_op() -> None:
    return None


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
