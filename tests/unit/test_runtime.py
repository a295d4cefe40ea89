"""runtime.Router: cache hits, TTL expiry on a fake clock, invalidation by an in-process pointer move."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler.errors import StateError
from reconciler.model.stored import VersionRecord
from reconciler.rollout import events
from reconciler.rollout.pointers import UnknownAssistant, UnknownVersion, promote, rollback
from reconciler.runtime import NotABundle, Router, Stopped, resolve_assistant
from reconciler.store import StateStore, open_store

WS = "local"
NAME = "CorporateAssist"
WHO = {"user": "alice", "host": "laptop", "reason": "test", "now": 1.0}


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _seed(store: StateStore, workspace: str = WS) -> None:
    for n in (1, 2):
        store.add_version(
            workspace,
            VersionRecord(assistant=NAME, number=n, platform_id=f"asst_v{n}", fingerprint=f"f{n}"),
        )
    store.move_pointer(workspace, NAME, "stable", 1, user="ci", host="h", reason="", now=0.0)
    store.move_pointer(workspace, NAME, "stable", 2, user="ci", host="h", reason="", now=0.0)


@pytest.fixture
def store() -> Iterator[StateStore]:
    with open_store("sqlite:///:memory:") as s:
        _seed(s)
        yield s


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def _move_behind_routers_back(store: StateStore, to: int) -> None:
    """A move made by another process: straight to the store, no event in this process."""
    store.move_pointer(WS, NAME, "stable", to, user="other", host="elsewhere", reason="", now=2.0)


def test_a_second_lookup_within_the_ttl_is_a_cache_hit(store: StateStore, clock: FakeClock) -> None:
    with Router(store, WS, ttl_seconds=2.0, clock=clock) as router:
        assert router.assistant_id(NAME) == "asst_v2"
        _move_behind_routers_back(store, 1)
        clock.now += 1.9
        assert router.assistant_id(NAME) == "asst_v2"  # stale, but within the documented bound
        assert router.lookups == 1


def test_the_ttl_bounds_staleness_of_moves_made_elsewhere(store: StateStore, clock: FakeClock) -> None:
    with Router(store, WS, ttl_seconds=2.0, clock=clock) as router:
        router.assistant_id(NAME)
        _move_behind_routers_back(store, 1)
        clock.now += 2.0
        assert router.assistant_id(NAME) == "asst_v1"
        assert router.lookups == 2


def test_an_in_process_rollback_invalidates_at_once(store: StateStore, clock: FakeClock) -> None:
    with Router(store, WS, ttl_seconds=60.0, clock=clock) as router:
        assert router.assistant_id(NAME) == "asst_v2"
        rollback(store, WS, NAME, **WHO)
        assert router.assistant_id(NAME) == "asst_v1"  # the clock did not move
        promote(store, WS, NAME, to=2, **WHO)
        assert router.assistant_id(NAME) == "asst_v2"
        assert router.lookups == 3


def test_a_move_in_another_workspace_or_of_another_assistant_keeps_the_cache(
    store: StateStore, clock: FakeClock
) -> None:
    with Router(store, WS, ttl_seconds=60.0, clock=clock) as router:
        router.assistant_id(NAME)
        events.notify("other-workspace", NAME)
        events.notify(WS, "SomeoneElse")
        router.assistant_id(NAME)
        assert router.lookups == 1


def test_pointers_are_cached_separately(store: StateStore, clock: FakeClock) -> None:
    store.move_pointer(WS, NAME, "canary", 1, user="ci", host="h", reason="", now=0.0)
    with Router(store, WS, clock=clock) as router:
        assert router.assistant_id(NAME) == "asst_v2"
        assert router.assistant_id(NAME, pointer="canary") == "asst_v1"
        assert router.lookups == 2


def test_ttl_zero_reads_every_time(store: StateStore, clock: FakeClock) -> None:
    with Router(store, WS, ttl_seconds=0, clock=clock) as router:
        router.assistant_id(NAME)
        router.assistant_id(NAME)
        assert router.lookups == 2


def test_unknown_names_raise_and_are_not_cached(store: StateStore, clock: FakeClock) -> None:
    with Router(store, WS, clock=clock) as router:
        with pytest.raises(UnknownAssistant):
            router.assistant_id("Nobody")
        with pytest.raises(UnknownVersion):
            router.assistant_id(NAME, pointer="canary")


def test_a_closed_or_dropped_router_stops_listening(store: StateStore, clock: FakeClock) -> None:
    before = len(events._listeners)
    router = Router(store, WS, clock=clock)
    assert len(events._listeners) == before + 1
    router.close()
    router.close()  # idempotent
    assert len(events._listeners) == before
    dropped = Router(store, WS, clock=clock)
    assert len(events._listeners) == before + 1
    del dropped
    gc.collect()
    assert len(events._listeners) == before  # collected without close(): unsubscribed all the same
    events.notify(WS, NAME)


def test_router_from_a_dsn_opens_and_closes_its_own_store(tmp_path: Path, clock: FakeClock) -> None:
    dsn = f"sqlite:///{tmp_path / 'state.db'}"
    with open_store(dsn) as store:
        _seed(store, "openai")
    with Router(dsn, "openai", clock=clock) as router:
        assert router.assistant_id(NAME) == "asst_v2"
    assert resolve_assistant(dsn, "openai", NAME) == "asst_v2"


def test_negative_ttl_is_refused(store: StateStore) -> None:
    with pytest.raises(ValueError, match="ttl"):
        Router(store, WS, ttl_seconds=-1)


def _bundle(version: int) -> dict[str, object]:
    return {
        "id": f"bndl_v{version}",
        "name": NAME,
        "model": "gpt-4.1-2025-04-14",
        "instructions": f"version {version}",
        "tools": [{"type": "function", "name": "ping", "parameters": {"type": "object"}, "strict": False}],
        "metadata": {
            "team": "t",
            "reconciler/name": NAME,
            "reconciler/version": str(version),
            "managed-by": "reconciler",
        },
    }


def test_release_returns_the_bundle_the_pointer_names_with_its_responses_arguments() -> None:
    with open_store("sqlite:///:memory:") as s:
        for n in (1, 2):
            record = VersionRecord(
                assistant=NAME, number=n, platform_id=f"bndl_v{n}", fingerprint=f"f{n}", bundle=_bundle(n)
            )
            s.add_version(WS, record)
        s.move_pointer(WS, NAME, "stable", 2, user="ci", host="h", reason="", now=0.0)
        with Router(s, WS) as router:
            release = router.release(NAME)
            assert (release.name, release.version, release.fingerprint) == (NAME, 2, "f2")
            assert release.platform_id == router.assistant_id(NAME) == "bndl_v2"
            kwargs = release.responses_kwargs()
            assert kwargs["instructions"] == "version 2"
            assert kwargs["metadata"] == {"team": "t", "reconciler/name": NAME, "reconciler/version": "2"}
            kwargs["tools"].append({"type": "web_search"})  # the caller's copy, not the cached release
            assert len(router.release(NAME).responses_kwargs()["tools"]) == 1
            assert router.release(NAME) is release  # a cache hit is the same immutable object


def test_release_of_a_platform_assistant_version_says_to_use_assistant_id(store: StateStore) -> None:
    with Router(store, WS) as router:
        release = router.release(NAME)
        assert not release.is_bundle
        with pytest.raises(NotABundle, match="assistant_id"):
            release.responses_kwargs()


def test_a_state_file_that_is_not_there_is_an_error_and_is_not_created(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "state.db"
    with pytest.raises(StateError, match="no state store at"):
        Router(f"sqlite:///{missing}", WS)
    with pytest.raises(StateError, match="apply the project first"):
        resolve_assistant(f"sqlite:///{missing}", WS, NAME)
    assert not missing.exists() and not missing.parent.exists()


# -- the stop button (issue 16 item 7) -------------------------------------------------------------------


def _stop(store: StateStore, stopped: bool = True, reason: str = "leaking data") -> None:
    store.set_stopped(WS, NAME, stopped, user="ana", host="ops-1", reason=reason, now=1_000.0)


@pytest.fixture
def two_connections(tmp_path: Path) -> Iterator[tuple[StateStore, StateStore]]:
    """The router's store and another connection to the same file (what another process would hold)."""
    dsn = f"sqlite:///{tmp_path}/state.db"
    with open_store(dsn) as router_store, open_store(dsn) as other:
        _seed(other)
        yield router_store, other


def test_a_stop_from_another_connection_is_refused_on_the_next_lookup_without_a_ttl(
    two_connections: tuple[StateStore, StateStore], clock: FakeClock
) -> None:
    router_store, other = two_connections
    with Router(router_store, WS, ttl_seconds=3600, clock=clock) as router:
        assert router.assistant_id(NAME) == "asst_v2"
        _stop(other)
        with pytest.raises(Stopped) as stopped:
            router.release(NAME)  # cached for an hour, yet refused at once
        error = stopped.value
        assert (error.name, error.reason, error.user, error.host, error.at) == (
            NAME,
            "leaking data",
            "ana",
            "ops-1",
            1_000.0,
        )
        assert "reconcile start CorporateAssist" in error.one_line()
        with pytest.raises(Stopped):
            router.assistant_id(NAME)
        _stop(other, stopped=False, reason="fixed")
        assert router.assistant_id(NAME) == "asst_v2"
        assert router.lookups == 1  # the cached release is served again: the stop never touched it


def test_cached_lookups_read_the_stops_again_only_when_the_database_changed(
    two_connections: tuple[StateStore, StateStore], clock: FakeClock
) -> None:
    router_store, other = two_connections
    with Router(router_store, WS, ttl_seconds=3600, clock=clock) as router:
        for _ in range(5):
            router.release(NAME)
        assert router.stop_reads == 1
        _move_behind_routers_back(other, 1)  # any commit elsewhere moves data_version: one re-read
        router.release(NAME)
        router.release(NAME)
        assert router.stop_reads == 2


def test_a_stop_written_through_the_routers_own_store_is_seen_too(
    store: StateStore, clock: FakeClock
) -> None:
    # data_version does not count the connection's own commits; the store counts its stop writes.
    with Router(store, WS, ttl_seconds=3600, clock=clock) as router:
        router.release(NAME)
        _stop(store)
        with pytest.raises(Stopped):
            router.release(NAME)


def test_a_stop_of_another_assistant_or_workspace_does_not_refuse_this_one(
    store: StateStore, clock: FakeClock
) -> None:
    store.set_stopped("other-ws", NAME, True, user="u", host="h", reason="", now=1.0)
    store.set_stopped(WS, "Other", True, user="u", host="h", reason="", now=1.0)
    with Router(store, WS, ttl_seconds=3600, clock=clock) as router:
        assert router.assistant_id(NAME) == "asst_v2"


def test_resolve_assistant_refuses_a_stopped_assistant(store: StateStore) -> None:
    _stop(store)
    with pytest.raises(Stopped):
        resolve_assistant(store, WS, NAME)
