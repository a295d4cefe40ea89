"""`reconcile rollout status` as text and JSON: the rollout's steps (done, current, to come), the canary's
weight, its analysis runs with each measurement, conversations per version and the history of moves."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from reconciler.model.rollouts import (
    Measurement,
    RolloutRecord,
    RolloutStatus,
)
from reconciler.model.stored import RolloutView
from reconciler.redact import redact
from reconciler.render.escape import sanitize
from reconciler.rollout.canary import BACKGROUND

__all__ = ["progress_line", "status_json", "status_text"]


def _when(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M:%SZ")


def _clock(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%H:%M:%SZ")


def _state(record: RolloutRecord) -> str:
    total = len(record.steps)
    if record.status is RolloutStatus.SUCCEEDED:
        return f"succeeded: stable is version {record.canary_version}"
    if record.status is RolloutStatus.ABORTED:
        return f"aborted at step {min(record.step_index + 1, total)} of {total}: {record.message}"
    if record.status is RolloutStatus.SUPERSEDED:
        return "superseded by a newer version's rollout"
    if record.step_index >= total:
        return "all steps done: promoting"
    step = record.steps[record.step_index]
    text = f"{record.status.value}, step {record.step_index + 1} of {total}: {step.describe()}"
    if record.status is RolloutStatus.PAUSED and record.message:
        text += f" ({record.message})"
    return text


def _on_abort(record: RolloutRecord) -> str:
    return "move to stable" if record.on_abort == "stable" else "stay on the canary"


def _value(value: Mapping[str, float | None] | float | None) -> str:
    if value is None:
        return "-"
    if isinstance(value, Mapping):
        return " ".join(f"{k}={v:g}" if isinstance(v, float | int) else f"{k}=-" for k, v in value.items())
    return f"{value:g}"


def _measurement(m: Measurement) -> str:
    why = f" ({m.message})" if m.message else ""
    return f"      {_clock(m.at)}  {m.metric}  {m.phase.value}  {_value(m.value)}{why}"


def status_text(view: RolloutView) -> str:
    workspace, record, pointers, stop = view.workspace, view.record, view.pointers, view.stop
    runs, conversations, events = view.runs, view.conversations, view.events
    lines = [
        f"Rollout {record.id[:8]} of {record.assistant} in {workspace}: version {record.canary_version} "
        f"over stable version {record.stable_version}",
        f"  status:        {_state(record)}",
        f"  canary weight: {record.weight} % of new conversations",
        f"  on abort:      canary conversations {_on_abort(record)}",
        "  pointers:      " + (", ".join(f"{p} → {v}" for p, v in sorted(pointers.items())) or "-"),
        f"  started:       {_when(record.created_at)}",
    ]
    if stop is not None:
        lines.append(
            f"  STOPPED:       since {_when(stop.at)} by {stop.user}@{stop.host}: {stop.reason or '-'}"
        )
    lines.append("  steps:")
    for index, step in enumerate(record.steps):
        mark = "✔" if index < record.step_index else ("►" if index == record.step_index else " ")
        if index == record.step_index and not record.status.active:
            mark = "✘" if record.status is RolloutStatus.ABORTED else mark
        lines.append(f"    {mark} {index + 1}. {step.describe()}")
    if record.analysis is not None:
        lines.append(
            f"  background analysis: {', '.join(record.analysis.templates)} from step "
            f"{record.analysis.starting_step + 1}"
        )
    if runs:
        lines.append("  analysis:")
        for run in sorted(runs, key=lambda r: r.step_index):
            where = "background" if run.step_index == BACKGROUND else f"step {run.step_index + 1}"
            why = f": {run.message}" if run.message else ""
            lines.append(f"    {where} {', '.join(run.templates)}: {run.phase.value}{why}")
            lines.extend(_measurement(m) for m in run.measurements[-10:])
    counts = ", ".join(f"version {v}: {n}" for v, n in sorted(conversations.items())) or "none yet"
    lines.append(f"  conversations: {counts}")
    lines.append("  history:")
    for event in events:
        why = f": {event.reason}" if event.reason else ""
        lines.append(
            f"    {_when(event.at)}  {event.action} by {event.user}@{event.host} "
            f"(then at {_position(record, event.step_index)}, {event.weight} %){why}"
        )
    return redact(sanitize("\n".join(lines)))


def _position(record: RolloutRecord, index: int) -> str:
    return f"step {index + 1}" if index < len(record.steps) else "the end"


def status_json(view: RolloutView) -> str:
    document: dict[str, Any] = {
        "format_version": "1.0",
        "workspace": view.workspace,
        "rollout": view.record.model_dump(mode="json"),
        "analysis_runs": [r.model_dump(mode="json") for r in view.runs],
        "events": [e.model_dump(mode="json") for e in view.events],
        "conversations": {str(v): n for v, n in sorted(view.conversations.items())},
        "pointers": dict(sorted(view.pointers.items())),
        "stop": view.stop.model_dump(mode="json") if view.stop is not None else None,
    }
    # A template's webhook URL may carry a token in its query: blank what looks like a secret.
    return redact(json.dumps(document, indent=2, sort_keys=True))


def progress_line(record: RolloutRecord, moves: Sequence[str], waiting: str, now: float) -> str:
    """One `watch`/`step` line per rollout and pass: the moves made, then what it waits for."""
    head = f"{_clock(now)} {record.assistant} v{record.canary_version} {record.weight:>3} %"
    done = "".join(f"\n    {m}" for m in moves)
    return redact(sanitize(f"{head}  {_state(record)} — {waiting}{done}"))
