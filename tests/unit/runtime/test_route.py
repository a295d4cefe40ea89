"""`Router.route` on a real SQLite store: an unmoved conversation goes on as itself; a migrated one goes to
its copy on the copy's version, followed through a second migration; a copy whose pin moved back (an
aborted canary) is not followed; an unmoved conversation is asked again only after the recheck time;
and a stopped assistant refuses."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from reconciler.model.moves import ConversationMove, MigrationRecord, MigrationStatus
from reconciler.runtime import Router, Stopped
from reconciler.runtime.router import MOVE_RECHECK_SECONDS
from reconciler.store import open_store
from reconciler.store.base import StateStore
from tests.unit.runtime.fakes import NAME, WS, seed


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def store() -> Iterator[StateStore]:
    with open_store("sqlite:///:memory:") as handle:
        seed(handle, versions=(1, 2, 3))
        yield handle


def _move(store: StateStore, conversation: str, copy: str, to_version: int, mid: str) -> None:
    record = MigrationRecord(
        id=mid, workspace=WS, assistant=NAME, to_version=to_version, status=MigrationStatus.RUNNING,
        total=1, created_at=1.0, updated_at=1.0, by_user="ana", by_host="ci",
    )  # fmt: skip
    store.start_migration(record, [(conversation, to_version - 1)])
    move = ConversationMove(
        workspace=WS, assistant=NAME, conversation=conversation, to_version=to_version,
        new_conversation=copy, from_version=to_version - 1, migration_id=mid, moved_at=2.0,
    )  # fmt: skip
    assert store.finish_item(move, items=4, delete_after=None)


def test_an_unmoved_conversation_goes_on_as_itself(store: StateStore) -> None:
    with Router(store, WS) as router:
        route = router.route(NAME, "conv_1")
        assert (route.conversation, route.release.version, route.moved_from) == ("conv_1", 1, None)


def test_a_migrated_conversation_goes_to_its_copy_through_every_migration(store: StateStore) -> None:
    store.assign_conversation(WS, NAME, "conv_1", 1, now=1.0)
    _move(store, "conv_1", "copy_2", 2, "mig_a")
    _move(store, "copy_2", "copy_3", 3, "mig_b")
    with Router(store, WS) as router:
        route = router.route(NAME, "conv_1")
        assert (route.conversation, route.release.version, route.moved_from) == ("copy_3", 3, "conv_1")
        # The original keeps its own pin: assign does not move it.
        assert router.assign(NAME, "conv_1").version == 1


def test_a_copy_whose_pin_moved_back_is_not_followed(store: StateStore) -> None:
    store.assign_conversation(WS, NAME, "conv_1", 1, now=1.0)
    _move(store, "conv_1", "copy_2", 2, "mig_a")
    store.reassign_conversations(WS, NAME, 2, 1, now=3.0)  # the canary aborted with onAbort: stable
    with Router(store, WS) as router:
        route = router.route(NAME, "conv_1")
        assert (route.conversation, route.release.version, route.moved_from) == ("conv_1", 1, None)


def test_an_unmoved_conversation_is_asked_again_after_the_recheck_time(store: StateStore) -> None:
    clock = Clock()
    store.assign_conversation(WS, NAME, "conv_1", 1, now=1.0)
    with Router(store, WS, clock=clock) as router:
        assert router.route(NAME, "conv_1").conversation == "conv_1"
        _move(store, "conv_1", "copy_2", 2, "mig_a")
        assert router.route(NAME, "conv_1").conversation == "conv_1"  # trusted for a while
        clock.now += MOVE_RECHECK_SECONDS + 0.1
        assert router.route(NAME, "conv_1").conversation == "copy_2"


def test_a_stopped_assistant_refuses_a_route(store: StateStore) -> None:
    store.set_stopped(WS, NAME, True, user="ana", host="h", reason="incident", now=5.0)
    with Router(store, WS) as router, pytest.raises(Stopped):
        router.route(NAME, "conv_1")
