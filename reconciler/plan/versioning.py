"""Planning assistants: immutable versions (SQLMesh-style snapshots) or in-place updates, with a
compatibility verdict on every tool-schema change.

With `versioning: immutable` a behaviour change (model, instructions, tools, resources, sampling) creates
version N+1 as a new platform assistant and leaves N intact; a change of name, description or metadata
only updates the current version in place; a behaviour equal to an existing version reuses it (reverting a
manifest returns to that version). The stable version is the one the `stable` pointer holds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from reconciler.model import labels
from reconciler.model.desired import Assistant, BreakingFinding, Kind, ResourceKey
from reconciler.model.interning import spec_fingerprint
from reconciler.model.live import LiveAssistant
from reconciler.model.rollouts import AnalysisTemplate
from reconciler.model.specs import behaviour_fingerprint
from reconciler.model.stored import InventoryRecord, StoredState, VersionRecord
from reconciler.plan import acceptance
from reconciler.plan.acceptance import prior_acceptances
from reconciler.plan.canary_plan import (
    canary,
    in_flight_note,
    revert_during_rollout,
    rollout_note,
    stays_aborted,
)
from reconciler.plan.definition import (
    Action,
    FieldChange,
    ResourceChange,
    Stage,
    owner_label_changes,
    setting_changes,
    settings_reason,
)
from reconciler.plan.diff import field_changes
from reconciler.plan.payloads import (
    AssistantPayload,
    Finding,
    KeptLabels,
    RolloutPlan,
    ToolVerdict,
    Verdict,
    VersionPlan,
)
from reconciler.plan.prepare import DesiredDigest
from reconciler.plan.transitive import function_tools, judge_live_versions

STABLE = "stable"


@dataclass(frozen=True)
class Context:
    stored: StoredState
    live: Mapping[str, LiveAssistant]
    live_specs: Mapping[str, dict[str, Any]]
    records: Mapping[str, InventoryRecord]  # assistant name -> inventory record (the stable object)
    versions: Mapping[str, list[VersionRecord]] = field(default_factory=dict)  # by assistant, not deleted
    _hashes: dict[str, str] = field(default_factory=dict)  # live spec fingerprints, computed once
    owner: str = ""  # our owner label: only assistants carrying it are adopted
    # Highest version number per assistant, deleted ones included: numbers are never reused, also after
    # gc or a destroy deleted the newest versions.
    last_numbers: Mapping[str, int] = field(default_factory=dict)
    bundles: bool = False  # versions are release bundles in the store, not platform assistants
    templates: Mapping[str, AnalysisTemplate] = field(default_factory=dict)  # the project's analysis

    def next_number(self, name: str) -> int:
        return self.last_numbers.get(name, 0) + 1

    def live_hash(self, platform_id: str) -> str:
        """Fingerprint of a live assistant's spec; drift and the plan's live_hash share it."""
        known = self._hashes.get(platform_id)
        if known is None:
            known = self._hashes[platform_id] = spec_fingerprint(self.live_specs[platform_id])
        return known

    @classmethod
    def build(
        cls,
        stored: StoredState,
        live: Mapping[str, LiveAssistant],
        live_specs: Mapping[str, dict[str, Any]],
        records: Mapping[str, InventoryRecord],
        *,
        hashes: Mapping[str, str] | None = None,
        owner: str = "",
        bundles: bool = False,
        templates: Mapping[str, AnalysisTemplate] | None = None,
    ) -> Context:
        # Indexed once: scanning every version per assistant made a 1,000-assistant plan quadratic.
        versions: dict[str, list[VersionRecord]] = {}
        last: dict[str, int] = {}
        for version in stored.versions:
            last[version.assistant] = max(last.get(version.assistant, 0), version.number)
            if not version.deleted:
                versions.setdefault(version.assistant, []).append(version)
        return cls(
            stored,
            live,
            live_specs,
            records,
            versions,
            dict(hashes or {}),
            owner=owner,
            last_numbers=last,
            bundles=bundles,
            templates=dict(templates or {}),
        )


def plan_assistant(name: str, digest: DesiredDigest, ctx: Context) -> ResourceChange:
    """Plan one desired assistant; `digest` is its spec and behaviour fingerprint (`plan.prepare`)."""
    assistant, spec, behaviour = digest.source, digest.spec, digest.behaviour
    versions = ctx.versions.get(name, [])
    stable_number = ctx.stored.pointers.get(name, {}).get(STABLE)
    stable = next((v for v in versions if v.number == stable_number), None)
    active = ctx.stored.rollouts.get(name)
    in_flight = next((v for v in versions if active and v.number == active.canary_version), None)
    if (
        in_flight is not None
        and in_flight.fingerprint == behaviour
        and in_flight.platform_id in ctx.live_specs
    ):
        stable = in_flight  # the rollout in flight ships this behaviour: the manifest is compared with it
    rec = ctx.records.get(name)
    # protect lives only in the store: a change to it is a change even when the platform is in sync.
    settings = setting_changes(rec.protect if rec else None, assistant.protect)
    current_id = stable.platform_id if stable else (rec.platform_id if rec else None)
    current_spec = ctx.live_specs.get(current_id) if current_id else None
    if current_id is not None and current_id in ctx.live:
        settings += owner_label_changes(ctx.live[current_id].metadata, ctx.owner)
    base = {
        "address": ResourceKey(kind=Kind.ASSISTANT, name=name),
        "kind": Kind.ASSISTANT,
        "name": name,
        "stage": Stage.ASSISTANTS,
        "spec": spec,
        "fingerprint": behaviour,
        "protect": assistant.protect,
        "depends_on": _dependencies(assistant),
    }

    if assistant.versioning == "in-place":
        if current_spec is None:
            # Adopt before creating: a create whose response was lost left a labelled object behind.
            adopted = _labelled(name, behaviour, ctx)
            if adopted is None:
                return _create(base, spec, 1, None, None, assistant, in_place=True)
            return _adopt(base, spec, adopted, ctx, "a labelled assistant")
        assert current_id is not None  # current_spec was found under it
        diff = field_changes(current_spec, spec)
        action = Action.UPDATE if diff or settings else Action.NOOP
        reason = "manifest differs from the platform (versioning: in-place)" if diff else "in sync"
        return ResourceChange(
            **base,
            action=action,
            reason=reason if diff or not settings else settings_reason(settings),
            platform_id=current_id,
            live_hash=ctx.live_hash(current_id),
            changes=diff + settings,
        )

    if current_spec is None:
        adopted = _labelled(name, behaviour, ctx)
        if adopted is not None and stable is None:
            number = _label_number(ctx.live[adopted].metadata) or ctx.next_number(name)
            version = VersionPlan(number=number, parent=None, record=True, bundle=ctx.bundles)
            return _adopt(base, spec, adopted, ctx, "a labelled version", AssistantPayload(version=version))
        parent = stable.number if stable else None
        if ctx.bundles:
            reason = (
                "no version yet" if stable is None else f"version {parent}'s bundle is gone from the store"
            )
        else:
            reason = (
                "not on the platform"
                if stable is None
                else f"version {parent}'s object is gone from the platform"
            )
        return _create(base, spec, ctx.next_number(name), parent, None, assistant, reason=reason, ctx=ctx)

    assert (stable is not None or rec is not None) and current_id is not None
    current_behaviour = stable.fingerprint if stable else behaviour_fingerprint(current_spec)
    if behaviour == current_behaviour:
        diff = field_changes(current_spec, spec)
        if active is not None and stable is not None and active.canary_version != stable.number:
            return revert_during_rollout(base, stable, active, current_id, diff + settings, ctx)
        if not diff:
            return ResourceChange(
                **base,
                action=Action.UPDATE if settings else Action.NOOP,
                reason=settings_reason(settings) if settings else "in sync",
                platform_id=current_id,
                live_hash=ctx.live_hash(current_id),
                changes=settings,
                payload=AssistantPayload(
                    keep_labels=_kept_labels(ctx, current_id) if settings else None,
                    rollout_note=in_flight_note(active, stable.number if stable else None, assistant.rollout)
                    if active
                    else None,
                ),
            )
        behavioural = behaviour_fingerprint(current_spec) != behaviour
        reason = (
            "restoring the stable version to its recorded behaviour (it was changed outside reconciler)"
            if behavioural
            else "name, description or metadata changed: updated in place"
        )
        return ResourceChange(
            **base,
            action=Action.UPDATE,
            reason=reason,
            platform_id=current_id,
            live_hash=ctx.live_hash(current_id),
            changes=diff + settings,
            payload=AssistantPayload(keep_labels=_kept_labels(ctx, current_id)),
        )

    aborted = ctx.stored.aborted.get(name) if active is None else None
    if aborted is not None and stable is not None and stable.number == aborted.stable_version:
        gone = next((v for v in versions if v.number == aborted.canary_version), None)
        if gone is not None and gone.fingerprint == behaviour:
            return stays_aborted(base, aborted, current_id, ctx)
    parent = stable.number if stable else None
    verdict = _verdict(current_spec, spec, assistant, (current_behaviour, behaviour), ctx, parent)
    reuse = next(
        (v for v in versions if v.fingerprint == behaviour and v.platform_id in ctx.live_specs), None
    )
    if reuse is not None:
        target_spec = ctx.live_specs[reuse.platform_id]
        rollout = canary(assistant, parent, verdict, active, ctx)
        moving = "starting a canary of it" if rollout else "moving stable back to it"
        return ResourceChange(
            **base,
            action=Action.UPDATE,
            reason=f"behaviour equals version {reuse.number}: {moving}, nothing is created",
            platform_id=reuse.platform_id,
            live_hash=ctx.live_hash(reuse.platform_id),
            changes=field_changes(current_spec, spec) + settings,
            payload=AssistantPayload(
                version=VersionPlan(number=reuse.number, parent=reuse.parent, reuse=True, bundle=ctx.bundles),
                verdict=verdict,
                metadata_changes=field_changes(target_spec, spec),
                rollout=rollout,
                rollout_note=rollout_note(rollout, reuse.number),
            ),
        )
    interrupted = _labelled(name, behaviour, ctx)
    if interrupted is not None and ctx.live[interrupted].metadata.get(labels.FINGERPRINT) == behaviour:
        # This very version was created by an apply that died before recording it: take it, not a twin.
        number = _label_number(ctx.live[interrupted].metadata) or ctx.next_number(name)
        payload = AssistantPayload(
            version=VersionPlan(number=number, parent=parent, record=True, bundle=ctx.bundles),
            verdict=verdict,
        )
        return _adopt(base, spec, interrupted, ctx, f"version {number}, created but never recorded,", payload)
    return _create(
        base,
        spec,
        ctx.next_number(name),
        parent,
        verdict,
        assistant,
        changes=field_changes(current_spec, spec) + settings,
        ctx=ctx,
        rollout=canary(assistant, parent, verdict, active, ctx),
    )


def _create(
    base: dict[str, Any],
    spec: dict[str, Any],
    number: int,
    parent: int | None,
    verdict: Verdict | None,
    assistant: Assistant,
    *,
    in_place: bool = False,
    changes: tuple[FieldChange, ...] | None = None,
    reason: str | None = None,
    ctx: Context | None = None,
    rollout: RolloutPlan | None = None,
) -> ResourceChange:
    bundle = ctx is not None and ctx.bundles
    payload = AssistantPayload(
        version=None if in_place else VersionPlan(number=number, parent=parent, bundle=bundle),
        rollout=rollout,
        rollout_note=rollout_note(rollout, number),
        verdict=verdict,
    )
    if reason is None:
        reason = (
            "not on the platform"
            if parent is None
            else f"behaviour changed: version {number} (parent {parent})"
        )
    return ResourceChange(
        **base,
        action=Action.CREATE,
        reason=reason,
        changes=changes if changes is not None else field_changes(None, spec),
        payload=payload,
    )


def _adopt(
    base: dict[str, Any],
    spec: dict[str, Any],
    adopted: str,
    ctx: Context,
    what: str,
    payload: AssistantPayload | None = None,
) -> ResourceChange:
    """Take over a labelled object the inventory lacks (its create's response was lost) instead of
    creating it again; an update brings it to the manifest if it differs."""
    diff = field_changes(ctx.live_specs[adopted], spec)
    return ResourceChange(
        **base,
        action=Action.UPDATE if diff else Action.NOOP,
        reason=f"adopting {what} the state does not record (an interrupted apply?)",
        platform_id=adopted,
        live_hash=ctx.live_hash(adopted),
        changes=diff,
        adopt=True,
        payload=payload or AssistantPayload(),
    )


def _dependencies(assistant: Assistant) -> tuple[ResourceKey, ...]:
    deps = [ResourceKey(kind=Kind.VECTOR_STORE, name=n) for n in assistant.file_search_vector_stores]
    deps += [ResourceKey(kind=Kind.FILE, name=f.path) for f in assistant.code_interpreter_files]
    return tuple(sorted(deps))


def _labelled(name: str, behaviour: str, ctx: Context) -> str | None:
    """The oldest live assistant labelled as ours with this name, preferring one with this behaviour."""
    candidates = [
        a
        for a in ctx.live.values()
        if labels.is_ours(a.metadata, ctx.owner) and a.metadata.get(labels.NAME) == name
    ]
    claimed = {r.platform_id for r in ctx.records.values()} | {v.platform_id for v in ctx.stored.versions}
    candidates = [a for a in candidates if a.id not in claimed]
    candidates.sort(key=lambda a: (a.metadata.get(labels.FINGERPRINT) != behaviour, a.created_at))
    return candidates[0].id if candidates else None


def _kept_labels(ctx: Context, platform_id: str) -> KeptLabels:
    """The version labels an update in place must send again: the platform replaces metadata whole."""
    live = ctx.live.get(platform_id)
    metadata = live.metadata if live is not None else {}
    wanted = {"version": labels.VERSION, "parent": labels.PARENT}
    return KeptLabels(**{arg: metadata[key] for arg, key in wanted.items() if key in metadata})


def _label_number(metadata: Mapping[str, str]) -> int | None:
    value = metadata.get(labels.VERSION, "")
    return int(value) if value.isdigit() else None


def _verdict(
    old_spec: Mapping[str, Any],
    new_spec: Mapping[str, Any],
    assistant: Assistant,
    change: tuple[str, str],
    ctx: Context,
    parent: int | None,
) -> Verdict:
    """Per-tool verdicts in both directions against the parent (`old_spec`), the policy judged against
    the parent and every version live conversations use (`plan.transitive`), and whether the policy, or
    an acceptBreaking bound to this change (`plan.acceptance`), lets the change through. `change` is the
    behaviour fingerprints before and after."""
    policy = assistant.compatibility
    # Imported when a version changes: a plan without one never loads the classifier (~40 ms of start-up).
    from reconciler.schema.compat import classify_tools

    new_tools = function_tools(new_spec)
    verdicts = classify_tools(function_tools(old_spec), new_tools)
    tools: dict[str, ToolVerdict] = {}
    satisfied = True
    violations: list[str] = []
    breaking: list[BreakingFinding] = []
    parent_broken: dict[str, tuple[str, ...]] = {}
    for tool, verdict in sorted(verdicts.items()):
        if not verdict.findings and verdict.full:
            continue
        ok = verdict.satisfies(policy)
        satisfied = satisfied and ok
        if not ok:
            findings = verdict.breaking_findings(policy) or verdict.findings
            parent_broken[tool] = tuple(f.message for f in findings)
            for finding in findings:
                violations.append(f"tool {tool}: {finding}")
                breaking.append(BreakingFinding(tool=tool, pointer=finding.pointer, rule=finding.rule))
        tools[tool] = ToolVerdict(
            backward=verdict.backward.value,
            forward=verdict.forward.value,
            findings=tuple(
                Finding(
                    pointer=f.pointer,
                    rule=f.rule,
                    message=f.message,
                    backward=f.backward.value,
                    forward=f.forward.value,
                )
                for f in verdict.findings
            ),
        )
    live = judge_live_versions(
        new_tools,
        policy,
        parent=parent,
        parent_broken=parent_broken,
        live=ctx.stored.live_conversations.get(assistant.name, {}),
        versions={v.number: v for v in ctx.versions.get(assistant.name, [])},
        live_specs=ctx.live_specs,
    )
    # A breaking verdict against any live version needs an acceptance, as one against the parent does;
    # a finding the parent already broke is listed once.
    satisfied = satisfied and live.satisfied
    violations += live.violations
    breaking += [b for b in dict.fromkeys(live.breaking) if b not in breaking]
    stored = ctx.stored
    prior = prior_acceptances(stored, assistant.name) if breaking and assistant.accept_breaking else []
    judgement = acceptance.judge(assistant, breaking, change, prior)
    return Verdict(
        policy=policy,
        satisfied=satisfied,
        accepted=assistant.accept_breaking if judgement.accepted else None,
        tools=tools,
        violations=tuple(violations),
        breaking=tuple(breaking),
        acceptance=judgement.record,
        acceptance_note=judgement.note,
        against=live.against or None,
    )
