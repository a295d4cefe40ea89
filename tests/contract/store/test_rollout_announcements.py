"""A rollout's save changes what the runtime serves, so it is announced as a stop is (issue 16): a stop watch
on the saving connection says changed at once, one on another connection once the commit reaches it
(SQLite's data_version, PostgreSQL's notice); inside a caller's transaction only once that commits, and
a save or stop rolled back with it announces nothing."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from reconciler.store.stop_tables import StopWatch
from tests.contract.store.conftest import Backend
from tests.contract.store.rollout_data import BOT, WS, advance, event, rollout, start


def _eventually(check: Callable[[], bool], seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.01)
    return check()


def _heard(watch: StopWatch) -> int:
    """How many notices a PostgreSQL watch has heard (SQLite's watch hears none: it compares counters)."""
    return int(getattr(watch, "_received", 0))


def _settle(watch: StopWatch, before: int, notices: int) -> None:
    """Wait until `notices` more notices than `before` landed (a PostgreSQL watch hears its own
    connection's saves too, after they are already counted), then take the watch's answer, so its next
    one reflects only what follows."""
    if hasattr(watch, "_received"):
        assert _eventually(lambda: _heard(watch) >= before + notices)
    watch.changed()


def test_a_saved_rollout_reaches_stop_watches_on_this_connection_and_another(backend: Backend) -> None:
    reader = backend.store
    watch = reader.stop_watch()
    try:
        assert watch.changed()
        assert not watch.changed()
        before = _heard(watch)
        record = start(reader)
        assert watch.changed()  # a save through the watched connection itself: at once
        _settle(watch, before, 1)
        assert not watch.changed()
        other = backend.connect()  # another process's handle (the same one in memory)
        advance(other, record, 200.0, weight=10)
        assert _eventually(watch.changed)  # PostgreSQL: once the notice lands
    finally:
        watch.close()


@pytest.mark.parametrize("write", ["save_rollout", "set_stopped"])
def test_a_rolled_back_save_or_stop_announces_nothing(backend: Backend, write: str) -> None:
    reader = backend.store
    writer = backend.connect()  # in memory: the reader itself, whose own count must not move either
    watch = reader.stop_watch()
    try:
        assert watch.changed()
        before = _heard(watch)
        record = rollout()
        with pytest.raises(RuntimeError), writer.transaction():
            if write == "save_rollout":
                writer.save_rollout(WS, record, event(record, "started"), expect_revision=None)
            else:
                writer.set_stopped(WS, BOT, True, user="u", host="h", reason="", now=1.0)
            raise RuntimeError("abandoned")
        assert reader.rollouts(WS) == () and reader.stops(WS) == {}
        if backend.name != "postgres":
            assert not watch.changed()  # neither data_version nor this connection's count moved
            return
        # Notices arrive in commit order: after a committed stop's notice lands, one notice in all
        # shows the abandoned write sent none.
        writer.set_stopped(WS, "Sentinel", True, user="u", host="h", reason="", now=2.0)
        assert _eventually(lambda: _heard(watch) > before)
        assert _heard(watch) == before + 1
    finally:
        watch.close()


def test_a_save_inside_a_callers_transaction_is_announced_when_that_commits(backend: Backend) -> None:
    store = backend.store
    watch = store.stop_watch()
    try:
        assert watch.changed()
        with store.transaction():
            record = start(store)
            assert not watch.changed()  # not committed: nothing another reader could see yet
            advance(store, record, 200.0, weight=10)
        assert watch.changed()
    finally:
        watch.close()
