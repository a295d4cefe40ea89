"""The stop button across connections on PostgreSQL (issue 16 item 7): a Router on one connection hears a
stop committed on another through LISTEN/NOTIFY - its cached lookups make no round trip until the notice
lands, and the first lookup after it refuses."""

from __future__ import annotations

import threading
import time

import pytest

from reconciler.model.stored import VersionRecord
from reconciler.runtime import Router, Stopped
from reconciler.store import open_store

pytestmark = pytest.mark.postgres

WS = "prod"
NAME = "CorporateAssist"


def test_a_stop_on_another_connection_reaches_a_router_by_notification(pg_schema_dsn: str) -> None:
    with open_store(pg_schema_dsn) as writer:
        writer.add_version(WS, VersionRecord(assistant=NAME, number=1, platform_id="b_1", fingerprint="f1"))
        writer.move_pointer(WS, NAME, "stable", 1, user="ci", host="h", reason="", now=1.0)
        with Router(pg_schema_dsn, WS, ttl_seconds=3600) as router:
            assert router.assistant_id(NAME) == "b_1"
            for _ in range(100):
                router.assistant_id(NAME)
            assert router.stop_reads == 1  # no notice, no re-read: cached lookups stay in memory

            # A pointer move notifies nothing: still no re-read.
            writer.move_pointer(WS, NAME, "stable", 1, user="ci", host="h", reason="", now=2.0)
            time.sleep(0.1)
            router.assistant_id(NAME)
            assert router.stop_reads == 1

            writer.set_stopped(WS, NAME, True, user="ana", host="ops", reason="incident", now=3.0)
            deadline = time.monotonic() + 5.0
            seen: Stopped | None = None
            while seen is None and time.monotonic() < deadline:
                try:
                    router.assistant_id(NAME)
                except Stopped as error:
                    seen = error
            assert seen is not None, "the stop never reached the router"
            assert (seen.name, seen.reason, seen.user) == (NAME, "incident", "ana")

            writer.set_stopped(WS, NAME, False, user="ana", host="ops", reason="over", now=4.0)
            deadline = time.monotonic() + 5.0
            while time.monotonic() < deadline:
                try:
                    assert router.assistant_id(NAME) == "b_1"
                    break
                except Stopped:
                    time.sleep(0.001)
            else:
                pytest.fail("the start never reached the router")
    # close() ends the listening thread (and its connection) with the router.
    assert not [t for t in threading.enumerate() if t.name == "reconciler-stop-watch"]


def test_a_rolled_back_stop_notifies_nothing(pg_schema_dsn: str) -> None:
    with open_store(pg_schema_dsn) as writer, open_store(pg_schema_dsn) as reader:
        watch = reader.stop_watch()
        try:
            assert watch.changed()
            with pytest.raises(RuntimeError), writer.transaction():
                writer.set_stopped(WS, NAME, True, user="u", host="h", reason="", now=1.0)
                raise RuntimeError("abandoned")
            time.sleep(0.3)
            assert not watch.changed()
            assert reader.stops(WS) == {}
        finally:
            watch.close()
