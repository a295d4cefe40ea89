"""Canary rollouts in the store on every backend (issue 16): the record's JSON round trip, compare and swap
on its revision (across handles too), one active rollout per assistant, the history of its moves, analysis
runs replaced per step, clearing one pointer, the planner's snapshot, and rows that cannot be read back.
(Announcing a save to stop watches: test_rollout_announcements.py.)"""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from reconciler.errors import StateError
from reconciler.model.rollouts import (
    AnalysisPhase,
    AnalysisRun,
    AnswerMatches,
    CallsTool,
    CanaryStep,
    CostBelow,
    Measurement,
    MeasurementPhase,
    NoError,
    RolloutStatus,
    SmokeCheck,
    WebhookProvider,
)
from reconciler.model.stored import VersionRecord
from reconciler.store.records import RevisionConflict
from reconciler.store.sqlstore import SqlStore
from tests.contract.store.conftest import Backend
from tests.contract.store.rollout_data import BOT, WS, advance, event, rollout, start


def test_a_rollout_round_trips_with_its_steps_smoke_checks_and_analysis(store: SqlStore) -> None:
    assert store.rollouts(WS) == () and store.active_rollout(WS, BOT) is None
    saved = start(store)
    assert saved == rollout().model_copy(update={"revision": 1})
    assert store.rollouts(WS) == (saved,)
    assert store.rollouts(WS, BOT) == (saved,)
    assert store.rollouts(WS, "Other") == ()
    assert store.rollouts("staging") == ()  # scoped by workspace
    assert store.active_rollout(WS, BOT) == saved
    # The smoke check's expectations and the metrics' providers come back as their own kinds.
    (read,) = store.rollouts(WS)
    (check,) = read.steps[0].smoke
    assert [type(e) for e in check.expect] == [CallsTool, AnswerMatches, NoError, CostBelow]
    assert type(read.templates["latency"].metrics[0].provider) is WebhookProvider
    plain = start(store, "r2", "Plain", analysis=None, templates={}, steps=(CanaryStep(weight=100),))
    assert store.active_rollout(WS, "Plain") == plain
    assert (plain.analysis, plain.templates) == (None, {})


def test_a_save_is_compare_and_swap_on_the_revision(store: SqlStore) -> None:
    first = start(store)
    second = advance(store, first, 200.0, step_index=1, weight=10)
    assert second.revision == 2
    assert store.active_rollout(WS, BOT) == second

    stale = first.model_copy(update={"message": "from a controller that read revision 1"})
    with pytest.raises(RevisionConflict, match="revision 2, not 1"):
        store.save_rollout(WS, stale, event(stale, "paused"), expect_revision=first.revision)
    assert store.active_rollout(WS, BOT) == second  # nothing written
    assert [e.action for e in store.rollout_events(WS, "r1")] == ["started", "step"]

    with pytest.raises(StateError, match="already exists"):
        store.save_rollout(WS, first, event(first, "started"), expect_revision=None)
    unknown = rollout("nope")
    with pytest.raises(StateError, match="no rollout nope") as raised:
        store.save_rollout(WS, unknown, event(unknown, "step"), expect_revision=1)
    assert not isinstance(raised.value, RevisionConflict)
    moved = second.model_copy(update={"assistant": "Other"})
    with pytest.raises(StateError, match="a rollout of Bot, not of Other"):
        store.save_rollout(WS, moved, event(moved, "step"), expect_revision=second.revision)
    with pytest.raises(StateError, match="no rollout r1 in staging"):
        store.save_rollout("staging", second, event(second, "step"), expect_revision=second.revision)
    with pytest.raises(StateError, match="names rollout r9"):
        store.save_rollout(
            WS, second, event(second, "step").model_copy(update={"rollout_id": "r9"}), expect_revision=2
        )


def test_of_two_handles_racing_from_one_revision_exactly_one_wins(backend: Backend) -> None:
    current = start(backend.store)
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
                    advance(handle, read, read.updated_at + 1, message=f"controller {index}")
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
    first = start(store)
    with pytest.raises(StateError, match=r"Bot already has an active rollout \(r1\)"):
        start(store, "r2")
    assert start(store, "r3", "Other").status is RolloutStatus.PROGRESSING  # another assistant may
    paused = advance(store, first, 150.0, status=RolloutStatus.PAUSED)
    with pytest.raises(StateError, match="already has an active rollout"):
        start(store, "r2")
    assert store.active_rollout(WS, BOT) == paused

    # Superseding: the old one gives way and the new one starts, in one transaction.
    with store.transaction():
        advance(store, paused, 200.0, status=RolloutStatus.SUPERSEDED)
        newer = start(store, "r2", stable_version=1, canary_version=3, created_at=200.0)
    assert store.active_rollout(WS, BOT) == newer
    assert [r.id for r in store.rollouts(WS, BOT)] == ["r1", "r2"]  # oldest first
    advance(store, newer, 300.0, status=RolloutStatus.SUCCEEDED)
    assert store.active_rollout(WS, BOT) is None
    assert store.active_rollout(WS, "Other") is not None
    assert start(store, "r4", created_at=400.0) == store.active_rollout(WS, BOT)


def test_the_planners_snapshot_holds_each_assistants_active_rollout(store: SqlStore) -> None:
    assert store.read(WS).rollouts == {}
    first = start(store)
    other = start(store, "r2", "Other")
    advance(store, other, 200.0, status=RolloutStatus.ABORTED)
    assert store.read(WS).rollouts == {BOT: first}
    assert store.read("staging").rollouts == {}


def test_the_schema_itself_refuses_a_second_active_rollout(store: SqlStore) -> None:
    """A writer that skipped the store's check (a hand edit, an older tool) still cannot make two."""
    start(store)
    columns = store._query("SELECT * FROM rollouts WHERE id = 'r1'")[0]
    with pytest.raises(StateError):
        store._exec(f"INSERT INTO rollouts VALUES ({', '.join('?' * len(columns))})", ("r2", *columns[1:]))


def test_events_are_kept_in_order_with_who_where_and_why(store: SqlStore) -> None:
    record = start(store)
    for at, changes in ((200.0, {"weight": 10, "step_index": 1}), (300.0, {"step_index": 2})):
        record = advance(store, record, at, **changes)
    paused = record.model_copy(update={"status": RolloutStatus.PAUSED, "message": "analysis inconclusive"})
    store.save_rollout(
        WS, paused, event(paused, "paused", 400.0, reason="too few samples"), expect_revision=record.revision
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
    record = rollout()
    with pytest.raises(RuntimeError), store.transaction():
        store.save_rollout(WS, record, event(record, "started"), expect_revision=None)
        store.move_pointer(WS, BOT, "canary", 2, user="u", host="h", reason="", now=1.0)
        raise RuntimeError("the pointer move failed after")
    assert store.rollouts(WS) == () and store.rollout_events(WS, "r1") == ()
    assert store.pointers(WS, BOT) == {}


def test_secrets_and_unencodable_values_are_refused_before_writing(store: SqlStore) -> None:
    key = "sk-" + "a" * 40
    with pytest.raises(StateError, match="API key"):
        start(store, message=f"leaked {key}")
    with pytest.raises(StateError, match="API key"):
        start(store, steps=(CanaryStep(smoke=(SmokeCheck(name="s", turns=(key,)),)),))
    record = rollout()
    with pytest.raises(StateError, match="API key"):
        store.save_rollout(WS, record, event(record, "started", reason=key), expect_revision=None)
    assert store.rollouts(WS) == ()
    start(store)
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
    start(store)
    start(store, "r2", "Other")
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


@pytest.mark.parametrize(
    ("table", "column", "value", "read", "reason"),
    [
        ("rollouts", "steps", "not json", "rollouts", "does not hold valid JSON"),
        ("rollouts", "steps", '[{"weight": "ten"}]', "rollouts", "ValidationError"),
        ("rollouts", "status", "exploded", "rollouts", "ValidationError"),
        ("rollouts", "templates", '{"errors": {"name": "errors"}}', "rollouts", "ValidationError"),
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
    start(store)
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
