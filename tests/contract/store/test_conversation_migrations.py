"""Conversation migrations in the store on every backend (issue 17): a migration and its items recorded at
once; finishing an item writes its move, pins the copy and marks the old pin moved in one transaction, and
only once even when two handles race on it; counts by status; due deletions; and the shared GCRA request
budget (spacing, burst, Retry-After delays, and no more admitted than the budget across handles)."""

from __future__ import annotations

import threading

import pytest

from reconciler.errors import StateError
from reconciler.model.moves import (
    ConversationMove,
    ItemStatus,
    MigrationOptions,
    MigrationRecord,
    MigrationStatus,
)
from reconciler.store.sqlstore import SqlStore
from tests.contract.store.conftest import Backend

WS = "prod"
BOT = "Bot"


def _record(mid: str = "mig_1", total: int = 3) -> MigrationRecord:
    return MigrationRecord(
        id=mid,
        workspace=WS,
        assistant=BOT,
        to_version=2,
        options=MigrationOptions(delete_after_seconds=60.0),
        status=MigrationStatus.RUNNING,
        total=total,
        created_at=100.0,
        updated_at=100.0,
        by_user="ana",
        by_host="ci",
    )


def _move(conversation: str, copy: str, mid: str = "mig_1") -> ConversationMove:
    return ConversationMove(
        workspace=WS,
        assistant=BOT,
        conversation=conversation,
        to_version=2,
        new_conversation=copy,
        from_version=1,
        migration_id=mid,
        moved_at=200.0,
    )


def _pinned(store: SqlStore, count: int = 3) -> list[tuple[str, int]]:
    for n in range(count):
        store.assign_conversation(WS, BOT, f"c{n}", 1, now=50.0 + n)
    return list(store.pinned_conversations(WS, BOT, versions=[1], seen_since=None))


def test_a_migration_and_its_items_are_recorded_pending(store: SqlStore) -> None:
    conversations = _pinned(store)
    assert conversations == [("c0", 1), ("c1", 1), ("c2", 1)]
    store.start_migration(_record(), conversations)
    assert store.migration("mig_1") == _record()
    assert store.migrations(WS, BOT) == (_record(),)
    assert store.migrations(WS, "Other") == ()
    progress = store.migration_progress("mig_1")
    assert progress.counts[ItemStatus.PENDING] == 3
    assert progress.finished_items == 0
    assert [i.conversation for i in store.migration_items("mig_1", status=ItemStatus.PENDING)] == [
        "c0",
        "c1",
        "c2",
    ]
    with pytest.raises(StateError, match="no conversation migration"):
        store.migration_progress("mig_missing")


def test_finishing_an_item_moves_the_conversation_once(store: SqlStore) -> None:
    store.start_migration(_record(), _pinned(store))
    assert store.finish_item(_move("c0", "copy_0"), items=10, delete_after=260.0)
    assert not store.finish_item(_move("c0", "copy_0b"), items=10, delete_after=260.0)  # no longer pending
    item = store.migration_item("mig_1", "c0")
    assert item is not None and item.status is ItemStatus.DONE and item.new_conversation == "copy_0"
    assert item.items == 10 and item.delete_after == 260.0
    assert store.conversation_move(WS, BOT, "c0") == _move("c0", "copy_0")
    assert store.conversation_move(WS, BOT, "c1") is None
    copy = store.assignment(WS, BOT, "copy_0")
    assert copy is not None and copy.version == 2 and copy.last_seen == 50.0  # the old one's last turn
    # The moved conversation no longer counts as covered by a migration of version 1.
    assert [c for c, _ in store.pinned_conversations(WS, BOT, versions=[1], seen_since=None)] == ["c1", "c2"]
    assert store.conversation_moves(WS, "mig_1") == (_move("c0", "copy_0"),)


def test_a_thread_moves_in_place(store: SqlStore) -> None:
    store.start_migration(_record(), _pinned(store, 1))
    assert store.finish_item(_move("c0", "c0"), items=0, delete_after=None)
    pin = store.assignment(WS, BOT, "c0")
    assert pin is not None and pin.version == 2
    assert store.pinned_conversations(WS, BOT, versions=[1], seen_since=None) == ()


def test_failed_and_skipped_items_and_status(store: SqlStore) -> None:
    store.start_migration(_record(), _pinned(store))
    assert store.settle_item("mig_1", "c1", ItemStatus.FAILED, error="item 3 /from: bad", now=300.0)
    assert not store.settle_item("mig_1", "c1", ItemStatus.SKIPPED, error="", now=301.0)
    assert store.settle_item("mig_1", "c2", ItemStatus.SKIPPED, error="gone", now=302.0)
    with pytest.raises(StateError, match="failed or skipped"):
        store.settle_item("mig_1", "c0", ItemStatus.DONE, error="", now=1.0)
    assert store.items_settled_since("mig_1", since=301.0) == 1
    assert store.items_settled_since("mig_1", since=0.0) == 2
    counts = store.migration_progress("mig_1").counts
    assert (counts[ItemStatus.PENDING], counts[ItemStatus.FAILED], counts[ItemStatus.SKIPPED]) == (1, 1, 1)
    assert store.set_migration_status("mig_1", MigrationStatus.CANCELLED, now=400.0, message="by ana")
    assert not store.set_migration_status("mig_1", MigrationStatus.DONE, now=401.0)
    record = store.migration("mig_1")
    assert record is not None and record.status is MigrationStatus.CANCELLED and record.message == "by ana"


def test_due_deletions(store: SqlStore) -> None:
    store.start_migration(_record(), _pinned(store))
    store.finish_item(_move("c0", "copy_0"), items=1, delete_after=260.0)
    store.finish_item(_move("c1", "copy_1"), items=1, delete_after=None)
    assert store.items_due_for_deletion(WS, now=259.0, limit=10) == ()
    due = store.items_due_for_deletion(WS, now=260.0, limit=10)
    assert [i.conversation for i in due] == ["c0"]
    store.mark_deleted("mig_1", "c0", now=261.0)
    assert store.items_due_for_deletion(WS, now=999.0, limit=10) == ()


def test_two_handles_racing_on_one_item_record_one_move(backend: Backend) -> None:
    backend.store.start_migration(_record(), _pinned(backend.store))
    handles = [backend.connect() for _ in range(4)]
    barrier = threading.Barrier(len(handles), timeout=60)
    won: list[bool] = []

    def finish(handle: SqlStore, n: int) -> None:
        barrier.wait()
        won.append(handle.finish_item(_move("c0", f"copy_{n}"), items=1, delete_after=None))

    threads = [threading.Thread(target=finish, args=(h, n)) for n, h in enumerate(handles)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(won) == [False, False, False, True]
    assert len(backend.store.conversation_moves(WS, "mig_1")) == 1


def test_the_rate_budget_spaces_requests_after_a_burst(store: SqlStore) -> None:
    waits = [store.take_rate_slot("rpm", interval=0.5, burst=1.0, now=1000.0) for _ in range(5)]
    # 1 s of burst lets three go at once (slots 0, 0.5, 1.0), then one every 0.5 s.
    assert waits == [0.0, 0.0, 0.0, 0.5, 1.0]
    assert store.take_rate_slot("rpm", interval=0.5, burst=1.0, now=1010.0) == 0.0  # idle: budget back
    assert store.take_rate_slot("other", interval=0.5, burst=0.0, now=1000.0) == 0.0  # budgets are apart


def test_a_delay_holds_every_request_of_the_budget(store: SqlStore) -> None:
    store.take_rate_slot("rpm", interval=0.1, burst=0.0, now=1000.0)
    store.delay_budget("rpm", until=1030.0, now=1000.0)
    assert store.take_rate_slot("rpm", interval=0.1, burst=0.0, now=1001.0) == pytest.approx(29.0)
    store.delay_budget("rpm", until=1010.0, now=1001.0)  # an earlier `until` never shortens a delay
    assert store.take_rate_slot("rpm", interval=0.1, burst=0.0, now=1001.0) == pytest.approx(29.1)
    with pytest.raises(StateError, match="positive interval"):
        store.take_rate_slot("rpm", interval=0.0, burst=0.0, now=1.0)


def test_a_budget_far_ahead_is_restarted(store: SqlStore) -> None:
    store.delay_budget("rpm", until=1e12, now=1000.0)  # capped at 900 s ahead
    assert store.take_rate_slot("rpm", interval=1.0, burst=0.0, now=1000.0) == pytest.approx(900.0)
    # A clock far behind (another host's) restarts it rather than stalling at a time that never comes.
    assert store.take_rate_slot("rpm", interval=1.0, burst=0.0, now=-5000.0) == 0.0


def test_handles_sharing_a_budget_are_spaced_together(backend: Backend) -> None:
    handles = [backend.connect() for _ in range(3)]
    barrier = threading.Barrier(len(handles), timeout=60)
    waits: list[float] = []
    lock = threading.Lock()

    def take(handle: SqlStore) -> None:
        barrier.wait()
        for _ in range(20):
            wait = handle.take_rate_slot("shared", interval=1.0, burst=0.0, now=5000.0)
            with lock:
                waits.append(wait)

    threads = [threading.Thread(target=take, args=(h,)) for h in handles]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    # 60 requests at one instant get 60 distinct one-second slots between them.
    assert sorted(waits) == [float(n) for n in range(60)]
