"""What an analysis run's measurements decide: each metric's phase, then the run's (see `analysis`,
whose module docstring states the rule). Pure: measurements in, a phase and its message out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from reconciler.model.rollouts import AnalysisPhase, Measurement, MeasurementPhase, Metric

__all__ = ["INCONCLUSIVE_IN_A_ROW", "metric_phase", "run_phase", "said"]

INCONCLUSIVE_IN_A_ROW = 3  # inconclusive measurements of one metric in a row make the run inconclusive


def metric_phase(
    metric: Metric, taken: Sequence[Measurement], count: int | None, last_slot: int
) -> tuple[AnalysisPhase, str]:
    """The phase of `metric` given its measurements so far (in slot order), its number of slots (None:
    no end) and the slot of its last measurement, with the reason when it has decided."""
    failures = sum(m.phase in (MeasurementPhase.FAILED, MeasurementPhase.ERROR) for m in taken)
    if failures > metric.failure_limit:
        bad = (MeasurementPhase.FAILED, MeasurementPhase.ERROR)
        last = next(m for m in reversed(taken) if m.phase in bad)
        return AnalysisPhase.FAILED, (
            f"metric {metric.name}: {failures} of {len(taken)} measurements failed"
            f" (failureLimit {metric.failure_limit}); last failure: {said(last)}"
        )
    streak = 0
    for m in reversed(taken):
        if m.phase is not MeasurementPhase.INCONCLUSIVE:
            break
        streak += 1
    finished = count is not None and bool(taken) and last_slot >= count
    if streak >= INCONCLUSIVE_IN_A_ROW or (finished and streak > 0):
        return AnalysisPhase.INCONCLUSIVE, (
            f"metric {metric.name}: {streak} inconclusive measurement{'s' if streak != 1 else ''}"
            f" in a row; last: {said(taken[-1])}"
        )
    if finished:
        return AnalysisPhase.SUCCESSFUL, f"{metric.name}: {len(taken)} measured"
    return AnalysisPhase.RUNNING, ""


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
