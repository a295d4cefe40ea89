"""Canary rollouts in the store on every backend (issue 16): the record's JSON round trip, compare and swap
on its revision (across handles too), one active rollout per assistant, the history of its moves, analysis
runs replaced per step, clearing one pointer, a save announced to stop watches like a stop, and rows that
cannot be read back."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from reconciler.errors import StateError
from reconciler.model.rollouts import (
    AnalysisPhase,
    AnalysisRef,
    AnalysisRun,
    AnswerMatches,
    BackgroundAnalysis,
    CallsTool,
    CanaryStep,
    CostBelow,
    Measurement,
    MeasurementPhase,
    NoError,
    RolloutEvent,
    RolloutRecord,
    RolloutStatus,
    SmokeCheck,
)
from reconciler.model.stored import VersionRecord
from reconciler.store.records import RevisionConflict
from reconciler.store.sqlstore import SqlStore
from reconciler.store.stop_tables import StopWatch
from tests.contract.store.conftest import Backend

WS = "prod"
BOT = "Bot"

STEPS = (
    CanaryStep(
        smoke=(
            SmokeCheck(
                name="books a room",
                turns=("book room 4 for 3pm", "thanks"),
                expect=(
                    CallsTool(tool="book_room"),
                    AnswerMatches(pattern=r"booked\s+room"),
                    NoError(),
                    CostBelow(usd=0.05),
                ),
                tool_outputs={"book_room": '{"ok": true}'},
            ),
        )
    ),
    CanaryStep(weight=10),
    CanaryStep(analysis=AnalysisRef(templates=("tool-health", "latency"), args={"max_ms": "900"})),
    CanaryStep(pause_seconds=3600),
    CanaryStep(weight=50),
    CanaryStep(pause_indefinitely=True),
)


def _rollout(rollout_id: str = "r1", assistant: str = BOT, **changes: object) -> RolloutRecord:
    record = RolloutRecord(
        id=rollout_id,
        assistant=assistant,
        stable_version=1,
        canary_version=2,
        steps=STEPS,
        analysis=BackgroundAnalysis(templates=("errors",), args={"window": "5m"}, starting_step=1),
        on_abort="stable",
        step_started_at=100.0,
        created_at=100.0,
        updated_at=100.0,
    )
    return record.model_copy(update=changes)


def _event(record: RolloutRecord, action: str, at: float = 100.0, reason: str = "") -> RolloutEvent:
    return RolloutEvent(
        rollout_id=record.id,
        assistant=record.assistant,
        action=action,
        at=at,
        user="ana",
        host="ops-1",
        reason=reason,
        step_index=record.step_index,
        weight=record.weight,
    )


def _start(store: SqlStore, rollout_id: str = "r1", assistant: str = BOT, **changes: object) -> RolloutRecord:
    record = _rollout(rollout_id, assistant, **changes)
    return store.save_rollout(WS, record, _event(record, "started"), expect_revision=None)


def _advance(store: SqlStore, record: RolloutRecord, at: float, **changes: object) -> RolloutRecord:
    moved = record.model_copy(update={"updated_at": at, **changes})
    return store.save_rollout(WS, moved, _event(moved, "step", at), expect_revision=record.revision)


def test_a_rollout_round_trips_with_its_steps_smoke_checks_and_analysis(store: SqlStore) -> None:
    assert store.rollouts(WS) == () and store.active_rollout(WS, BOT) is None
    saved = _start(store)
    assert saved == _rollout().model_copy(update={"revision": 1})
    assert store.rollouts(WS) == (saved,)
    assert store.rollouts(WS, BOT) == (saved,)
    assert store.rollouts(WS, "Other") == ()
    assert store.rollouts("staging") == ()  # scoped by workspace
    assert store.active_rollout(WS, BOT) == saved
    # The smoke check's expectations come back as their own kinds, not as dicts.
    (check,) = store.rollouts(WS)[0].steps[0].smoke
    assert [type(e) for e in check.expect] == [CallsTool, AnswerMatches, NoError, CostBelow]
    plain = _start(store, "r2", "Plain", analysis=None, steps=(CanaryStep(weight=100),))
    assert store.active_rollout(WS, "Plain") == plain and plain.analysis is None


def test_a_save_is_compare_and_swap_on_the_revision(store: SqlStore) -> None:
    first = _start(store)
    second = _advance(store, first, 200.0, step_index=1, weight=10)
    assert second.revision == 2
    assert store.active_rollout(WS, BOT) == second

    stale = first.model_copy(update={"message": "from a controller that read revision 1"})
    with pytest.raises(RevisionConflict, match="revision 2, not 1"):
        store.save_rollout(WS, stale, _event(stale, "paused"), expect_revision=first.revision)
    assert store.active_rollout(WS, BOT) == second  # nothing written
    assert [e.action for e in store.rollout_events(WS, "r1")] == ["started", "step"]

    with pytest.raises(StateError, match="already exists"):
        store.save_rollout(WS, first, _event(first, "started"), expect_revision=None)
    unknown = _rollout("nope")
    with pytest.raises(StateError, match="no rollout nope") as raised:
        store.save_rollout(WS, unknown, _event(unknown, "step"), expect_revision=1)
    assert not isinstance(raised.value, RevisionConflict)
    moved = second.model_copy(update={"assistant": "Other"})
    with pytest.raises(StateError, match="a rollout of Bot, not of Other"):
        store.save_rollout(WS, moved, _event(moved, "step"), expect_revision=second.revision)
    with pytest.raises(StateError, match="no rollout r1 in staging"):
        store.save_rollout("staging", second, _event(second, "step"), expect_revision=second.revision)
    with pytest.raises(StateError, match="names rollout r9"):
        store.save_rollout(
            WS, second, _event(second, "step").model_copy(update={"rollout_id": "r9"}), expect_revision=2
        )


def test_of_two_handles_racing_from_one_revision_exactly_one_wins(backend: Backend) -> None:
    current = _start(backend.store)
    handles = [backend.connect(), backend.connect()]
    rounds = 10
    barrier = threading.Barrier(2, timeout=60)
    outcomes: list[list[str]] = [[], []]
    errors: list[BaseException] = []

    def controller(index: int) -> None:
        handle = handles[index]
        try:
            for _ in range(rounds):
                barrier.wait()
                read = handle.active_rollout(WS, BOT)
                assert read is not None
                barrier.wait()  # both have read the same revision
                try:
                    _advance(handle, read, read.updated_at + 1, message=f"controller {index}")
                    outcomes[index].append("won")
                except RevisionConflict:
                    outcomes[index].append("lost")
        except BaseException as exc:  # surfaced below
            errors.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=controller, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors
    assert len(outcomes[0]) == rounds
    assert all(sorted(pair) == ["lost", "won"] for pair in zip(*outcomes, strict=True))
    final = backend.store.active_rollout(WS, BOT)
    assert final is not None and final.revision == current.revision + rounds
    assert len(backend.store.rollout_events(WS, "r1")) == 1 + rounds  # no event of a lost save


def test_an_assistant_has_at_most_one_active_rollout(store: SqlStore) -> None:
    first = _start(store)
    with pytest.raises(StateError, match=r"Bot already has an active rollout \(r1\)"):
        _start(store, "r2")
    assert _start(store, "r3", "Other").status is RolloutStatus.PROGRESSING  # another assistant may
    paused = _advance(store, first, 150.0, status=RolloutStatus.PAUSED)
    with pytest.raises(StateError, match="already has an active rollout"):
        _start(store, "r2")
    assert store.active_rollout(WS, BOT) == paused

    # Superseding: the old one gives way and the new one starts, in one transaction.
    with store.transaction():
        _advance(store, paused, 200.0, status=RolloutStatus.SUPERSEDED)
        newer = _start(store, "r2", stable_version=1, canary_version=3, created_at=200.0)
    assert store.active_rollout(WS, BOT) == newer
    assert [r.id for r in store.rollouts(WS, BOT)] == ["r1", "r2"]  # oldest first
    _advance(store, newer, 300.0, status=RolloutStatus.SUCCEEDED)
    assert store.active_rollout(WS, BOT) is None
    assert store.active_rollout(WS, "Other") is not None
    assert _start(store, "r4", created_at=400.0) == store.active_rollout(WS, BOT)


def test_the_schema_itself_refuses_a_second_active_rollout(store: SqlStore) -> None:
    """A writer that skipped the store's check (a hand edit, an older tool) still cannot make two."""
    _start(store)
    columns = store._query("SELECT * FROM rollouts WHERE id = 'r1'")[0]
    with pytest.raises(StateError):
        store._exec(f"INSERT INTO rollouts VALUES ({', '.join('?' * len(columns))})", ("r2", *columns[1:]))


def test_events_are_kept_in_order_with_who_where_and_why(store: SqlStore) -> None:
    record = _start(store)
    for at, changes in ((200.0, {"weight": 10, "step_index": 1}), (300.0, {"step_index": 2})):
        record = _advance(store, record, at, **changes)
    paused = record.model_copy(update={"status": RolloutStatus.PAUSED, "message": "analysis inconclusive"})
    store.save_rollout(
        WS, paused, _event(paused, "paused", 400.0, reason="too few samples"), expect_revision=record.revision
    )
    events = store.rollout_events(WS, "r1")
    assert [(e.action, e.at, e.step_index, e.weight) for e in events] == [
        ("started", 100.0, 0, 0),
        ("step", 200.0, 1, 10),
        ("step", 300.0, 2, 10),
        ("paused", 400.0, 2, 10),
    ]
    assert (events[-1].user, events[-1].host, events[-1].reason) == ("ana", "ops-1", "too few samples")
    assert store.rollout_events("staging", "r1") == ()
    assert store.active_rollout(WS, BOT) == paused.model_copy(update={"revision": 4})


def test_a_save_joins_the_callers_transaction(store: SqlStore) -> None:
    store.add_version(WS, VersionRecord(assistant=BOT, number=2, platform_id="b_2", fingerprint="f2"))
    record = _rollout()
    with pytest.raises(RuntimeError), store.transaction():
        store.save_rollout(WS, record, _event(record, "started"), expect_revision=None)
        store.move_pointer(WS, BOT, "canary", 2, user="u", host="h", reason="", now=1.0)
        raise RuntimeError("the pointer move failed after")
    assert store.rollouts(WS) == () and store.rollout_events(WS, "r1") == ()
    assert store.pointers(WS, BOT) == {}


def test_secrets_and_unencodable_values_are_refused_before_writing(store: SqlStore) -> None:
    key = "sk-" + "a" * 40
    with pytest.raises(StateError, match="API key"):
        _start(store, message=f"leaked {key}")
    with pytest.raises(StateError, match="API key"):
        _start(store, steps=(CanaryStep(smoke=(SmokeCheck(name="s", turns=(key,)),)),))
    record = _rollout()
    with pytest.raises(StateError, match="API key"):
        store.save_rollout(WS, record, _event(record, "started", reason=key), expect_revision=None)
    assert store.rollouts(WS) == ()
    _start(store)
    run = AnalysisRun(
        rollout_id="r1",
        step_index=2,
        templates=("latency",),
        measurements=(Measurement(metric="m", at=1.0, phase=MeasurementPhase.FAILED, value=float("nan")),),
    )
    with pytest.raises(StateError, match="not JSON-serialisable"):
        store.save_analysis_run(WS, run)
    assert store.analysis_runs(WS, "r1") == ()


def _run(step: int, *measurements: Measurement, phase: AnalysisPhase = AnalysisPhase.RUNNING) -> AnalysisRun:
    return AnalysisRun(
        rollout_id="r1",
        step_index=step,
        templates=("tool-health", "latency"),
        args={"max_ms": "900"},
        phase=phase,
        started_at=300.0,
        finished_at=None if phase is AnalysisPhase.RUNNING else 500.0,
        measurements=measurements,
        message="" if phase is AnalysisPhase.RUNNING else "2 of 2 measurements passed",
    )


def test_an_analysis_run_is_replaced_per_step_and_read_by_step(store: SqlStore) -> None:
    _start(store)
    _start(store, "r2", "Other")
    compared = Measurement(
        metric="error_rate",
        at=360.0,
        phase=MeasurementPhase.SUCCESSFUL,
        value={"canary": 0.01, "stable": 0.02, "canary_samples": 120.0, "stable_samples": 900.0},
    )
    single = Measurement(metric="webhook", at=420.0, phase=MeasurementPhase.ERROR, message="timed out")
    store.save_analysis_run(WS, _run(2, compared))
    done = _run(2, compared, single, phase=AnalysisPhase.SUCCESSFUL)
    store.save_analysis_run(WS, done)
    background = _run(
        -1, Measurement(metric="errors", at=400.0, phase=MeasurementPhase.SUCCESSFUL, value=0.5)
    )
    store.save_analysis_run(WS, background)
    assert store.analysis_runs(WS, "r1") == (background, done)  # one run per step, background first
    assert store.analysis_runs(WS, "r2") == ()
    assert store.analysis_runs("staging", "r1") == ()
    with pytest.raises(StateError, match="no rollout r9"):
        store.save_analysis_run(WS, _run(0).model_copy(update={"rollout_id": "r9"}))
    with pytest.raises(StateError, match="no rollout r1 in staging"):
        store.save_analysis_run("staging", _run(0))


def test_clearing_one_pointer_keeps_a_history_row(store: SqlStore) -> None:
    for number in (1, 2):
        store.add_version(
            WS,
            VersionRecord(assistant=BOT, number=number, platform_id=f"b_{number}", fingerprint=f"f{number}"),
        )
    store.move_pointer(WS, BOT, "stable", 1, user="u", host="h", reason="", now=1.0)
    store.move_pointer(WS, BOT, "canary", 2, user="u", host="h", reason="", now=2.0)
    cleared = store.clear_pointer(
        WS, BOT, "canary", user="ana", host="ops-1", reason="rollout ended", now=3.0
    )
    assert cleared is not None
    assert (cleared.pointer, cleared.from_version, cleared.to_version, cleared.reason) == (
        "canary",
        2,
        None,
        "rollout ended",
    )
    assert store.pointers(WS, BOT) == {"stable": 1}
    assert store.pointer_history(WS, BOT)[-1] == cleared
    assert store.clear_pointer(WS, BOT, "canary", user="u", host="h", reason="", now=4.0) is None
    assert len(store.pointer_history(WS, BOT)) == 3  # nothing recorded for a pointer that was not set
    store.mark_version_deleted(WS, BOT, 2)  # no pointer holds it any more


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
        record = _start(reader)
        assert watch.changed()  # a save through the watched connection itself: at once
        _settle(watch, before, 1)
        assert not watch.changed()
        other = backend.connect()  # another process's handle (the same one in memory)
        _advance(other, record, 200.0, weight=10)
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
        record = _rollout()
        with pytest.raises(RuntimeError), writer.transaction():
            if write == "save_rollout":
                writer.save_rollout(WS, record, _event(record, "started"), expect_revision=None)
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


@pytest.mark.parametrize(
    ("table", "column", "value", "read", "reason"),
    [
        ("rollouts", "steps", "not json", "rollouts", "does not hold valid JSON"),
        ("rollouts", "steps", '[{"weight": "ten"}]', "rollouts", "ValidationError"),
        ("rollouts", "status", "exploded", "rollouts", "ValidationError"),
        ("rollouts", "revision", "two", "rollouts", "column revision holds text"),
        ("rollout_events", "at", "yesterday", "rollout_events", "column at holds text"),
        ("analysis_runs", "measurements", '{"a": 1}', "analysis_runs", "not an array"),
    ],
)
def test_a_row_that_cannot_be_read_back_is_a_state_error(
    store: SqlStore, table: str, column: str, value: str, read: str, reason: str
) -> None:
    if store.dialect.name == "postgresql" and column in ("revision", "at"):
        pytest.skip("PostgreSQL keeps column types: text never lands in a number column there")
    _start(store)
    store.save_analysis_run(WS, _run(2))
    key = "id" if table == "rollouts" else "rollout_id"
    store._exec(f"UPDATE {table} SET {column} = ? WHERE {key} = 'r1'", (value,))
    readers: dict[str, Callable[[], object]] = {
        "rollouts": lambda: store.rollouts(WS),
        "active_rollout": lambda: store.active_rollout(WS, BOT),
        "rollout_events": lambda: store.rollout_events(WS, "r1"),
        "analysis_runs": lambda: store.analysis_runs(WS, "r1"),
    }
    with pytest.raises(StateError, match=f"{table} table holds an unreadable row .*{reason}"):
        readers[read]()
