"""Golden files for what `reconcile conversations migrate` prints: the dry run (text, JSON) with samples and
failures, a migration's status (running with its bar, and cancelled), and the run's end naming the
conversations left pending after platform errors. To change one on purpose, run with UPDATE_GOLDEN=1 (see
test_golden.py) and review the diff."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from reconciler.model.moves import (
    ItemStatus,
    MigrationOptions,
    MigrationProgress,
    MigrationRecord,
    MigrationStatus,
)
from reconciler.render.migrations import (
    plan_json,
    plan_text,
    progress_line,
    run_text,
    status_json,
    status_text,
)
from reconciler.threads.reports import MigrationPlan, RunResult, Sample, StatusReport
from tests.golden_files import assert_matches_golden

GOLDEN = Path(__file__).resolve().parents[2] / "golden" / "migrations"
T0 = 1_765_000_000.0

PLAN = MigrationPlan(
    assistant="CorporateAssist",
    to_version=3,
    flavour="responses",
    counts={1: 312, 2: 40},
    paths={
        1: {"create_meeting": "unchanged", "list_expenses": "r1 -> r2 (2 steps)"},
        2: {"create_meeting": "unchanged", "list_expenses": "unchanged"},
    },
    read=352,
    function_calls=611,
    changed_calls=540,
    samples=(
        Sample(
            "conv_a",
            1,
            "list_expenses",
            '{"from":"2026-11-01","to":"2026-11-30"}',
            '{"start_date":"2026-11-01","end_date":"2026-11-30"}',
        ),
    ),
    failures=(("conv_z", "conversation conv_z item 5 /start_date: 'yesterday' is not a 'date'"),),
    failed=1,
    gone=2,
)


def _record(status: MigrationStatus, message: str = "") -> MigrationRecord:
    return MigrationRecord(
        id="mig_0123456789abcdef", workspace="prod", assistant="CorporateAssist", to_version=3,
        options=MigrationOptions(delete_after_seconds=2_592_000.0), status=status, total=352,
        created_at=T0, updated_at=T0 + 60, by_user="ana", by_host="ops-1", message=message,
    )  # fmt: skip


def _report(status: MigrationStatus, done: int, pending: int, message: str = "") -> StatusReport:
    counts = {ItemStatus.DONE: done, ItemStatus.FAILED: 1, ItemStatus.SKIPPED: 2, ItemStatus.PENDING: pending}
    return StatusReport(
        progress=MigrationProgress(migration=_record(status, message), counts=counts),
        per_second=12.5 if pending else 0.0,
        eta_seconds=pending / 12.5 if pending else None,
        failures=(("conv_z", "conversation conv_z item 5 /start_date: 'yesterday' is not a 'date'"),),
    )


RUNNING = _report(MigrationStatus.RUNNING, 200, 149)
CANCELLED = _report(MigrationStatus.CANCELLED, 200, 149, "cancelled by ana@ops-1: the canary looks wrong")
FINISHED = RunResult(
    status=_report(MigrationStatus.RUNNING, 345, 4),
    workflow_errors=("conv_q: create a conversation: HTTP 500 (server error)",),
    held_elsewhere=(("ghost", 3),),
)
INTERRUPTED = RunResult(
    status=_report(MigrationStatus.RUNNING, 120, 229), workflow_errors=(), interrupted=True
)

RENDERED: dict[str, Callable[[], str]] = {
    "plan.txt": lambda: plan_text(PLAN),
    "plan.json": lambda: plan_json(PLAN),
    "status-running.txt": lambda: status_text(RUNNING),
    "status-running.json": lambda: status_json(RUNNING),
    "status-cancelled.txt": lambda: status_text(CANCELLED),
    "run-left-pending.txt": lambda: run_text(FINISHED),
    "run-interrupted.txt": lambda: run_text(INTERRUPTED),
}


@pytest.mark.parametrize("name", sorted(RENDERED))
def test_migration_output_matches_golden_file(name: str) -> None:
    rendered = RENDERED[name]() + "\n"
    path = GOLDEN / name
    assert_matches_golden(rendered, path)


def test_the_progress_line_fills_its_bar_and_says_the_rate_eta_and_failures() -> None:
    assert progress_line(RUNNING) == ("[#################.............] 203/352  12.5/s  ETA 12s  (1 failed)")
    waiting = StatusReport(
        RUNNING.progress, 0.0, None, (), waiting="following the rollout of version 3 at weight 10%"
    )
    assert progress_line(waiting).endswith(
        "ETA -  (1 failed)  following the rollout of version 3 at weight 10%"
    )


def test_the_json_outputs_are_versioned_documents() -> None:
    for text in (plan_json(PLAN), status_json(RUNNING)):
        assert json.loads(text)["format_version"] == "1.0"
