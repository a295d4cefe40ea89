"""A canary's move written with everything it implies, in one transaction, on every backend
(`store.transitions.commit`): the record and its event, the canary and stable pointers, and on an abort
with `onAbort: stable` the canary's conversations moved back; a move that fails part-way writes nothing."""

from __future__ import annotations

import threading
import time

import pytest

from reconciler.errors import StateError
from reconciler.model.rollouts import CanaryStep, RolloutEvent, RolloutRecord, RolloutStatus
from reconciler.model.stored import VersionRecord
from reconciler.store import open_store
from reconciler.store.records import RevisionConflict
from reconciler.store.sqlstore import SqlStore
from reconciler.store.transitions import CANARY, STABLE, Transition, commit

WS = "prod"
BOT = "Bot"


def _ready(store: SqlStore) -> RolloutRecord:
    for number in (1, 2):
        store.add_version(
            WS,
            VersionRecord(assistant=BOT, number=number, platform_id=f"b_{number}", fingerprint=f"f{number}"),
        )
    store.move_pointer(WS, BOT, STABLE, 1, user="ci", host="h", reason="", now=1.0)
    record = RolloutRecord(
        id="r1",
        assistant=BOT,
        stable_version=1,
        canary_version=2,
        steps=(CanaryStep(weight=10), CanaryStep(weight=100)),
        on_abort="stable",
    )
    return commit(store, WS, Transition(record, "started", canary_to=2), user="ana", host="ops", now=10.0)


def test_an_abort_clears_the_canary_and_brings_its_conversations_back(store: SqlStore) -> None:
    started = _ready(store)
    assert (started.revision, started.updated_at) == (1, 10.0)
    assert store.pointers(WS, BOT) == {CANARY: 2, STABLE: 1}
    store.assign_conversation(WS, BOT, "on-canary", 2, now=11.0)
    store.assign_conversation(WS, BOT, "on-stable", 1, now=11.0)

    aborted = started.model_copy(update={"status": RolloutStatus.ABORTED, "message": "errors up"})
    move = Transition(aborted, "aborted", "errors up", expect_revision=1, clear_canary=True, reassign=True)
    saved = commit(store, WS, move, user="ana", host="ops", now=20.0)
    assert store.active_rollout(WS, BOT) is None and store.rollouts(WS) == (saved,)
    assert store.pointers(WS, BOT) == {STABLE: 1}
    assert store.conversation_counts(WS, BOT) == {1: 2}
    last = store.pointer_history(WS, BOT)[-1]
    assert (last.pointer, last.from_version, last.to_version, last.reason) == (
        CANARY,
        2,
        None,
        "rollout r1: aborted (errors up)",
    )
    assert [(e.action, e.at, e.reason) for e in store.rollout_events(WS, "r1")] == [
        ("started", 10.0, ""),
        ("aborted", 20.0, "errors up"),
    ]


def test_a_promotion_moves_stable_to_the_canary(store: SqlStore) -> None:
    started = _ready(store)
    done = started.model_copy(update={"status": RolloutStatus.SUCCEEDED, "step_index": 2, "weight": 100})
    move = Transition(done, "succeeded", expect_revision=1, promote=True, clear_canary=True)
    commit(store, WS, move, user="ana", host="ops", now=30.0)
    assert store.pointers(WS, BOT) == {STABLE: 2}


def test_a_move_that_fails_part_way_writes_nothing(store: SqlStore) -> None:
    started = _ready(store)
    onward = started.model_copy(update={"step_index": 1, "weight": 10})
    with pytest.raises(StateError, match="has no version 9"):
        commit(
            store,
            WS,
            Transition(onward, "step", expect_revision=1, canary_to=9),
            user="u",
            host="h",
            now=40.0,
        )
    assert store.active_rollout(WS, BOT) == started
    assert [e.action for e in store.rollout_events(WS, "r1")] == ["started"]
    assert store.pointers(WS, BOT) == {CANARY: 2, STABLE: 1}


def _event(record: RolloutRecord) -> RolloutEvent:
    return RolloutEvent(
        rollout_id=record.id,
        assistant=record.assistant,
        action=record.status.value,
        at=50.0,
        user="a",
        host="h",
    )


@pytest.mark.postgres
def test_a_controllers_move_and_an_applys_pointer_moves_never_deadlock(pg_schema_dsn: str) -> None:
    """Apply moves a pointer and then supersedes the rollout in one transaction while the controller
    promotes the same rollout: one waits for the other (the controller then loses the compare and swap);
    neither takes the rollout's lock and the pointers' lock in the other order."""
    with (
        open_store(pg_schema_dsn) as watcher,
        open_store(pg_schema_dsn) as apply,
        open_store(pg_schema_dsn) as ctl,
    ):
        assert isinstance(watcher, SqlStore)
        started = _ready(watcher)
        watcher.add_version(WS, VersionRecord(assistant=BOT, number=3, platform_id="b_3", fingerprint="f3"))
        apply_holds = threading.Event()
        outcome: dict[str, BaseException | None] = {}

        def controller() -> None:
            apply_holds.wait(timeout=30)
            done = started.model_copy(update={"status": RolloutStatus.SUCCEEDED, "weight": 100})
            try:
                commit(
                    ctl,
                    WS,
                    Transition(done, "succeeded", expect_revision=1, promote=True),
                    user="c",
                    host="h",
                    now=50.0,
                )
                outcome["controller"] = None
            except BaseException as exc:  # judged below
                outcome["controller"] = exc

        thread = threading.Thread(target=controller)
        thread.start()
        with apply.transaction():
            apply.move_pointer(WS, BOT, CANARY, 3, user="a", host="h", reason="", now=50.0)
            apply_holds.set()
            waiting = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
            deadline = time.monotonic() + 30
            while watcher._query(waiting)[0][0] == 0 and time.monotonic() < deadline:
                time.sleep(0.005)  # until the controller waits for a lock this transaction holds
            superseded = started.model_copy(update={"status": RolloutStatus.SUPERSEDED})
            apply.save_rollout(WS, superseded, _event(superseded), expect_revision=1)
        thread.join(timeout=60)
        assert isinstance(outcome["controller"], RevisionConflict)
        assert watcher.rollouts(WS)[0].status is RolloutStatus.SUPERSEDED
        assert watcher.pointers(WS, BOT) == {CANARY: 3, STABLE: 1}


def test_a_canary_pin_is_written_only_while_its_rollout_is_active(store: SqlStore) -> None:
    """The runtime chose the canary under rollout r1; when r1 was aborted in between, the pin is refused
    (None: choose again) instead of landing on the canary after the abort moved the canary's pins."""
    started = _ready(store)
    pinned = store.assign_conversation(WS, BOT, "early", 2, now=11.0, rollout_id="r1")
    assert pinned is not None and pinned.version == 2
    commit(
        store,
        WS,
        Transition(
            started.model_copy(update={"status": RolloutStatus.ABORTED}),
            "aborted",
            expect_revision=1,
            clear_canary=True,
            reassign=True,
        ),
        user="a",
        host="h",
        now=12.0,
    )
    assert store.assign_conversation(WS, BOT, "late", 2, now=13.0, rollout_id="r1") is None
    assert store.assignment(WS, BOT, "late") is None
    again = store.assign_conversation(WS, BOT, "early", 2, now=14.0, rollout_id="r1")
    assert again is not None and again.version == 1  # an existing pin is answered, as moved by the abort
    assert store.conversation_counts(WS, BOT) == {1: 1}


@pytest.mark.postgres
def test_a_canary_pin_racing_an_abort_waits_for_it_and_is_refused(pg_schema_dsn: str) -> None:
    """On PostgreSQL the pin's insert reads the rollout FOR SHARE: while an abort's transaction holds the
    row, the insert waits, then sees the rollout ended and writes nothing (no pin stranded on the canary
    under READ COMMITTED)."""
    with open_store(pg_schema_dsn) as aborter, open_store(pg_schema_dsn) as runtime:
        assert isinstance(aborter, SqlStore)
        started = _ready(aborter)
        answers: list[object] = []
        aborted = started.model_copy(update={"status": RolloutStatus.ABORTED})
        move = Transition(aborted, "aborted", expect_revision=1, clear_canary=True, reassign=True)
        with aborter.transaction():
            commit(aborter, WS, move, user="a", host="h", now=12.0)
            racer = threading.Thread(
                target=lambda: answers.append(
                    runtime.assign_conversation(WS, BOT, "racing", 2, now=13.0, rollout_id="r1")
                )
            )
            racer.start()
            racer.join(timeout=0.5)
            assert racer.is_alive() and not answers  # held until the abort commits
        racer.join(timeout=10)
        assert answers == [None]
        assert aborter.conversation_counts(WS, BOT) == {}
