"""Rollout records for the store's contract tests: steps with every kind of step, smoke expectation and
metric provider, so a round trip covers the whole of `model.rollouts`' recorded half."""

from __future__ import annotations

from reconciler.model.rollouts import (
    AnalysisRef,
    AnalysisTemplate,
    AnswerMatches,
    BackgroundAnalysis,
    BuiltinProvider,
    CallsTool,
    CanaryStep,
    CostBelow,
    Metric,
    NoError,
    RolloutEvent,
    RolloutRecord,
    SmokeCheck,
    TemplateArg,
    WebhookProvider,
)
from reconciler.store.sqlstore import SqlStore

WS = "prod"
BOT = "Bot"

STEPS = (
    CanaryStep(
        smoke=(
            SmokeCheck(
                name="books a room",
                turns=("book room 4 for 3pm", "thanks"),
                expect=(
                    CallsTool(tool="book_room"),
                    AnswerMatches(pattern=r"booked\s+room"),
                    NoError(),
                    CostBelow(usd=0.05),
                ),
                tool_outputs={"book_room": '{"ok": true}'},
            ),
        )
    ),
    CanaryStep(weight=10),
    CanaryStep(analysis=AnalysisRef(templates=("tool-health", "latency"), args={"max_ms": "900"})),
    CanaryStep(pause_seconds=3600),
    CanaryStep(weight=50),
    CanaryStep(pause_indefinitely=True),
)

TEMPLATES = (
    AnalysisTemplate(
        name="tool-health",
        args=(TemplateArg(name="max_rate", value="0.05"),),
        metrics=(
            Metric(
                name="tool errors",
                provider=BuiltinProvider(metric="tool_error_rate"),
                interval_seconds=30.0,
                count=3,
                failure_condition="result.canary > result.stable * 1.5",
                failure_limit=1,
                min_samples=20,
            ),
        ),
    ),
    AnalysisTemplate(
        name="latency",
        args=(TemplateArg(name="max_ms"),),
        metrics=(
            Metric(
                name="p95",
                provider=WebhookProvider(
                    url="http://127.0.0.1:9/p95?max={{args.max_ms}}", json_path="data.p95"
                ),
                success_condition="result < 900",
            ),
        ),
    ),
    AnalysisTemplate(
        name="errors", metrics=(Metric(name="e", provider=BuiltinProvider(metric="error_rate")),)
    ),
)


def rollout(rollout_id: str = "r1", assistant: str = BOT, **changes: object) -> RolloutRecord:
    record = RolloutRecord(
        id=rollout_id,
        assistant=assistant,
        stable_version=1,
        canary_version=2,
        steps=STEPS,
        analysis=BackgroundAnalysis(templates=("errors",), args={"window": "5m"}, starting_step=1),
        templates={template.name: template for template in TEMPLATES},
        on_abort="stable",
        step_started_at=100.0,
        created_at=100.0,
        updated_at=100.0,
    )
    return record.model_copy(update=changes)


def event(record: RolloutRecord, action: str, at: float = 100.0, reason: str = "") -> RolloutEvent:
    return RolloutEvent(
        rollout_id=record.id,
        assistant=record.assistant,
        action=action,
        at=at,
        user="ana",
        host="ops-1",
        reason=reason,
        step_index=record.step_index,
        weight=record.weight,
    )


def start(store: SqlStore, rollout_id: str = "r1", assistant: str = BOT, **changes: object) -> RolloutRecord:
    record = rollout(rollout_id, assistant, **changes)
    return store.save_rollout(WS, record, event(record, "started"), expect_revision=None)


def advance(store: SqlStore, record: RolloutRecord, at: float, **changes: object) -> RolloutRecord:
    moved = record.model_copy(update={"updated_at": at, **changes})
    return store.save_rollout(WS, moved, event(moved, "step", at), expect_revision=record.revision)
