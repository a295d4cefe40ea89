"""What the plan says of canary rollouts: a new version of an assistant with `rollout: {strategy: canary}`
gets a `RolloutPlan` (apply then starts a rollout instead of moving `stable`), a manifest back on the stable
version during a rollout aborts it, and the notes every plan format shows for both.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from reconciler.model.desired import Assistant
from reconciler.model.rollouts import Rollout, RolloutRecord, describe_steps
from reconciler.model.stored import VersionRecord
from reconciler.plan.definition import Action, FieldChange, ResourceChange
from reconciler.plan.payloads import AssistantPayload, RolloutPlan, Verdict, VersionPlan

if TYPE_CHECKING:
    from reconciler.plan.versioning import Context

__all__ = [
    "ABORTED_NOTE",
    "aborted_warnings",
    "canary",
    "in_flight_note",
    "revert_during_rollout",
    "rollout_note",
    "stays_aborted",
]

ABORTED_NOTE = "canary aborted"  # how an assistant's plan note on an aborted canary begins
ROLLOUT_EDITED = "the manifest's rollout changed"  # said of a rollout edited while one is in flight


def revert_during_rollout(
    base: dict[str, Any],
    stable: VersionRecord,
    active: RolloutRecord,
    current_id: str,
    changes: tuple[FieldChange, ...],
    ctx: Context,
) -> ResourceChange:
    """The manifest is the stable version's again while another version rolls out: as Argo Rollouts
    does when a rollout's spec returns to its stable revision, apply aborts the rollout (new
    conversations go to stable at once; the canary's as `onAbort` says). Nothing is created."""
    return ResourceChange(
        **base,
        action=Action.UPDATE,
        reason=(
            f"the manifest equals stable version {stable.number}: the rollout of version "
            f"{active.canary_version} is aborted"
        ),
        platform_id=current_id,
        live_hash=ctx.live_hash(current_id),
        changes=changes,
        payload=AssistantPayload(
            version=VersionPlan(number=stable.number, parent=stable.parent, reuse=True, bundle=ctx.bundles),
            abort_rollout=active.id,
            metadata_changes=changes or None,
        ),
    )


def canary(
    assistant: Assistant, stable: int | None, verdict: Verdict, active: RolloutRecord | None, ctx: Context
) -> RolloutPlan | None:
    """A canary rollout when the manifest asks for one and a stable version serves meanwhile (the first
    version has nothing to be compared with: it serves at once). Unless the manifest says, an abort sends
    the canary's conversations back to stable only when the change is forward-compatible (the calls the
    canary made fit the stable version's schemas)."""
    if assistant.rollout.strategy != "canary" or stable is None:
        return None
    forward = all(tool.forward == "yes" for tool in verdict.tools.values())
    on_abort = assistant.rollout.on_abort or ("stable" if forward else "keep")
    names = assistant.rollout.template_names()
    return RolloutPlan(
        stable=stable,
        rollout=assistant.rollout,
        on_abort=on_abort,
        templates={n: ctx.templates[n] for n in names if n in ctx.templates},
        supersedes=active.id if active else None,
    )


def rollout_note(rollout: RolloutPlan | None, number: int) -> str | None:
    if rollout is None:
        return None
    superseding = f"; supersedes rollout {rollout.supersedes[:8]}" if rollout.supersedes else ""
    return (
        f"canary: stable stays on version {rollout.stable} while version {number} goes through "
        f"{describe_steps(rollout.rollout.steps)} (on abort: {rollout.on_abort}){superseding}"
    )


def in_flight_note(active: RolloutRecord, current: int | None, rollout: Rollout | None = None) -> str:
    """What a plan says of an assistant whose manifest the rollout in flight already ships. A manifest
    whose `rollout` (steps, background analysis, onAbort) changed since is said to apply next time: the
    rollout in flight keeps what it started with, as its record froze it."""
    if current != active.canary_version:
        return (
            f"the manifest equals stable version {current} while version {active.canary_version} is "
            f"rolling out: `reconcile rollout abort {active.assistant}` ends that rollout"
        )
    note = (
        f"version {active.canary_version} is rolling out over version {active.stable_version} "
        f"({active.status.value}, step {active.step_index + 1} of {len(active.steps)}, {active.weight} %)"
    )
    edited = rollout is not None and (
        rollout.steps != active.steps
        or rollout.analysis != active.analysis
        or (rollout.on_abort is not None and rollout.on_abort != active.on_abort)
    )
    if edited:
        note += f"; {ROLLOUT_EDITED}: it applies to the next version's rollout, this one keeps its own"
    return note


def stays_aborted(
    base: dict[str, Any], aborted: RolloutRecord, current_id: str, ctx: Context
) -> ResourceChange:
    """The manifest still describes the version whose canary was aborted: as in Argo Rollouts, it stays
    aborted until the manifest changes or an operator retries it; a plan does not start it again."""
    note = (
        f"{ABORTED_NOTE}: version {aborted.canary_version} ({aborted.message or 'aborted'}); stable "
        f"version {aborted.stable_version} serves. `reconcile rollout retry {aborted.assistant}` tries it "
        "again; a change to the manifest makes a new version"
    )
    return ResourceChange(
        **base,
        action=Action.NOOP,
        reason="the manifest's version was aborted in its canary",
        platform_id=current_id,
        live_hash=ctx.live_hash(current_id),
        payload=AssistantPayload(rollout_note=note),
    )


def aborted_warnings(changes: Sequence[ResourceChange]) -> list[str]:
    """A plan with nothing to do still says which assistants' manifests describe an aborted canary, or
    a rollout edited while one is in flight: "No changes" alone would read as "what the manifest says is
    what runs"."""
    found = []
    for change in changes:
        note = change.payload.rollout_note if isinstance(change.payload, AssistantPayload) else None
        if (
            change.action is Action.NOOP
            and note is not None
            and (note.startswith(ABORTED_NOTE) or ROLLOUT_EDITED in note)
        ):
            found.append(f"{change.name}: {note}")
    return found
