"""Golden files for `reconcile rollout status` (text and JSON) on hand-built rollouts: one in progress at
an analysis step, one aborted by its analysis while the assistant is stopped. Regenerate with
UPDATE_GOLDEN=1 (see test_golden.py) and review the diff."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from reconciler.model.rollouts import (
    AnalysisPhase,
    AnalysisRef,
    AnalysisRun,
    CanaryStep,
    Measurement,
    MeasurementPhase,
    RolloutEvent,
    RolloutRecord,
    RolloutStatus,
    SmokeCheck,
)
from reconciler.model.stored import RolloutView, StopEvent
from reconciler.render.rollouts import progress_line, status_json, status_text
from tests.golden_files import assert_matches_golden

GOLDEN = Path(__file__).resolve().parents[2] / "golden" / "rollouts"
T0 = 1_796_000_000.0
STEPS = (
    CanaryStep(smoke=(SmokeCheck(name="books", turns=("hi",)),)),
    CanaryStep(weight=10),
    CanaryStep(pause_seconds=600),
    CanaryStep(analysis=AnalysisRef(templates=("tool-health",))),
    CanaryStep(weight=100),
)
RECORD = RolloutRecord(
    id="5f1c0a9e2b7d4c3a8e6f",
    assistant="CorporateAssist",
    stable_version=1,
    canary_version=2,
    steps=STEPS,
    on_abort="stable",
    step_index=3,
    step_started_at=T0 + 700,
    weight=10,
    created_at=T0,
    revision=4,
)


def _event(action: str, at: float, index: int, weight: int, reason: str = "") -> RolloutEvent:
    return RolloutEvent(
        rollout_id=RECORD.id,
        assistant="CorporateAssist",
        action=action,
        at=T0 + at,
        user="ana",
        host="ci-runner",
        reason=reason,
        step_index=index,
        weight=weight,
    )


EVENTS = (
    _event("started", 0, 0, 0, "behaviour changed: version 2 (parent 1)"),
    _event("step", 60, 1, 0, "step 1: 1 smoke check passed"),
    _event("weight", 60, 2, 10, "step 2: canary at 10 %"),
    _event("step", 700, 3, 10, "step 3: pause of 600 s ended"),
)
MEASURED = Measurement(
    metric="invalid-tool-calls",
    at=T0 + 1000,
    phase=MeasurementPhase.FAILED,
    value={"canary": 0.5, "stable": 0.0, "canary_samples": 40.0, "stable_samples": 400.0},
    message="successCondition does not hold: result.canary <= result.stable + 0.02",
)
RUN = AnalysisRun(rollout_id=RECORD.id, step_index=3, templates=("tool-health",), started_at=T0 + 700)


def _views() -> dict[str, RolloutView]:
    running = RolloutView(
        workspace="prod",
        record=RECORD,
        events=EVENTS,
        runs=(
            RUN.model_copy(
                update={
                    "measurements": (
                        MEASURED.model_copy(update={"phase": MeasurementPhase.SUCCESSFUL, "message": ""}),
                    )
                }
            ),
        ),
        conversations={1: 360, 2: 40},
        pointers={"stable": 1, "canary": 2},
    )
    why = "step 4: analysis failed: invalid-tool-calls: 1 failed measurement (failureLimit 0)"
    aborted = RolloutView(
        workspace="prod",
        record=RECORD.model_copy(update={"status": RolloutStatus.ABORTED, "weight": 0, "message": why}),
        events=(*EVENTS, _event("aborted", 1000, 3, 0, why)),
        runs=(
            RUN.model_copy(
                update={"phase": AnalysisPhase.FAILED, "measurements": (MEASURED,), "message": why}
            ),
        ),
        conversations={1: 400},
        pointers={"stable": 1},
        stop=StopEvent(
            assistant="CorporateAssist",
            stopped=True,
            at=T0 + 1100,
            user="ana",
            host="laptop",
            reason="leaking data",
        ),
    )
    return {"running": running, "aborted": aborted}


FORMATS: dict[str, Callable[[RolloutView], str]] = {"txt": status_text, "json": status_json}


@pytest.mark.parametrize("fmt", sorted(FORMATS))
@pytest.mark.parametrize("name", ["running", "aborted"])
def test_status_matches_golden_file(name: str, fmt: str) -> None:
    rendered = FORMATS[fmt](_views()[name]) + "\n"
    path = GOLDEN / f"{name}.{fmt}"
    assert_matches_golden(rendered, path)


def test_a_progress_line_names_the_moves_and_the_wait() -> None:
    line = progress_line(RECORD, ("weight: step 2: canary at 10 %",), "step 4: analysis running", T0)
    assert line.splitlines() == [
        "00:53:20Z CorporateAssist v2  10 %  progressing, step 4 of 5: analysis tool-health — "
        "step 4: analysis running",
        "    weight: step 2: canary at 10 %",
    ]
