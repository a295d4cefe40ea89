"""The stop button's store on every backend (issue 16 item 7): the current stops, the history of every
stop and start (who, where, when, why), a second stop or start that changes nothing and records nothing,
and the stop watch, which says whether a stop may have committed since it last said - through this
connection or another."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from reconciler.errors import StateError
from reconciler.store.sqlstore import SqlStore
from tests.contract.store.conftest import Backend

NAME = "CorporateAssist"


def test_a_stop_is_current_until_a_start_and_both_are_in_the_history(store: SqlStore) -> None:
    assert store.stops("prod") == {}
    stop = store.set_stopped("prod", NAME, True, user="ana", host="ops-1", reason="leaking data", now=10.0)
    assert stop is not None
    assert (stop.assistant, stop.stopped, stop.user, stop.host, stop.reason, stop.at) == (
        NAME,
        True,
        "ana",
        "ops-1",
        "leaking data",
        10.0,
    )
    assert store.stops("prod") == {NAME: stop}
    assert store.stops("staging") == {}  # scoped by workspace

    # A second press changes nothing: the first stop and its reason stay in force, no history row.
    assert store.set_stopped("prod", NAME, True, user="bo", host="h", reason="again", now=11.0) is None
    assert store.stops("prod")[NAME].reason == "leaking data"

    start = store.set_stopped("prod", NAME, False, user="bo", host="ops-2", reason="fixed", now=20.0)
    assert start is not None and not start.stopped
    assert store.stops("prod") == {}
    assert store.set_stopped("prod", NAME, False, user="bo", host="h", reason="", now=21.0) is None
    assert store.stop_history("prod", NAME) == (stop, start)
    assert store.stop_history("prod", "Other") == ()


def test_a_stop_whose_reason_holds_a_key_is_refused(store: SqlStore) -> None:
    with pytest.raises(StateError, match="API key"):
        store.set_stopped("prod", NAME, True, user="u", host="h", reason="sk-" + "a" * 40, now=1.0)
    assert store.stops("prod") == {}


def _eventually(check: Callable[[], bool], seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.01)
    return check()


def test_the_watch_sees_stops_through_its_own_connection_and_another(backend: Backend) -> None:
    reader = backend.store
    watch = reader.stop_watch()
    try:
        assert watch.changed()  # the first answer: read once
        assert not watch.changed()
        reader.set_stopped("prod", NAME, True, user="u", host="h", reason="", now=1.0)
        assert watch.changed()  # a write through the watched connection itself
        time.sleep(0.2)  # PostgreSQL: its own notice lands too (one more harmless re-read): drain it
        watch.changed()
        assert not watch.changed()
        other = backend.connect()  # another process's handle (the same one in memory)
        other.set_stopped("prod", NAME, False, user="u", host="h", reason="", now=2.0)
        assert _eventually(watch.changed)  # PostgreSQL: when the notice lands
        assert reader.stops("prod") == {}
    finally:
        watch.close()
        watch.close()  # idempotent
