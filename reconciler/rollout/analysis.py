"""Analysis runs, as Argo Rollouts' AnalysisRun: which measurements are due, what each one says, and the
run's phase. Pure but for the one `measure` callable the controller hands in (`measurer` builds it).

The schedule. A metric's k-th measurement (k = 1, 2, ...) is for the slot `started_at + k * interval`,
up to `count` (0 in background analysis: no end; 0 in a step's analysis: 1). This is Argo with
`initialDelay` equal to the interval: a builtin measurement covers the interval that ends at its slot
(`providers.window`), so one taken at the start would look at nothing; it is due `SETTLE_SECONDS` after its
slot, a webhook's at the slot. A measurement is recorded with its due time as `at`, so the
run itself says which slots were taken: a controller restarted mid-step, or called twice at one `now`,
neither repeats nor skips a slot. After a gap (a controller that was down, a cron job that steps every
few minutes) every slot due since is taken, the builtin provider reading each slot's own window from the
telemetry (history: the same values an uninterrupted controller would have read), at most
`MAX_CATCH_UP` of the latest. A webhook can only be read now, so it takes only the latest due slot and the
missed ones stay empty: one reading is never counted as several.

Errors, as Argo counts them: an ERROR measurement (the provider could not measure: a webhook that cannot
be reached; or a condition that cannot be evaluated) is not a failure and is not one of `count`: the
metric gets one more slot for it, so it is measured again at the next slot. A webhook's error is recorded
at the latest slot due when it was read (a late reading after a gap), so the retry is a slot to come,
never a second call at once. A metric therefore never reaches its last slot on an ERROR: where Argo ends
such a metric in phase Error (which aborts the rollout, as Failed does), errors end the run only through
`consecutive_error_limit`.

The phase (`analysis_phase`). FAILED as soon as a metric's failed measurements exceed its
`failure_limit`, or its last measurements are more than `consecutive_error_limit` ERRORs in a row (a
judged measurement in between starts the count again); INCONCLUSIVE when `INCONCLUSIVE_IN_A_ROW` judged
measurements of a metric in a row are inconclusive (an ERROR between them neither adds to the row nor
breaks it), or a metric reached its last slot with an inconclusive measurement; SUCCESSFUL when every
metric reached its last slot without either; else RUNNING. A template, arg or condition that cannot be
used fails the run at once.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache

from reconciler.errors import UserError
from reconciler.model.expression import Expression, ExpressionError, parse
from reconciler.model.rollouts import (
    AnalysisPhase,
    AnalysisRun,
    AnalysisTemplate,
    BuiltinProvider,
    Measurement,
    MeasurementPhase,
    Metric,
    RolloutRecord,
)
from reconciler.rollout.analysis_phase import INCONCLUSIVE_IN_A_ROW, metric_phase, run_phase
from reconciler.rollout.providers import MeasureContext, MeasuredValue, ProviderError, measure
from reconciler.store.base import StateReader

__all__ = [
    "INCONCLUSIVE_IN_A_ROW",
    "MAX_CATCH_UP",
    "SETTLE_SECONDS",
    "AnalysisError",
    "Measure",
    "advance",
    "measurement_of",
    "measurer",
    "merge_args",
    "metrics_of",
    "next_due",
]

MAX_CATCH_UP = 20  # slots one call takes for one metric after a gap (the latest; older ones are skipped)
BACKGROUND = -1  # the step index of background analysis runs (as `rollout.canary` has it)
# The runtime writes telemetry every second or so (`runtime.telemetry`): a builtin measurement is taken
# this long after its window ends, so the window's last seconds are in the store when it is read.
SETTLE_SECONDS = 5.0
MIN_INTERVAL = 1.0  # seconds; telemetry is kept per second, so a shorter window means nothing

# Measures `metric` for the slot due at the given time (epoch seconds); raises ProviderError when it can't.
Measure = Callable[[Metric, float], MeasuredValue]


class AnalysisError(UserError):
    """An analysis that cannot run as declared: an unknown template, a missing arg, a bad condition."""


# -- one measurement -------------------------------------------------------------------------------------


@lru_cache(maxsize=256)
def _condition(text: str) -> Expression:
    return parse(text)


def measurement_of(metric: Metric, value: MeasuredValue | ProviderError, now: float) -> Measurement:
    """What one value says about `metric`, recorded at `now`: ERROR when it could not be had;
    INCONCLUSIVE when a builtin side has fewer than `min_samples` samples (both sides must, to compare;
    a webhook's number has no samples), or a condition reads a value that had no samples; FAILED when
    `failure_condition` holds or `success_condition` does not; else SUCCESSFUL. A condition that cannot be
    evaluated for another reason (division by zero, a missing field) is an ERROR, with the reason."""
    if isinstance(value, ProviderError):
        return Measurement(metric=metric.name, at=now, phase=MeasurementPhase.ERROR, message=str(value))

    def made(phase: MeasurementPhase, message: str = "") -> Measurement:
        return Measurement(metric=metric.name, at=now, phase=phase, value=value, message=message)

    builtin = isinstance(metric.provider, BuiltinProvider)
    if builtin and isinstance(value, Mapping) and metric.min_samples > 0:
        canary, stable = value.get("canary_samples") or 0.0, value.get("stable_samples") or 0.0
        if canary < metric.min_samples or stable < metric.min_samples:
            return made(
                MeasurementPhase.INCONCLUSIVE,
                f"too few samples: canary {canary:g}, stable {stable:g} (minSamples {metric.min_samples})",
            )
    try:
        if metric.failure_condition and _condition(metric.failure_condition).holds(value):
            return made(MeasurementPhase.FAILED, f"failureCondition holds: {metric.failure_condition}")
        if metric.success_condition and not _condition(metric.success_condition).holds(value):
            return made(
                MeasurementPhase.FAILED, f"successCondition does not hold: {metric.success_condition}"
            )
    except ExpressionError as error:
        if _reads_missing(metric, value):
            return made(MeasurementPhase.INCONCLUSIVE, f"no samples: {error}")
        return made(MeasurementPhase.ERROR, f"condition could not be evaluated: {error}")
    return made(MeasurementPhase.SUCCESSFUL)


def _reads_missing(metric: Metric, value: MeasuredValue) -> bool:
    """Whether a condition of `metric` reads a field that has no value for want of samples."""
    if not isinstance(value, Mapping):
        return False
    empty = {name for name, v in value.items() if v is None}
    read: set[str] = set()
    for text in (metric.failure_condition, metric.success_condition):
        if text:
            read |= _condition(text).fields
    return bool(read & empty)


# -- the run's templates, metrics and args ---------------------------------------------------------------


def merge_args(templates: Sequence[AnalysisTemplate], given: Mapping[str, str]) -> dict[str, str]:
    """The args the run's metrics see: each template's defaults, overridden by the rollout's `given`.
    Raises AnalysisError naming every declared arg that has neither."""
    defaults: dict[str, str] = {}
    required: dict[str, str] = {}  # name -> the first template that declares it without a default
    for template in templates:
        for arg in template.args:
            if arg.value is not None:
                defaults.setdefault(arg.name, arg.value)
            else:
                required.setdefault(arg.name, template.name)
    missing = [
        f"{name} (template {template})"
        for name, template in required.items()
        if name not in given and name not in defaults
    ]
    if missing:
        raise AnalysisError(f"analysis args missing: {', '.join(missing)}")
    # An arg given but not declared is kept: a webhook URL may still name it.
    return {**defaults, **given}


def metrics_of(
    run: AnalysisRun, templates: Mapping[str, AnalysisTemplate]
) -> tuple[tuple[Metric, ...], dict[str, str]]:
    """The run's metrics, in template order, and its merged args; AnalysisError when a template is
    unknown, an arg is missing, two metrics share a name, or a condition does not parse."""
    unknown = [name for name in run.templates if name not in templates]
    if unknown:
        raise AnalysisError(f"unknown analysis template {', '.join(unknown)}")
    chosen = [templates[name] for name in run.templates]
    args = merge_args(chosen, run.args)
    metrics: list[Metric] = []
    seen: set[str] = set()
    for template in chosen:
        for metric in template.metrics:
            if metric.name in seen:
                raise AnalysisError(
                    f"two metrics named {metric.name!r} in one analysis (template {template.name})"
                )
            seen.add(metric.name)
            for label, text in (
                ("successCondition", metric.success_condition),
                ("failureCondition", metric.failure_condition),
            ):
                if text:
                    try:
                        _condition(text)
                    except ExpressionError as error:
                        raise AnalysisError(
                            f"metric {metric.name}: {label} {text!r}: {error} (column {error.column})"
                        ) from None
            metrics.append(metric)
    return tuple(metrics), args


# -- the schedule ----------------------------------------------------------------------------------------


def _interval(metric: Metric) -> float:
    return max(metric.interval_seconds, MIN_INTERVAL)


def _count(metric: Metric, background: bool) -> int | None:
    """The number of slots, None for no end (background analysis with count 0)."""
    if metric.count > 0:
        return metric.count
    return None if background else 1


def _slot_at(run: AnalysisRun, metric: Metric, k: int) -> float:
    return run.started_at + k * _interval(metric)


def _settle(metric: Metric) -> float:
    return SETTLE_SECONDS if isinstance(metric.provider, BuiltinProvider) else 0.0


def _slot_of(run: AnalysisRun, metric: Metric, measurement: Measurement) -> int:
    return round((measurement.at - run.started_at) / _interval(metric))


def _taken(run: AnalysisRun, metric: Metric) -> list[Measurement]:
    return [m for m in run.measurements if m.metric == metric.name]


def _last_slot(run: AnalysisRun, metric: Metric) -> int:
    taken = _taken(run, metric)
    return _slot_of(run, metric, taken[-1]) if taken else 0


def _end(run: AnalysisRun, metric: Metric, background: bool) -> int | None:
    """The metric's last slot, None for no end: `count`, one more for each ERROR (retried at the next
    slot, as Argo retries an errored measurement without counting it), and after the slot of an ERROR
    that is the last measurement (a webhook's error is recorded at the latest slot due: `_measure_due`)."""
    count = _count(metric, background)
    if count is None:
        return None
    taken = _taken(run, metric)
    end = count + sum(m.phase is MeasurementPhase.ERROR for m in taken)
    if taken and taken[-1].phase is MeasurementPhase.ERROR:
        end = max(end, _slot_of(run, metric, taken[-1]) + 1)
    return end


def _reached(run: AnalysisRun, metric: Metric, now: float) -> int:
    """The latest slot due by `now`, whatever the metric's end."""
    now -= _settle(metric)  # a slot is due once its telemetry has settled (see SETTLE_SECONDS)
    reached = math.floor((now - run.started_at) / _interval(metric))
    # Floating point: make sure slot `reached` is due and `reached + 1` is not, by the same formula.
    while reached > 0 and _slot_at(run, metric, reached) > now:
        reached -= 1
    while _slot_at(run, metric, reached + 1) <= now:
        reached += 1
    return reached


def _due_slots(run: AnalysisRun, metric: Metric, now: float, background: bool) -> range:
    reached = _reached(run, metric, now)
    end = _end(run, metric, background)
    if end is not None:
        reached = min(reached, end)
    catch_up = MAX_CATCH_UP if isinstance(metric.provider, BuiltinProvider) else 1
    first = max(_last_slot(run, metric) + 1, reached - catch_up + 1)
    return range(first, reached + 1)


# -- the run's phase -------------------------------------------------------------------------------------


def _metric_phase(run: AnalysisRun, metric: Metric, background: bool) -> tuple[AnalysisPhase, str]:
    return metric_phase(metric, _taken(run, metric), _end(run, metric, background), _last_slot(run, metric))


def _phase(run: AnalysisRun, metrics: Sequence[Metric], background: bool) -> tuple[AnalysisPhase, str]:
    return run_phase([_metric_phase(run, metric, background) for metric in metrics])


# -- the step the controller calls -----------------------------------------------------------------------


def advance(
    run: AnalysisRun,
    templates: Mapping[str, AnalysisTemplate],
    measure: Measure,
    now: float,
    *,
    background: bool | None = None,
) -> AnalysisRun:
    """`run` with every measurement due by `now` taken (through `measure`, one call per slot) and its
    phase set. A finished run is returned as it is; so is a running one with nothing due (so the caller
    can compare to decide whether to save). A `ProviderError` from `measure` is an ERROR measurement;
    any other exception propagates and nothing is recorded. `background` (count 0: no end) defaults to
    whether the run is background analysis (`step_index` -1)."""
    if run.phase is not AnalysisPhase.RUNNING:
        return run
    background = _is_background(run, background)
    try:
        metrics, _args = metrics_of(run, templates)
    except AnalysisError as error:
        return run.model_copy(
            update={"phase": AnalysisPhase.FAILED, "finished_at": now, "message": str(error)}
        )
    current = run
    for metric in metrics:
        current = _measure_due(current, metric, measure, now, background)
        if _metric_phase(current, metric, background)[0] is AnalysisPhase.FAILED:
            break  # the run has failed: the other metrics need not be asked
    if current.measurements == run.measurements:
        return run
    ordered = tuple(sorted(current.measurements, key=lambda m: m.at))  # stable: ties keep their order
    current = current.model_copy(update={"measurements": ordered})
    phase, message = _phase(current, metrics, background)
    if phase is AnalysisPhase.RUNNING:
        return current
    return current.model_copy(update={"phase": phase, "finished_at": now, "message": message})


def _measure_due(
    run: AnalysisRun, metric: Metric, measure: Measure, now: float, background: bool
) -> AnalysisRun:
    """`run` with the slots of `metric` due by `now` measured, until the metric decides (its later slots
    are not measured). An ERROR adds a slot (`_end`) that may be due already: a builtin one is measured
    too (its window is history); a webhook's error is recorded at the latest slot due, as it was read
    now, so that the webhook is asked again at the next slot to come, never twice at once."""
    while _metric_phase(run, metric, background)[0] is AnalysisPhase.RUNNING:
        slots = _due_slots(run, metric, now, background)
        if not slots:
            break
        for k in slots:
            at = _slot_at(run, metric, k)
            value: MeasuredValue | ProviderError
            try:
                value = measure(metric, at)
            except ProviderError as error:
                value = error
            taken = measurement_of(metric, value, at)
            if taken.phase is MeasurementPhase.ERROR and not isinstance(metric.provider, BuiltinProvider):
                taken = taken.model_copy(update={"at": _slot_at(run, metric, _reached(run, metric, now))})
            run = run.model_copy(update={"measurements": (*run.measurements, taken)})
            if _metric_phase(run, metric, background)[0] is not AnalysisPhase.RUNNING:
                break
    return run


def next_due(
    run: AnalysisRun, templates: Mapping[str, AnalysisTemplate], *, background: bool | None = None
) -> float | None:
    """When `advance` next has a measurement to take for a running run (epoch seconds: the earliest next
    slot of its metrics, after `SETTLE_SECONDS` for builtin ones); None when the run has finished or
    cannot run. `background` as in `advance`."""
    if run.phase is not AnalysisPhase.RUNNING:
        return None
    background = _is_background(run, background)
    try:
        metrics, _args = metrics_of(run, templates)
    except AnalysisError:
        return None
    due: list[float] = []
    for metric in metrics:
        if _metric_phase(run, metric, background)[0] is not AnalysisPhase.RUNNING:
            continue
        k = _last_slot(run, metric) + 1
        end = _end(run, metric, background)
        if end is None or k <= end:
            due.append(_slot_at(run, metric, k) + _settle(metric))
    return min(due) if due else None


def _is_background(run: AnalysisRun, background: bool | None) -> bool:
    return run.step_index == BACKGROUND if background is None else background


def measurer(reader: StateReader, workspace: str, record: RolloutRecord, run: AnalysisRun) -> Measure:
    """The `measure` of `advance` for one run of one rollout: canary and stable are the rollout's
    versions, args the run's merged with its templates' defaults."""
    try:
        _metrics, args = metrics_of(run, record.templates)
    except AnalysisError:
        args = dict(run.args)  # `advance` fails the run before it measures anything

    def measure_one(metric: Metric, at: float) -> MeasuredValue:
        ctx = MeasureContext(
            reader=reader,
            workspace=workspace,
            assistant=record.assistant,
            canary_version=record.canary_version,
            stable_version=record.stable_version,
            started_at=run.started_at,
            at=at,
            interval_seconds=_interval(metric),
            args=args,
        )
        return measure(metric.provider, ctx)

    return measure_one
