"""What an analysis run's measurements decide: each metric's phase, then the run's (see `analysis`,
whose module docstring states the rule). Pure: measurements in, a phase and its message out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from reconciler.model.rollouts import AnalysisPhase, Measurement, MeasurementPhase, Metric

__all__ = ["INCONCLUSIVE_IN_A_ROW", "metric_phase", "run_phase", "said"]

INCONCLUSIVE_IN_A_ROW = 3  # inconclusive measurements of one metric in a row make the run inconclusive


def metric_phase(
    metric: Metric, taken: Sequence[Measurement], end: int | None, last_slot: int
) -> tuple[AnalysisPhase, str]:
    """The phase of `metric` given its measurements so far (in slot order), its last slot (None: no end)
    and the slot of its last measurement, with the reason when it has decided. An ERROR is not judged:
    it counts toward `consecutive_error_limit` only."""
    errors = sum(m.phase is MeasurementPhase.ERROR for m in taken)
    judged = [m for m in taken if m.phase is not MeasurementPhase.ERROR]
    failed = [m for m in judged if m.phase is MeasurementPhase.FAILED]
    if len(failed) > metric.failure_limit:
        return AnalysisPhase.FAILED, (
            f"metric {metric.name}: {len(failed)} of {len(judged)} measurements failed"
            f" (failureLimit {metric.failure_limit}); last failure: {said(failed[-1])}"
        )
    in_a_row = _trailing(taken, MeasurementPhase.ERROR)
    if in_a_row > metric.consecutive_error_limit:
        return AnalysisPhase.FAILED, (
            f"metric {metric.name}: {in_a_row} error{'s' if in_a_row != 1 else ''} in a row"
            f" (consecutiveErrorLimit {metric.consecutive_error_limit}); last: {said(taken[-1])}"
        )
    streak = _trailing(judged, MeasurementPhase.INCONCLUSIVE)  # an error neither extends nor breaks it
    finished = end is not None and bool(judged) and last_slot >= end
    if streak >= INCONCLUSIVE_IN_A_ROW or (finished and streak > 0):
        return AnalysisPhase.INCONCLUSIVE, (
            f"metric {metric.name}: {streak} inconclusive measurement{'s' if streak != 1 else ''}"
            f" in a row; last: {said(judged[-1])}"
        )
    if finished:
        unmeasured = f" ({errors} error{'s' if errors != 1 else ''})" if errors else ""
        return AnalysisPhase.SUCCESSFUL, f"{metric.name}: {len(judged)} measured{unmeasured}"
    return AnalysisPhase.RUNNING, ""


def _trailing(measurements: Sequence[Measurement], phase: MeasurementPhase) -> int:
    """How many of the last `measurements` in a row are in `phase`."""
    n = 0
    for m in reversed(measurements):
        if m.phase is not phase:
            break
        n += 1
    return n


def said(measurement: Measurement) -> str:
    """A measurement in a run's message: why it was judged so, and what was seen."""
    why = measurement.message or measurement.phase.value
    value = measurement.value
    if value is None:
        return why
    if isinstance(value, Mapping):
        seen = ", ".join(f"{k} {v:g}" if v is not None else f"{k} -" for k, v in value.items())
    else:
        seen = f"{value:g}"
    return f"{why} ({seen})"


def run_phase(phases: Sequence[tuple[AnalysisPhase, str]]) -> tuple[AnalysisPhase, str]:
    """The run's phase from its metrics' (in order): FAILED if any failed, else INCONCLUSIVE if any is,
    else SUCCESSFUL once all succeeded, else RUNNING; the deciding metrics' messages joined."""
    for wanted in (AnalysisPhase.FAILED, AnalysisPhase.INCONCLUSIVE):
        found = [message for phase, message in phases if phase is wanted]
        if found:
            return wanted, "; ".join(found)
    if phases and all(phase is AnalysisPhase.SUCCESSFUL for phase, _ in phases):
        return AnalysisPhase.SUCCESSFUL, "passed: " + ", ".join(message for _, message in phases)
    return AnalysisPhase.RUNNING, ""
