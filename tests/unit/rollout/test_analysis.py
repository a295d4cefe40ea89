"""Analysis runs (rollout.analysis): when measurements are taken, how each is judged, how the run ends."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from reconciler.errors import UserError
from reconciler.model.rollouts import (
    AnalysisPhase,
    AnalysisRun,
    AnalysisTemplate,
    BuiltinProvider,
    MeasurementPhase,
    Metric,
    TemplateArg,
    WebhookProvider,
)
from reconciler.rollout import analysis
from reconciler.rollout.providers import MeasureError, Value

INVALID = Metric(
    name="invalid",
    provider=BuiltinProvider(metric="invalid_tool_call_rate"),
    interval_seconds=10,
    count=3,
    success_condition="result.canary <= result.stable + 0.02",
    failure_limit=1,
    min_samples=5,
)
TEMPLATES = {"health": AnalysisTemplate(name="health", metrics=(INVALID,))}


def values(*seq: Value | MeasureError) -> Iterator[Value | MeasureError]:
    yield from seq


def good(canary: float = 0.0) -> dict[str, float | None]:
    return {"canary": canary, "stable": 0.0, "canary_samples": 20.0, "stable_samples": 200.0}


class Feed:
    """A measure that hands out the next value and records each window it was asked for."""

    def __init__(self, *seq: Value | MeasureError) -> None:
        self.seq = list(seq)
        self.windows: list[tuple[float, float]] = []

    def __call__(self, metric: Metric, since: float, until: float) -> Value:
        self.windows.append((since, until))
        value = self.seq.pop(0)
        if isinstance(value, MeasureError):
            raise value
        return value


def new_run() -> AnalysisRun:
    return AnalysisRun(rollout_id="r", step_index=2, templates=("health",), started_at=100.0)


def test_measurements_come_one_interval_apart_and_look_back_over_it() -> None:
    feed = Feed(good(), good(), good())
    run = new_run()
    run = analysis.advance(run, TEMPLATES, feed, 105.0)
    assert run.measurements == () and analysis.next_due(run, TEMPLATES) == 110.0
    run = analysis.advance(run, TEMPLATES, feed, 110.0)
    run = analysis.advance(run, TEMPLATES, feed, 110.0)  # the same moment again: nothing more
    assert len(run.measurements) == 1
    run = analysis.advance(run, TEMPLATES, feed, 135.0)  # the controller was away: one, over the gap
    assert feed.windows == [(100.0, 110.0), (110.0, 135.0)]
    assert analysis.next_due(run, TEMPLATES) == 145.0
    run = analysis.advance(run, TEMPLATES, feed, 145.0)
    assert run.phase is AnalysisPhase.SUCCESSFUL and run.finished_at == 145.0
    assert analysis.next_due(run, TEMPLATES) is None
    assert analysis.advance(run, TEMPLATES, feed, 999.0) is run  # an ended run stays as it ended


def test_failures_beyond_the_limit_fail_the_run_and_say_what_was_seen() -> None:
    feed = Feed(good(0.5), good(0.0), good(0.9))
    run = new_run()
    for now in (110.0, 120.0):
        run = analysis.advance(run, TEMPLATES, feed, now)
    assert run.phase is AnalysisPhase.RUNNING  # one failure is within failureLimit 1
    run = analysis.advance(run, TEMPLATES, feed, 130.0)
    assert run.phase is AnalysisPhase.FAILED
    assert "invalid: 2 failed measurements (failureLimit 1)" in run.message
    assert "canary 0.9" in run.message


def test_too_few_samples_is_inconclusive() -> None:
    thin = {"canary": 0.0, "stable": 0.0, "canary_samples": 2.0, "stable_samples": 200.0}
    run = analysis.advance(new_run(), TEMPLATES, Feed(thin), 110.0)
    assert run.phase is AnalysisPhase.INCONCLUSIVE
    assert run.measurements[0].phase is MeasurementPhase.INCONCLUSIVE
    assert "canary 2; minSamples 5" in run.message


def test_a_rate_with_no_samples_is_inconclusive_not_zero() -> None:
    metric = INVALID.model_copy(update={"min_samples": 0})
    templates = {"health": AnalysisTemplate(name="health", metrics=(metric,))}
    empty = {"canary": None, "stable": 0.0, "canary_samples": 0.0, "stable_samples": 10.0}
    run = analysis.advance(new_run(), templates, Feed(empty), 110.0)
    assert run.phase is AnalysisPhase.INCONCLUSIVE and "no value" in run.message


def test_a_provider_error_counts_as_a_failure() -> None:
    run = analysis.advance(new_run(), TEMPLATES, Feed(MeasureError("webhook down")), 110.0)
    assert run.measurements[0].phase is MeasurementPhase.ERROR
    assert run.measurements[0].message == "webhook down"
    run = analysis.advance(run, TEMPLATES, Feed(MeasureError("webhook down")), 120.0)
    assert run.phase is AnalysisPhase.FAILED


def test_failure_condition() -> None:
    metric = Metric(
        name="errors",
        provider=WebhookProvider(url="https://example.invalid/x"),
        interval_seconds=1,
        count=2,
        failure_condition="result > 0.1",
    )
    templates = {"t": AnalysisTemplate(name="t", metrics=(metric,))}
    run = AnalysisRun(rollout_id="r", step_index=0, templates=("t",), started_at=0.0)
    run = analysis.advance(run, templates, Feed(0.05), 1.0)
    assert run.measurements[0].phase is MeasurementPhase.SUCCESSFUL
    run = analysis.advance(run, templates, Feed(0.2), 2.0)
    assert run.phase is AnalysisPhase.FAILED and "failureCondition holds" in run.message


def test_background_analysis_with_count_zero_runs_until_it_fails() -> None:
    metric = INVALID.model_copy(update={"count": 0, "failure_limit": 0})
    templates = {"health": AnalysisTemplate(name="health", metrics=(metric,))}
    run = AnalysisRun(rollout_id="r", step_index=-1, templates=("health",), started_at=0.0)
    feed = Feed(*([good()] * 20), good(0.5))
    for now in range(10, 220, 10):
        run = analysis.advance(run, templates, feed, float(now), background=True)
    assert run.phase is AnalysisPhase.FAILED and len(run.measurements) == 21


def test_args_merge_defaults_and_refuse_missing_ones() -> None:
    template = AnalysisTemplate(
        name="t", args=(TemplateArg(name="tool"), TemplateArg(name="floor", value="0.1")), metrics=(INVALID,)
    )
    assert analysis.merged_args(template, {"tool": "create_meeting"}) == {
        "tool": "create_meeting",
        "floor": "0.1",
    }
    assert analysis.merged_args(template, {"tool": "x", "floor": "0.2"})["floor"] == "0.2"
    with pytest.raises(UserError, match="needs args tool"):
        analysis.merged_args(template, {})


def test_a_template_the_rollout_did_not_record_is_an_error() -> None:
    run = AnalysisRun(rollout_id="r", step_index=0, templates=("gone",), started_at=0.0)
    with pytest.raises(UserError, match="'gone' is not recorded"):
        analysis.advance(run, TEMPLATES, Feed(), 10.0)
