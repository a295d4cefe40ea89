"""rollout.analysis: what one measurement says, which slots are due, and the run's phase."""

from __future__ import annotations

from collections.abc import Callable

import pytest

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
from reconciler.rollout.analysis import (
    INCONCLUSIVE_IN_A_ROW,
    MAX_CATCH_UP,
    SETTLE_SECONDS,
    AnalysisError,
    advance,
    measurement_of,
    merge_args,
    next_due,
)
from reconciler.rollout.providers import MeasuredValue, ProviderError

T0 = 1_700_000_000.0
ERRORS = BuiltinProvider(metric="error_rate")
HOOK = WebhookProvider(url="https://metrics.example/q")


def due(k: float) -> float:
    """When a builtin metric's k-th slot (every 60 s) is due: its telemetry has settled."""
    return T0 + 60 * k + SETTLE_SECONDS


def metric(**extra: object) -> Metric:
    fields: dict[str, object] = {
        "name": "errors",
        "provider": ERRORS,
        "interval_seconds": 60.0,
        "count": 3,
        "success_condition": "result.canary <= result.stable * 1.5",
    }
    fields.update(extra)
    return Metric.model_validate(fields)


def builtin(canary: float | None, stable: float | None, samples: float = 100.0) -> MeasuredValue:
    return {"canary": canary, "stable": stable, "canary_samples": samples, "stable_samples": samples}


def run_of(*templates: str, step_index: int = 2, **args: str) -> AnalysisRun:
    return AnalysisRun(rollout_id="r1", step_index=step_index, templates=templates, args=args, started_at=T0)


def templates_of(*metrics: Metric, name: str = "health") -> dict[str, AnalysisTemplate]:
    return {name: AnalysisTemplate(name=name, metrics=metrics)}


class Recorder:
    """A `measure` that answers from a list (one value per call) and records the slots it was asked."""

    def __init__(self, *values: MeasuredValue | ProviderError) -> None:
        self.values = list(values)
        self.asked: list[tuple[str, float]] = []

    def __call__(self, m: Metric, at: float) -> MeasuredValue:
        self.asked.append((m.name, at))
        value = self.values.pop(0) if len(self.values) > 1 else self.values[0]
        if isinstance(value, ProviderError):
            raise value
        return value


GOOD = builtin(0.01, 0.01)
BAD = builtin(0.5, 0.01)
THIN = builtin(None, None, samples=0.0)


# -- one measurement ------------------------------------------------------------------------------------


def test_a_value_within_the_conditions_is_successful() -> None:
    m = measurement_of(metric(), GOOD, T0)
    assert (m.phase, m.value, m.at, m.metric) == (MeasurementPhase.SUCCESSFUL, GOOD, T0, "errors")


def test_a_success_condition_that_does_not_hold_fails() -> None:
    m = measurement_of(metric(), BAD, T0)
    assert m.phase is MeasurementPhase.FAILED
    assert "successCondition does not hold" in m.message


def test_a_failure_condition_that_holds_fails_even_when_success_holds() -> None:
    m = measurement_of(metric(failure_condition="result.canary > 0.005"), GOOD, T0)
    assert m.phase is MeasurementPhase.FAILED
    assert "failureCondition holds" in m.message


def test_a_provider_error_is_an_error_measurement_with_its_message() -> None:
    m = measurement_of(metric(), ProviderError("webhook https://x answered HTTP 500"), T0)
    assert (m.phase, m.value) == (MeasurementPhase.ERROR, None)
    assert m.message == "webhook https://x answered HTTP 500"


@pytest.mark.parametrize(("canary", "stable"), [(5.0, 100.0), (100.0, 5.0)])
def test_fewer_samples_than_min_samples_on_either_side_is_inconclusive(canary: float, stable: float) -> None:
    value: MeasuredValue = {"canary": 0.0, "stable": 0.0, "canary_samples": canary, "stable_samples": stable}
    m = measurement_of(metric(min_samples=10), value, T0)
    assert m.phase is MeasurementPhase.INCONCLUSIVE
    assert "too few samples" in m.message


def test_min_samples_reached_on_both_sides_is_judged() -> None:
    assert measurement_of(metric(min_samples=100), BAD, T0).phase is MeasurementPhase.FAILED


def test_min_samples_is_ignored_for_a_webhook_number() -> None:
    m = metric(provider=HOOK, min_samples=50, success_condition="result < 1")
    assert measurement_of(m, 0.5, T0).phase is MeasurementPhase.SUCCESSFUL


def test_a_condition_reading_a_rate_with_no_samples_is_inconclusive_not_failed() -> None:
    m = measurement_of(metric(), THIN, T0)
    assert m.phase is MeasurementPhase.INCONCLUSIVE
    assert "no value" in m.message


def test_a_condition_that_cannot_be_evaluated_for_another_reason_is_an_error() -> None:
    m = measurement_of(metric(success_condition="result.canary / result.stable < 2"), builtin(0.1, 0.0), T0)
    assert m.phase is MeasurementPhase.ERROR
    assert "division by zero" in m.message
    missing = measurement_of(metric(success_condition="result.p99 < 2"), GOOD, T0)
    assert missing.phase is MeasurementPhase.ERROR


def test_no_condition_records_the_value_as_successful() -> None:
    m = measurement_of(metric(success_condition=None), THIN, T0)
    assert m.phase is MeasurementPhase.SUCCESSFUL


# -- the schedule ---------------------------------------------------------------------------------------


def test_the_first_measurement_is_due_one_interval_after_the_start() -> None:
    templates = templates_of(metric())
    run = run_of("health")
    assert next_due(run, templates) == due(1)
    measure = Recorder(GOOD)
    assert advance(run, templates, measure, due(1) - 0.1) is run
    assert measure.asked == []
    after = advance(run, templates, measure, due(1))
    # Recorded at its slot, the end of the window it measured.
    assert measure.asked == [("errors", T0 + 60)]
    assert [m.at for m in after.measurements] == [T0 + 60]
    assert next_due(after, templates) == due(2)


def test_twice_at_the_same_now_takes_no_extra_measurement() -> None:
    templates = templates_of(metric())
    measure = Recorder(GOOD)
    once = advance(run_of("health"), templates, measure, due(1.1))
    twice = advance(once, templates, measure, due(1.1))
    assert twice == once
    assert len(measure.asked) == 1


def test_a_restarted_controller_takes_only_the_slots_due_since_the_stored_run() -> None:
    templates = templates_of(metric(count=5))
    stored = advance(run_of("health"), templates, Recorder(GOOD), due(2.1))
    assert [m.at for m in stored.measurements] == [T0 + 60, T0 + 120]
    # The controller dies, a new one reads the stored run 2.5 intervals later.
    measure = Recorder(GOOD)
    resumed = advance(AnalysisRun.model_validate_json(stored.model_dump_json()), templates, measure, due(4.6))
    assert [at for _name, at in measure.asked] == [T0 + 180, T0 + 240]
    assert [m.at for m in resumed.measurements] == [T0 + 60, T0 + 120, T0 + 180, T0 + 240]
    assert resumed.phase is AnalysisPhase.RUNNING
    assert next_due(resumed, templates) == due(5)


def test_catch_up_is_bounded_to_the_latest_slots() -> None:
    templates = templates_of(metric(count=0, success_condition=None))
    measure = Recorder(GOOD)
    run = advance(run_of("health", step_index=-1), templates, measure, due(MAX_CATCH_UP + 5))
    assert len(measure.asked) == MAX_CATCH_UP
    assert measure.asked[0][1] == T0 + 60 * 6
    assert next_due(run, templates) == due(MAX_CATCH_UP + 6)


def test_a_webhook_after_a_gap_is_read_once_for_the_latest_due_slot() -> None:
    templates = templates_of(metric(provider=HOOK, count=5, success_condition="result < 1"))
    measure = Recorder(0.5)
    run = advance(run_of("health"), templates, measure, T0 + 200)
    assert measure.asked == [("errors", T0 + 180)]
    assert [m.at for m in run.measurements] == [T0 + 180]
    assert next_due(run, templates) == T0 + 240


def test_background_count_zero_never_ends_on_its_own() -> None:
    templates = templates_of(metric(count=0))
    run = advance(run_of("health", step_index=-1), templates, Recorder(GOOD), due(10))
    assert len(run.measurements) == 10
    assert run.phase is AnalysisPhase.RUNNING
    assert next_due(run, templates) == due(11)


def test_count_zero_in_a_step_analysis_is_one_measurement() -> None:
    templates = templates_of(metric(count=0))
    run = advance(run_of("health"), templates, Recorder(GOOD), T0 + 600)
    assert (len(run.measurements), run.phase) == (1, AnalysisPhase.SUCCESSFUL)
    assert next_due(run, templates) is None


# -- the run's phase ------------------------------------------------------------------------------------


def test_every_metric_reaching_its_count_without_failing_succeeds() -> None:
    other = metric(name="hook", provider=HOOK, count=1, interval_seconds=120, success_condition="result < 1")
    templates = templates_of(metric(), other)
    run = advance(run_of("health"), templates, lambda m, at: GOOD if m.name == "errors" else 0.2, T0 + 150)
    assert run.phase is AnalysisPhase.RUNNING  # errors has 2 of 3
    run = advance(run, templates, lambda m, at: GOOD if m.name == "errors" else 0.2, due(3))
    assert run.phase is AnalysisPhase.SUCCESSFUL
    assert run.finished_at == due(3)
    assert "errors" in run.message and "hook" in run.message
    assert next_due(run, templates) is None


def test_failures_up_to_the_limit_are_tolerated_and_one_more_fails_at_once() -> None:
    templates = templates_of(metric(count=5, failure_limit=1))
    run = advance(run_of("health"), templates, Recorder(BAD, GOOD), due(2))
    assert run.phase is AnalysisPhase.RUNNING
    measure = Recorder(BAD)
    run = advance(run, templates, measure, due(5))
    # The second failure (slot 3) fails the run; slots 4 and 5 are not measured.
    assert measure.asked == [("errors", T0 + 180)]
    assert run.phase is AnalysisPhase.FAILED
    assert run.finished_at == due(5)
    assert "2 of 3 measurements failed (failureLimit 1)" in run.message
    assert "canary 0.5, stable 0.01, canary_samples 100, stable_samples 100" in run.message


DOWN = ProviderError("webhook https://x did not answer within 1 s")


def test_errors_up_to_the_limit_do_not_fail_and_each_is_measured_again() -> None:
    assert metric().consecutive_error_limit == 4  # Argo Rollouts' default
    templates = templates_of(metric(count=2))
    measure = Recorder(DOWN, DOWN, DOWN, DOWN, GOOD)
    run = advance(run_of("health"), templates, measure, due(10))
    # Four errors take four slots more than count; the two judged measurements end the metric.
    assert [at for _name, at in measure.asked] == [T0 + 60 * k for k in range(1, 7)]
    assert [m.phase for m in run.measurements] == [MeasurementPhase.ERROR] * 4 + [
        MeasurementPhase.SUCCESSFUL
    ] * 2
    assert run.phase is AnalysisPhase.SUCCESSFUL
    assert run.message == "passed: errors: 2 measured (4 errors)"


def test_more_errors_in_a_row_than_the_limit_fail_the_run() -> None:
    templates = templates_of(metric(count=3))
    measure = Recorder(GOOD, DOWN)
    run = advance(run_of("health"), templates, measure, due(20))
    assert len(measure.asked) == 6  # one judged, then the fifth error in a row decides
    assert run.phase is AnalysisPhase.FAILED
    assert run.message == (
        "metric errors: 5 errors in a row (consecutiveErrorLimit 4); "
        "last: webhook https://x did not answer within 1 s"
    )
    assert next_due(run, templates) is None


def test_a_consecutive_error_limit_of_zero_fails_on_the_first_error() -> None:
    templates = templates_of(metric(count=3, consecutive_error_limit=0))
    run = advance(run_of("health"), templates, Recorder(DOWN), due(1))
    assert run.phase is AnalysisPhase.FAILED
    assert "1 error in a row (consecutiveErrorLimit 0)" in run.message


def test_a_judged_measurement_between_errors_starts_the_count_again() -> None:
    templates = templates_of(metric(count=3, consecutive_error_limit=2))
    run = advance(run_of("health"), templates, Recorder(DOWN, DOWN, GOOD, DOWN, DOWN, GOOD, GOOD), due(20))
    assert run.phase is AnalysisPhase.SUCCESSFUL  # never 3 errors in a row
    assert len(run.measurements) == 7
    run = advance(run_of("health"), templates, Recorder(DOWN, DOWN, GOOD, DOWN, DOWN, DOWN), due(20))
    assert run.phase is AnalysisPhase.FAILED
    assert "3 errors in a row (consecutiveErrorLimit 2)" in run.message


def test_errors_do_not_use_the_failure_limit() -> None:
    templates = templates_of(metric(count=3, failure_limit=1))
    run = advance(run_of("health"), templates, Recorder(DOWN, BAD, DOWN, GOOD), due(20))
    # Before: the error and the failure were two failures, over failureLimit 1.
    assert run.phase is AnalysisPhase.SUCCESSFUL
    run = advance(run_of("health"), templates, Recorder(DOWN, BAD, DOWN, BAD), due(20))
    assert run.phase is AnalysisPhase.FAILED
    assert "2 of 2 measurements failed (failureLimit 1)" in run.message


def test_a_webhook_error_is_asked_again_at_the_next_slot_not_at_once() -> None:
    templates = templates_of(metric(provider=HOOK, count=1, success_condition="result < 1"))
    measure = Recorder(DOWN, 0.5)
    # The controller comes late: slot 1 is read at slot 5's time, and the webhook does not answer.
    run = advance(run_of("health"), templates, measure, T0 + 300)
    assert measure.asked == [("errors", T0 + 60)]
    assert [(m.phase, m.at) for m in run.measurements] == [(MeasurementPhase.ERROR, T0 + 300)]
    assert run.phase is AnalysisPhase.RUNNING
    assert next_due(run, templates) == T0 + 360
    assert advance(run, templates, measure, T0 + 359) is run
    run = advance(run, templates, measure, T0 + 360)
    assert measure.asked[1:] == [("errors", T0 + 360)]
    assert run.phase is AnalysisPhase.SUCCESSFUL


def test_a_restarted_controller_continues_the_error_count_of_the_stored_run() -> None:
    templates = templates_of(metric(count=1))
    stored = advance(run_of("health"), templates, Recorder(DOWN), due(3))
    assert (len(stored.measurements), stored.phase) == (3, AnalysisPhase.RUNNING)
    assert next_due(stored, templates) == due(4)
    resumed = AnalysisRun.model_validate_json(stored.model_dump_json())
    run = advance(resumed, templates, Recorder(DOWN), due(5))
    assert run.phase is AnalysisPhase.FAILED
    assert "5 errors in a row" in run.message


def test_a_failed_run_is_never_measured_again() -> None:
    templates = templates_of(metric())
    run = advance(run_of("health"), templates, Recorder(BAD), due(1))
    assert run.phase is AnalysisPhase.FAILED
    measure = Recorder(GOOD)
    assert advance(run, templates, measure, T0 + 600) is run
    assert measure.asked == []


def test_inconclusive_in_a_row_makes_the_run_inconclusive() -> None:
    templates = templates_of(metric(count=10))
    run = advance(run_of("health"), templates, Recorder(THIN), due(INCONCLUSIVE_IN_A_ROW - 1))
    assert run.phase is AnalysisPhase.RUNNING
    run = advance(run, templates, Recorder(THIN), due(INCONCLUSIVE_IN_A_ROW))
    assert run.phase is AnalysisPhase.INCONCLUSIVE
    assert f"{INCONCLUSIVE_IN_A_ROW} inconclusive measurements in a row" in run.message


def test_inconclusive_measurements_broken_by_a_judged_one_do_not_end_the_run() -> None:
    templates = templates_of(metric(count=5))
    run = advance(run_of("health"), templates, Recorder(THIN, THIN, GOOD, THIN, GOOD), due(5))
    assert run.phase is AnalysisPhase.SUCCESSFUL


def test_an_error_between_inconclusive_measurements_neither_adds_to_the_row_nor_breaks_it() -> None:
    templates = templates_of(metric(count=10))
    run = advance(run_of("health"), templates, Recorder(THIN, DOWN, THIN, DOWN), due(4))
    assert run.phase is AnalysisPhase.RUNNING
    run = advance(run, templates, Recorder(THIN), due(5))
    assert run.phase is AnalysisPhase.INCONCLUSIVE
    assert f"{INCONCLUSIVE_IN_A_ROW} inconclusive measurements in a row" in run.message


def test_reaching_the_count_with_an_inconclusive_last_measurement_is_inconclusive() -> None:
    templates = templates_of(metric(count=2, min_samples=10))
    run = advance(run_of("health"), templates, Recorder(GOOD, builtin(0.0, 0.0, samples=3)), due(2))
    assert run.phase is AnalysisPhase.INCONCLUSIVE
    assert "too few samples" in run.message


def test_a_failure_outranks_an_inconclusive_metric() -> None:
    templates = templates_of(metric(name="a", count=1), metric(name="b", count=1))
    run = advance(run_of("health"), templates, lambda m, at: THIN if m.name == "a" else BAD, due(1))
    assert run.phase is AnalysisPhase.FAILED
    assert "metric b" in run.message


def test_any_other_exception_from_measure_propagates_and_records_nothing() -> None:
    def broken(_m: Metric, _at: float) -> MeasuredValue:
        raise RuntimeError("store down")

    with pytest.raises(RuntimeError):
        advance(run_of("health"), templates_of(metric()), broken, due(1))


# -- templates and args ---------------------------------------------------------------------------------


def test_template_defaults_are_overridden_by_the_rollouts_args() -> None:
    first = AnalysisTemplate(
        name="a", args=(TemplateArg(name="env", value="prod"), TemplateArg(name="slo")), metrics=(metric(),)
    )
    second = AnalysisTemplate(name="b", args=(TemplateArg(name="slo", value="0.99"),), metrics=(metric(),))
    assert merge_args([first], {"slo": "0.9", "env": "staging"}) == {"env": "staging", "slo": "0.9"}
    assert merge_args([first, second], {}) == {"env": "prod", "slo": "0.99"}


def test_a_missing_required_arg_fails_the_run_at_its_start() -> None:
    template = AnalysisTemplate(name="health", args=(TemplateArg(name="slo"),), metrics=(metric(),))
    with pytest.raises(AnalysisError, match="slo"):
        merge_args([template], {})
    measure = Recorder(GOOD)
    run = advance(run_of("health"), {"health": template}, measure, T0)
    assert run.phase is AnalysisPhase.FAILED
    assert "analysis args missing: slo (template health)" in run.message
    assert measure.asked == []
    assert next_due(run, {"health": template}) is None


@pytest.mark.parametrize(
    ("templates", "expected"),
    [
        ({}, "unknown analysis template health"),
        (templates_of(metric(success_condition="result.canary <")), "successCondition"),
        (templates_of(metric(), metric()), "two metrics named 'errors'"),
    ],
)
def test_an_analysis_that_cannot_run_fails_without_measuring(
    templates: dict[str, AnalysisTemplate], expected: str
) -> None:
    measure: Callable[[Metric, float], MeasuredValue] = Recorder(GOOD)
    run = advance(run_of("health"), templates, measure, T0 + 60)
    assert run.phase is AnalysisPhase.FAILED
    assert expected in run.message


def test_a_webhook_is_due_at_its_slot_a_builtin_once_its_telemetry_settled() -> None:
    hook = metric(name="hook", provider=HOOK, count=1, success_condition="result < 1")
    templates = templates_of(metric(count=1), hook)
    assert next_due(run_of("health"), templates) == T0 + 60
    measure = Recorder(0.5)
    run = advance(run_of("health"), templates, measure, T0 + 60)
    assert measure.asked == [("hook", T0 + 60)]
    assert next_due(run, templates) == due(1)


def test_background_analysis_runs_until_a_measurement_fails() -> None:
    templates = templates_of(metric(count=0))
    run = run_of("health", step_index=-1)
    for k in range(1, 30):
        run = advance(run, templates, Recorder(BAD if k == 25 else GOOD), due(k))
    assert run.phase is AnalysisPhase.FAILED
    assert len(run.measurements) == 25
    assert run.finished_at == due(25)
