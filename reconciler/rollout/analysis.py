"""Analysis runs, as Argo Rollouts' AnalysisRun: each metric of a step's templates measured every
`interval`, `count` times, each measurement judged by the template's conditions, and the run's phase
from them. The controller calls `advance` on every pass; it takes only the measurements that are due,
so calling it twice at one moment, or again after the controller restarted, repeats and skips nothing.

Timing: a measurement looks back over the time since the previous one (the first over the time since
the run started), so the first is taken one `interval` after the start, not at once (an empty window
would measure nothing); after a pause in the controller the next one is taken at once and covers the
whole gap.

Judging one measurement: `error` when the provider failed; `inconclusive` when a builtin measurement
has fewer than `minSamples` samples on either side (or a condition reads a value with no samples);
`failed` when `failureCondition` holds or `successCondition` does not; else `successful`.

Judging the run: `failed` as soon as a metric's failed and error measurements exceed its
`failureLimit`; `inconclusive` at the first inconclusive measurement (Argo's default inconclusive
limit of 0), which pauses the rollout for an operator; `successful` once every metric took `count`
measurements (background analysis with `count: 0` never ends by itself); otherwise `running`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

from reconciler.errors import UserError
from reconciler.model.expression import ExpressionError, parse
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
from reconciler.rollout.providers import MeasureError, Value, Window, builtin_value, webhook_value
from reconciler.store.base import StateReader

__all__ = ["Measure", "advance", "measurement_of", "measurer", "merged_args", "next_due"]

# Measures one metric over the window [since, until): the value, or MeasureError.
Measure = Callable[[Metric, float, float], Value]


class MissingTemplate(UserError):
    """A rollout names an analysis template it did not record (its manifest lacked it)."""


def merged_args(template: AnalysisTemplate, given: Mapping[str, str]) -> dict[str, str]:
    """The template's defaults overridden by the rollout's args; a required arg not given is an error."""
    args = {a.name: a.value for a in template.args if a.value is not None}
    args.update({k: v for k, v in given.items() if k in {a.name for a in template.args}})
    missing = [a.name for a in template.args if a.name not in args]
    if missing:
        raise UserError(f"analysis template {template.name} needs args {', '.join(missing)}")
    return args


def measurer(store: StateReader, workspace: str, record: RolloutRecord, run: AnalysisRun) -> Measure:
    """How the controller measures for one run of one rollout: builtin metrics from the store's
    telemetry of the rollout's two versions, webhooks with the run's args."""
    args: dict[str, str] = {}
    for name in run.templates:
        template = record.templates.get(name)
        if template is not None:
            args.update(merged_args(template, run.args))

    def measure(metric: Metric, since: float, until: float) -> Value:
        provider = metric.provider
        if isinstance(provider, BuiltinProvider):
            window = Window(
                workspace,
                record.assistant,
                record.canary_version,
                record.stable_version,
                math.floor(since),
                math.floor(until),
            )
            return builtin_value(store, provider, window)
        return webhook_value(provider, args)

    return measure


def measurement_of(metric: Metric, value: Value | MeasureError, now: float) -> Measurement:
    """One measurement judged (see the module's docstring)."""

    def made(phase: MeasurementPhase, message: str = "") -> Measurement:
        shown = None if isinstance(value, MeasureError) else value
        return Measurement(metric=metric.name, at=now, phase=phase, value=shown, message=message)

    if isinstance(value, MeasureError):
        return made(MeasurementPhase.ERROR, str(value))
    if isinstance(value, dict) and metric.min_samples:
        short = {
            side: int(value.get(f"{side}_samples") or 0)
            for side in ("canary", "stable")
            if (value.get(f"{side}_samples") or 0) < metric.min_samples
        }
        if short:
            seen = ", ".join(f"{side} {n}" for side, n in short.items())
            return made(
                MeasurementPhase.INCONCLUSIVE, f"too few samples ({seen}; minSamples {metric.min_samples})"
            )
    try:
        if metric.failure_condition is not None and parse(metric.failure_condition).holds(value):
            return made(MeasurementPhase.FAILED, f"failureCondition holds: {metric.failure_condition}")
        if metric.success_condition is not None and not parse(metric.success_condition).holds(value):
            return made(
                MeasurementPhase.FAILED, f"successCondition does not hold: {metric.success_condition}"
            )
    except ExpressionError as error:
        missing = "no value" in str(error)
        phase = MeasurementPhase.INCONCLUSIVE if missing else MeasurementPhase.ERROR
        return made(phase, str(error))
    return made(MeasurementPhase.SUCCESSFUL)


def _metrics(run: AnalysisRun, templates: Mapping[str, AnalysisTemplate]) -> list[Metric]:
    found: list[Metric] = []
    for name in run.templates:
        template = templates.get(name)
        if template is None:
            raise MissingTemplate(f"analysis template {name!r} is not recorded with the rollout")
        found.extend(template.metrics)
    return found


def _taken(run: AnalysisRun, metric: Metric) -> list[Measurement]:
    return [m for m in run.measurements if m.metric == metric.name]


def _due(run: AnalysisRun, metric: Metric, background: bool) -> float | None:
    """When the metric's next measurement is due; None when it took all it will."""
    taken = _taken(run, metric)
    limit = metric.count if (metric.count or not background) else None
    if limit is not None and len(taken) >= limit:
        return None
    last = taken[-1].at if taken else run.started_at
    return last + metric.interval_seconds


def advance(
    run: AnalysisRun,
    templates: Mapping[str, AnalysisTemplate],
    measure: Measure,
    now: float,
    *,
    background: bool = False,
) -> AnalysisRun:
    """Take every measurement due at `now` and judge the run. A run that ended is returned unchanged."""
    if run.phase is not AnalysisPhase.RUNNING:
        return run
    metrics = _metrics(run, templates)
    taken = list(run.measurements)
    for metric in metrics:
        due = _due(run, metric, background)
        if due is None or now < due:
            continue
        previous = _taken(run, metric)
        since = previous[-1].at if previous else run.started_at
        try:
            value: Value | MeasureError = measure(metric, since, now)
        except MeasureError as error:
            value = error
        taken.append(measurement_of(metric, value, now))
    updated = run.model_copy(update={"measurements": tuple(taken)})
    phase, message = _judge(updated, metrics, background)
    if phase is AnalysisPhase.RUNNING:
        return updated
    return updated.model_copy(update={"phase": phase, "message": message, "finished_at": now})


def _judge(run: AnalysisRun, metrics: list[Metric], background: bool) -> tuple[AnalysisPhase, str]:
    done = True
    for metric in metrics:
        taken = _taken(run, metric)
        bad = [m for m in taken if m.phase in (MeasurementPhase.FAILED, MeasurementPhase.ERROR)]
        if len(bad) > metric.failure_limit:
            return AnalysisPhase.FAILED, (
                f"{metric.name}: {len(bad)} failed measurement{'s' if len(bad) != 1 else ''} "
                f"(failureLimit {metric.failure_limit}); last: {bad[-1].message or bad[-1].phase.value} "
                f"({_shown(bad[-1])})"
            )
        inconclusive = next((m for m in taken if m.phase is MeasurementPhase.INCONCLUSIVE), None)
        if inconclusive is not None:
            return AnalysisPhase.INCONCLUSIVE, f"{metric.name}: {inconclusive.message}"
        if (background and not metric.count) or len(taken) < metric.count:
            done = False
    return (AnalysisPhase.SUCCESSFUL, "") if done else (AnalysisPhase.RUNNING, "")


def _shown(m: Measurement) -> str:
    if isinstance(m.value, dict):
        return ", ".join(f"{k} {v:g}" if v is not None else f"{k} -" for k, v in m.value.items())
    return "no value" if m.value is None else f"{m.value:g}"


def next_due(
    run: AnalysisRun, templates: Mapping[str, AnalysisTemplate], *, background: bool = False
) -> float | None:
    """When `advance` next has something to do for a running run; None when it has ended."""
    if run.phase is not AnalysisPhase.RUNNING:
        return None
    dues = [_due(run, m, background) for m in _metrics(run, templates)]
    found = [d for d in dues if d is not None]
    return min(found) if found else None
