"""Conversation migrations for people and pipelines: the dry run (`migrate plan`), a migration's status and
the live progress line (a bar with rate and ETA), in text and JSON."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from reconciler.model.moves import ItemStatus, MigrationRecord
from reconciler.threads.reports import MigrationPlan, RunResult, StatusReport
from reconciler.words import count as plural

__all__ = ["plan_json", "plan_text", "progress_line", "run_text", "status_json", "status_text"]

BAR_WIDTH = 30


def _when(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M:%SZ")


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def plan_text(plan: MigrationPlan) -> str:
    lines = [f"Migration of {plan.assistant}'s conversations to version {plan.to_version} ({plan.flavour}):"]
    if not plan.counts:
        lines.append("  No conversation to move: none is pinned to another version within the retention.")
        return "\n".join(lines)
    for version, count in plan.counts.items():
        lines.append(f"  from version {version}: {plural(count, 'conversation')}")
        for tool, path in plan.paths.get(version, {}).items():
            lines.append(f"      {tool}: {path}")
    if plan.flavour != "responses":
        lines.append(
            "  Threads move in place: each is labelled and pinned to the new version; runs in flight"
        )
        lines.append("  are waited for or cancelled (--active-runs).")
        return "\n".join(lines)
    lines.append(
        f"  Read {plural(plan.read, 'conversation')}: {plural(plan.function_calls, 'function call')}, "
        f"{plan.changed_calls} of them upcast; {plan.gone} gone from the platform."
    )
    for sample in plan.samples:
        lines.append(f"  sample {sample.conversation} item {sample.item} ({sample.tool}):")
        lines.append(f"      before {sample.before}")
        lines.append(f"      after  {sample.after}")
    if plan.failed:
        lines.append(f"  {plural(plan.failed, 'conversation')} would fail:")
        lines.extend(f"    {conversation}: {why}" for conversation, why in plan.failures)
    else:
        lines.append("  No conversation fails its upcast.")
    return "\n".join(lines)


def plan_json(plan: MigrationPlan) -> str:
    body: dict[str, Any] = {
        "format_version": "1.0",
        "assistant": plan.assistant,
        "to_version": plan.to_version,
        "flavour": plan.flavour,
        "conversations": {str(v): n for v, n in plan.counts.items()},
        "paths": {str(v): paths for v, paths in plan.paths.items()},
        "read": plan.read,
        "function_calls": plan.function_calls,
        "changed_calls": plan.changed_calls,
        "gone": plan.gone,
        "notes": list(plan.notes),
        "failed": plan.failed,
        "failures": [{"conversation": c, "error": e} for c, e in plan.failures],
        "samples": [
            {
                "conversation": s.conversation,
                "item": s.item,
                "tool": s.tool,
                "before": s.before,
                "after": s.after,
            }
            for s in plan.samples
        ],
    }
    return json.dumps(body, indent=2, sort_keys=True)


def progress_line(report: StatusReport) -> str:
    """`[#######.......]  412/1000  23.1/s  ETA 25s  (3 failed)`: one line, for a terminal's \\r."""
    progress = report.progress
    total = max(progress.migration.total, 1)
    done = progress.finished_items
    filled = round(BAR_WIDTH * done / total)
    failed = progress.counts[ItemStatus.FAILED]
    tail = f"  ({failed} failed)" if failed else ""
    if report.waiting:
        tail += f"  {report.waiting}"
    return (
        f"[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {done}/{progress.migration.total}  "
        f"{report.per_second:.1f}/s  ETA {_duration(report.eta_seconds)}{tail}"
    )


def _record_line(record: MigrationRecord) -> str:
    return (
        f"Migration {record.id} of {record.assistant} to version {record.to_version}: {record.status.value}"
        f" (started {_when(record.created_at)} by {record.by_user}@{record.by_host})"
    )


def status_text(report: StatusReport) -> str:
    progress = report.progress
    counts = progress.counts
    lines = [
        _record_line(progress.migration),
        f"  {counts[ItemStatus.DONE]} moved, {counts[ItemStatus.FAILED]} failed, "
        f"{counts[ItemStatus.SKIPPED]} skipped, {counts[ItemStatus.PENDING]} pending "
        f"of {progress.migration.total}",
    ]
    if progress.migration.status.value == "running":
        lines.append(f"  {progress_line(report)}")
    if progress.migration.message and progress.migration.status.value != "done":  # done: the counts above
        lines.append(f"  {progress.migration.message}")
    lines.extend(f"  failed {conversation}: {why}" for conversation, why in report.failures)
    return "\n".join(lines)


def status_json(report: StatusReport) -> str:
    record = report.progress.migration
    body = {
        "format_version": "1.0",
        "id": record.id,
        "assistant": record.assistant,
        "to_version": record.to_version,
        "status": record.status.value,
        "total": record.total,
        "counts": {status.value: n for status, n in report.progress.counts.items()},
        "per_second": round(report.per_second, 3),
        "eta_seconds": None if report.eta_seconds is None else round(report.eta_seconds, 1),
        "message": record.message,
        "created_at": record.created_at,
        "by": f"{record.by_user}@{record.by_host}",
        "options": record.options.model_dump(mode="json"),
        "failures": [{"conversation": c, "error": e} for c, e in report.failures],
    }
    return json.dumps(body, indent=2, sort_keys=True)


def run_text(result: RunResult) -> str:
    lines = [status_text(result.status)]
    if result.workflow_errors:
        lines.append("  Left pending after platform errors (a rerun of `migrate run` tries them again):")
        lines.extend(f"    {line}" for line in result.workflow_errors)
    for worker, held in result.held_elsewhere:
        lines.append(
            f"  {plural(held, 'conversation')} in the hands of worker {worker} did not move for a while; if "
            f"that worker is gone, `migrate run` (or `conversations worker`) with --worker-id {worker} "
            "resumes them."
        )
    if result.interrupted:
        lines.append("  Interrupted: a rerun of `migrate run` resumes the migration.")
    return "\n".join(lines)
