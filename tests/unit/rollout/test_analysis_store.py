"""rollout.analysis over a real (SQLite) store: the controller's measurer reads the runtime's telemetry of
the rollout's two versions over each measurement's window, and the run is judged from it."""

from __future__ import annotations

from reconciler.model.rollouts import (
    AnalysisPhase,
    AnalysisRef,
    AnalysisRun,
    AnalysisTemplate,
    BuiltinProvider,
    CanaryStep,
    MeasurementPhase,
    Metric,
    RolloutEvent,
    RolloutRecord,
    TelemetryCounts,
    TelemetryRow,
)
from reconciler.rollout.analysis import SETTLE_SECONDS, advance, measurer, next_due
from reconciler.store import StateStore

from .conftest import NAME, WS

T0 = 1_700_000_000
ERRORS = Metric(
    name="errors",
    provider=BuiltinProvider(metric="error_rate"),
    interval_seconds=60,
    count=2,
    success_condition="result.canary <= result.stable + 0.05",
    min_samples=5,
)
TEMPLATES = {"health": AnalysisTemplate(name="health", metrics=(ERRORS,))}
RECORD = RolloutRecord(
    id="r1",
    assistant=NAME,
    stable_version=1,
    canary_version=2,
    steps=(CanaryStep(weight=10), CanaryStep(analysis=AnalysisRef(templates=("health",)))),
    templates=TEMPLATES,
    step_index=1,
)


def row(version: int, bucket: int, responses: int, failed: int = 0) -> TelemetryRow:
    counts = TelemetryCounts(responses=responses, failed=failed)
    return TelemetryRow(assistant=NAME, version=version, bucket=bucket, counts=counts)


def test_each_measurement_reads_its_own_window_of_the_stores_telemetry(store: StateStore) -> None:
    store.add_telemetry(
        WS,
        [
            row(2, T0 - 1, 100, failed=100),  # before the run: not this analysis's
            row(2, T0 + 10, 10, failed=0),
            row(2, T0 + 59, 10, failed=1),
            row(1, T0 + 30, 100, failed=2),
            row(2, T0 + 60, 10, failed=9),  # the second window's
            row(1, T0 + 119, 50, failed=0),
        ],
    )
    run = AnalysisRun(rollout_id="r1", step_index=1, templates=("health",), started_at=float(T0))
    measure = measurer(store, WS, RECORD, run)

    run = advance(run, TEMPLATES, measure, T0 + 60 + SETTLE_SECONDS)
    (first,) = run.measurements
    assert first.value == {"canary": 0.05, "stable": 0.02, "canary_samples": 20.0, "stable_samples": 100.0}
    assert first.phase is MeasurementPhase.SUCCESSFUL
    assert next_due(run, TEMPLATES) == T0 + 120 + SETTLE_SECONDS

    # A restarted controller: the stored run read back, and measured after a gap.
    started = RolloutEvent(rollout_id="r1", assistant=NAME, action="started", at=T0, user="ci", host="h")
    store.save_rollout(WS, RECORD, started, expect_revision=None)
    store.save_analysis_run(WS, run)
    (stored,) = store.analysis_runs(WS, "r1")
    run = advance(stored, TEMPLATES, measurer(store, WS, RECORD, stored), T0 + 900)
    second = run.measurements[1]
    assert second.value == {"canary": 0.9, "stable": 0.0, "canary_samples": 10.0, "stable_samples": 50.0}
    assert second.phase is MeasurementPhase.FAILED
    assert run.phase is AnalysisPhase.FAILED
    assert "successCondition does not hold" in run.message


def test_no_traffic_is_inconclusive(store: StateStore) -> None:
    run = AnalysisRun(rollout_id="r1", step_index=1, templates=("health",), started_at=float(T0))
    run = advance(run, TEMPLATES, measurer(store, WS, RECORD, run), T0 + 130)
    assert run.phase is AnalysisPhase.INCONCLUSIVE
    assert "too few samples: canary 0, stable 0 (minSamples 5)" in run.message
