"""The planner: desired, live and stored state in; an immutable Plan out. Pure: no I/O, no clock.

For each resource it decides create | update | replace | delete | no-op and says why; it reports drift
(live objects changed outside the tool since the last apply) separately; and it refuses plans that would
delete a protected object or, without `allow_empty`, every managed object.

Ownership: only objects in the inventory are updated or deleted. An object labelled with our owner (this
project's workspace) but missing from the inventory (its create response was lost, or the state was reset)
is adopted rather than created twice; one labelled by another owner, or by hand without an owner, never
is. An inventory record whose platform object names another owner is a conflict: the plan stops.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from enum import Enum
from typing import Any

from reconciler.model import labels
from reconciler.model.canonical import fingerprint
from reconciler.model.desired import DesiredState, Kind, ResourceKey
from reconciler.model.live import LiveState
from reconciler.model.specs import spend_alert_spec, spend_limit_spec, vector_store_spec
from reconciler.model.stored import InventoryRecord, StoredState
from reconciler.plan import normalise, versioning
from reconciler.plan.canary_plan import aborted_warnings
from reconciler.plan.costs import estimate_costs
from reconciler.plan.definition import (
    STAGE_ORDER,
    Action,
    Drift,
    Plan,
    ResourceChange,
    Stage,
    owner_label_changes,
    setting_changes,
    settings_reason,
)
from reconciler.plan.diff import field_changes
from reconciler.plan.files import plan_attachments, plan_uploads
from reconciler.plan.payloads import PAYLOADS, AssistantPayload, Payload, SpendAlertPayload
from reconciler.plan.prepare import Names, Prepared
from reconciler.plan.safety import refuse_foreign, refuse_unsafe
from reconciler.plan.spend import recorded_scope, spend_warnings
from reconciler.plan.unowned import unowned_warnings

LiveSpec = dict[str, Any]


class Adoption(Enum):
    """Which live object missing from the inventory a desired one takes, instead of creating another."""

    LABEL = "label"  # the oldest carrying our owner label and this name (assistants, vector stores)
    NEVER = "never"  # none: without metadata nothing proves an object is ours (spend alerts)
    SCOPE = "scope"  # the scope's own: a singleton per scope, keyed by it (spend limits)


def build_plan(
    desired: DesiredState,
    live: LiveState,
    stored: StoredState,
    *,
    allow_empty: bool = False,
    created_at: float = 0.0,
    prepared: Prepared | None = None,
    owner: str,
    bundles: bool = False,
    project_id: str | None = None,
) -> Plan:
    """`prepared` holds digests computed while the platform was read (`plan.prepare`); entries that do
    not match these inputs are recomputed, so it changes how long planning takes, never the plan.
    `owner` is our owner label's value (`model.labels.owner_value`): only objects carrying it are adopted.
    `bundles`: the target keeps assistant versions as release bundles in the store (the plan says so).
    `project_id`: the target's project, whose spend controls the cost estimate is held against."""
    records = {r.key: r for r in stored.inventory if r.key.kind is not Kind.VECTOR_STORE_FILE}
    refuse_foreign(live, stored, records, owner)
    names = Names.of(stored)
    if prepared is None:
        prepared = Prepared(names)
    elif prepared.names != names:
        prepared = Prepared(names, prepared.desired)  # live digests read ids through the names

    changes: list[ResourceChange] = []
    drift: list[Drift] = []
    store_ids: dict[str, str] = {}

    # Vector stores
    live_stores = {s.id: s for s in live.vector_stores.values()}
    store_chunking = {n: vector_store_spec(s)["chunking"] for n, s in desired.vector_stores.items()}
    # Which manifest a live store is: the state's record, else our label (labels predating owners count
    # for the stores the state records).
    store_names = {r.platform_id: k.name for k, r in records.items() if k.kind is Kind.VECTOR_STORE}
    for change in _plan_kind(
        Kind.VECTOR_STORE,
        Stage.VECTOR_STORES,
        {n: vector_store_spec(s) for n, s in desired.vector_stores.items()},
        {n: s.protect for n, s in desired.vector_stores.items()},
        records,
        {
            i: (
                s.metadata,
                normalise.vector_store_spec(
                    s,
                    store_chunking.get(
                        store_names.get(i) or _label(s.metadata, owner) or "", {"type": "auto"}
                    ),
                ),
            )
            for i, s in live_stores.items()
        },
        drift,
        owner=owner,
    ):
        changes.append(change)
        if change.platform_id:
            store_ids[change.name] = change.platform_id

    uploads = plan_uploads(desired, stored, live, owner=owner, store_ids=store_ids)
    changes.extend(uploads)
    kept = {c.name: c.platform_id for c in uploads if c.action is Action.NOOP and c.platform_id}
    changes.extend(plan_attachments(desired, live, stored, store_ids, kept))

    # Assistants: versions, reuse and compatibility verdicts live in plan.versioning. Stores and uploads
    # adopted above are named too, so an adopted assistant's references read back as names, not ids.
    adopted = Names(
        stores={**{i: n for n, i in store_ids.items()}, **names.stores},
        files={**{i: p for p, i in kept.items() if i}, **names.files},
    )
    if adopted != prepared.names:
        prepared = Prepared(adopted, prepared.desired)
    changes.extend(_assistants(desired, live, stored, records, prepared, drift, owner, bundles))

    # Spend controls: alerts carry no metadata, so identity comes from the inventory alone (an equal
    # alert nothing records is never adopted); a limit is one per scope, so declaring it takes it over.
    live_alerts: dict[str, tuple[Mapping[str, str], LiveSpec]] = {
        i: ({}, normalise.spend_alert_spec(a)) for i, a in live.spend_alerts.items()
    }
    spend = _plan_kind(
        Kind.SPEND_ALERT,
        Stage.SPEND,
        {n: spend_alert_spec(a) for n, a in desired.spend_alerts.items()},
        {n: a.protect for n, a in desired.spend_alerts.items()},
        records,
        live_alerts,
        drift,
        adoption=Adoption.NEVER,
    )
    spend += _plan_kind(
        Kind.SPEND_LIMIT,
        Stage.SPEND,
        {n: spend_limit_spec(s) for n, s in desired.spend_limits.items()},
        {n: s.protect for n, s in desired.spend_limits.items()},
        records,
        {scope: ({}, normalise.spend_limit_spec(s)) for scope, s in live.spend_limits.items()},
        drift,
        adoption=Adoption.SCOPE,
    )
    changes.extend(spend)
    warnings = unowned_warnings(changes, live, stored) + spend_warnings(spend, live_alerts, stored.inventory)
    warnings += aborted_warnings(changes)

    refuse_unsafe(changes, records, allow_empty)
    order = {stage: i for i, stage in enumerate(STAGE_ORDER)}
    changes.sort(key=lambda c: (order[c.stage], str(c.address)))
    plan = Plan(
        workspace=stored.workspace,
        owner=owner,
        created_at=created_at,
        changes=tuple(changes),
        drift=tuple(drift),
        warnings=tuple(warnings),
    )
    same = frozenset(c.name for c in changes if c.kind is Kind.ASSISTANT and c.action is Action.NOOP)
    costs = estimate_costs(desired, live, stored, project_id=project_id, changes=plan.has_changes, same=same)
    return plan.model_copy(update={"costs": costs}).with_id()


def _assistants(
    desired: DesiredState,
    live: LiveState,
    stored: StoredState,
    records: Mapping[ResourceKey, InventoryRecord],
    prepared: Prepared,
    drift: list[Drift],
    owner: str,
    bundles: bool,
) -> list[ResourceChange]:
    named = {k.name: r for k, r in records.items() if k.kind is Kind.ASSISTANT}
    digests = {i: prepared.live_for(a) for i, a in live.assistants.items()}
    live_specs = {i: d.spec for i, d in digests.items()}
    ctx = versioning.Context.build(
        stored,
        live.assistants,
        live_specs,
        named,
        hashes={i: d.hash for i, d in digests.items()},
        owner=owner,
        bundles=bundles,
        templates=desired.analysis_templates,
    )
    out: list[ResourceChange] = []
    for name, assistant in sorted(desired.assistants.items()):
        rec = named.get(name)
        if rec is not None and rec.platform_id in live_specs:
            _note_drift(rec.key, rec, live_specs[rec.platform_id], drift, ctx.live_hash(rec.platform_id))
        out.append(versioning.plan_assistant(name, prepared.desired_for(name, assistant), ctx))
    for name, rec in sorted(named.items()):
        if name in desired.assistants:
            continue
        present = rec.platform_id in live_specs
        versions = sorted(
            v.platform_id
            for v in stored.versions
            if v.assistant == name and not v.deleted and v.platform_id in live_specs
        )
        out.append(
            ResourceChange(
                address=rec.key,
                kind=Kind.ASSISTANT,
                name=name,
                stage=Stage.ASSISTANTS,
                action=Action.DELETE,
                reason="removed from the manifests" + ("" if present else " (already gone)"),
                platform_id=rec.platform_id,
                live_hash=fingerprint(live_specs[rec.platform_id]) if present else None,
                changes=field_changes(live_specs[rec.platform_id], None) if present else (),
                protect=rec.protect,
                payload=AssistantPayload(versions=tuple(v for v in versions if v != rec.platform_id)),
            )
        )
    return out


def _label(metadata: Mapping[str, str], owner: str) -> str | None:
    """The name our label gives an object, when the label is this owner's."""
    return metadata.get(labels.NAME) if labels.is_ours(metadata, owner) else None


def _plan_kind(
    kind: Kind,
    stage: Stage,
    wanted: Mapping[str, dict[str, Any]],
    protect: Mapping[str, bool],
    records: Mapping[ResourceKey, InventoryRecord],
    live: Mapping[str, tuple[Mapping[str, str], LiveSpec]],
    drift: list[Drift],
    *,
    adoption: Adoption = Adoption.LABEL,
    owner: str = "",
) -> list[ResourceChange]:
    """Plan one kind. `live` maps platform id to (metadata, neutral spec)."""
    out: list[ResourceChange] = []
    kind_records = {k.name: r for k, r in records.items() if k.kind is kind}
    claimed = {r.platform_id for r in kind_records.values()}
    for name, spec in sorted(wanted.items()):
        address = ResourceKey(kind=kind, name=name)
        rec = kind_records.get(name)
        make: Callable[..., ResourceChange] = _change_factory(
            kind, stage, name, address, spec, protect.get(name, False)
        )
        if rec is not None and rec.platform_id in live:
            live_spec = live[rec.platform_id][1]
            _note_drift(address, rec, live_spec, drift)
            diff = field_changes(live_spec, spec)
            settings = setting_changes(rec.protect, protect.get(name, False))
            settings += owner_label_changes(live[rec.platform_id][0], owner)
            if diff or settings:
                reason = "manifest differs from the platform" if diff else settings_reason(settings)
                out.append(make(Action.UPDATE, reason, rec.platform_id, live_spec, diff + settings))
            else:
                out.append(make(Action.NOOP, "in sync", rec.platform_id, live_spec, ()))
            continue
        adoptable = _adoptable(name, spec, live, claimed, adoption, owner)
        if adoptable is not None:
            claimed.add(adoptable)
            live_spec = live[adoptable][1]
            diff = field_changes(live_spec, spec)
            reason = (
                "adopting an object we labelled that the inventory does not record (an interrupted apply?)"
                if adoption is Adoption.LABEL
                else "taking over the one spend limit of this scope, set outside reconciler"
            )
            action = Action.UPDATE if diff else Action.NOOP
            out.append(make(action, reason, adoptable, live_spec, diff, adopt=True))
            continue
        reason = (
            "not on the platform" if rec is None else f"recorded object {rec.platform_id} is gone; recreating"
        )
        out.append(make(Action.CREATE, reason, None, None, field_changes(None, spec)))
    for name, rec in sorted(kind_records.items()):
        if name in wanted:
            continue
        address = rec.key
        present = rec.platform_id in live
        if present:
            _note_drift(address, rec, live[rec.platform_id][1], drift)
        out.append(
            ResourceChange(
                address=address,
                kind=kind,
                name=name,
                stage=stage,
                action=Action.DELETE,
                reason="removed from the manifests"
                if present
                else "removed from the manifests (already gone)",
                platform_id=rec.platform_id,
                live_hash=fingerprint(live[rec.platform_id][1]) if present else None,
                changes=field_changes(live[rec.platform_id][1], None) if present else (),
                protect=rec.protect,
                payload=_where(kind, rec, live),
            )
        )
    return out


def _where(
    kind: Kind, rec: InventoryRecord, live: Mapping[str, tuple[Mapping[str, str], LiveSpec]]
) -> Payload:
    """What a delete needs beyond the id: an alert's scope (its id alone does not say where it lives)."""
    if kind is not Kind.SPEND_ALERT:
        return PAYLOADS[kind]()
    return SpendAlertPayload(scope=recorded_scope(rec, live))


def _change_factory(
    kind: Kind, stage: Stage, name: str, address: ResourceKey, spec: dict[str, Any], protect: bool
) -> Callable[..., ResourceChange]:
    def make(
        action: Action,
        reason: str,
        platform_id: str | None,
        live_spec: LiveSpec | None,
        changes: tuple[Any, ...],
        *,
        adopt: bool = False,
    ) -> ResourceChange:
        return ResourceChange(
            address=address,
            kind=kind,
            name=name,
            stage=stage,
            action=action,
            reason=reason,
            platform_id=platform_id,
            spec=spec,
            fingerprint=fingerprint(spec),
            live_hash=fingerprint(live_spec) if live_spec is not None else None,
            changes=changes,
            protect=protect,
            adopt=adopt,
        )

    return make


def _adoptable(
    name: str,
    spec: Mapping[str, Any],
    live: Mapping[str, tuple[Mapping[str, str], LiveSpec]],
    claimed: set[str],
    adoption: Adoption,
    owner: str,
) -> str | None:
    """The live object to adopt, if any. Duplicates beyond the first are left alone: they are not ours
    to delete."""
    if adoption is Adoption.SCOPE:
        scope = str(spec.get("scope"))
        return scope if scope in live and scope not in claimed else None
    if adoption is Adoption.NEVER:
        return None
    for platform_id, (metadata, _) in live.items():
        if platform_id not in claimed and _label(metadata, owner) == name:
            return platform_id
    return None


def _note_drift(
    address: ResourceKey,
    rec: InventoryRecord,
    live_spec: LiveSpec,
    drift: list[Drift],
    live_hash: str | None = None,
) -> None:
    if not rec.live_hash or (live_hash or fingerprint(live_spec)) == rec.live_hash:
        return
    applied = rec.applied_spec
    changes = field_changes(applied, live_spec) if applied is not None else ()
    drift.append(
        Drift(
            address=address,
            platform_id=rec.platform_id,
            reason="changed outside reconciler since the last apply",
            changes=changes,
        )
    )
