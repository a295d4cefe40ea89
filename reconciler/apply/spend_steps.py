"""The spend-control steps (alerts and limits, through the Admin API): `apply.steps.Steps` holds one and
points its table's spend kinds at it; the calls it sends go through the Steps' retries and pacing.

Spend alerts carry no metadata, so nothing on the platform says an alert is ours. What proves it is a
snapshot: before a wave creates alerts, the executor lists each scope once (`snapshot_alerts`) and journals
the ids that existed, with the spec, in each create's step record, before the call is sent. A create
whose response was lost (or whose process died) is then recovered only as the ONE alert equal to the spec
that appeared after the snapshot and that no inventory record, nor an earlier step of this run, owns.
None: the create is sent (again). Several: the step fails naming them, rather than guess which is a
hand-made twin. Identical alerts are created one at a time, each found and claimed before the next.

Deletes go to the scope the inventory recorded (the plan carries it), never a guessed one: a 404 there
means our alert is gone; a 404 at another scope meant nothing and left ours in place.

A spend limit is a singleton per scope (set, read and deleted by scope, no id): there is nothing to
duplicate or to take by mistake, and setting it again is idempotent, so it needs no recovery. Declaring a
limit for a scope takes over the scope's limit (the plan says so when one was set outside reconciler).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from functools import partial
from threading import Lock
from typing import Any

from reconciler.apply.outputs import Ids, StepOutput, inventory_record
from reconciler.calls.retry import Pacer
from reconciler.errors import PermanentPlatformError, StalePlan
from reconciler.model.canonical import canonical_json
from reconciler.model.desired import Kind, ResourceKey
from reconciler.model.live import LiveSpendAlert
from reconciler.plan import normalise
from reconciler.plan.definition import Action, ResourceChange
from reconciler.plan.payloads import SpendAlertPayload
from reconciler.targets.base import Target
from reconciler.targets.handlers import Ref, Write


class AmbiguousAlert(PermanentPlatformError):
    """A lost create cannot be told apart from identical alerts made elsewhere meanwhile."""


@dataclass(frozen=True)
class AlertCreate:
    """What an alert create's journal record holds before the call: the spec, and which alerts its scope
    held before (the ids of the snapshot). An alert is this create's only if it is not among them."""

    spec: Mapping[str, Any]
    before: frozenset[str]

    @property
    def scope(self) -> str:
        return str(self.spec["scope"])

    def detail(self) -> dict[str, object]:
        return {"action": "create", "spec": dict(self.spec), "before": sorted(self.before)}

    def same_spec(self, spec: Mapping[str, Any] | None) -> bool:
        return spec is not None and canonical_json(dict(self.spec)) == canonical_json(dict(spec))

    @classmethod
    def from_detail(cls, detail: Mapping[str, Any]) -> AlertCreate | None:
        """The create a journal record describes; None for other steps and for records written before
        snapshots were journalled (those prove nothing)."""
        spec, before = detail.get("spec"), detail.get("before")
        if not isinstance(spec, dict) or "scope" not in spec or not isinstance(before, list):
            return None
        return cls(spec=spec, before=frozenset(str(i) for i in before))


def is_alert_create(change: ResourceChange) -> bool:
    return change.kind is Kind.SPEND_ALERT and change.action is Action.CREATE


Call = Callable[..., Any]  # `Steps._call`: (fn, *, admin, recover) with retries, pacing and look-ups


@dataclass
class SpendSteps:
    """Create, update and delete spend alerts and the spend limit; every call is paced as an admin call."""

    target: Target
    pacer: Pacer
    ids: Ids
    call: Call
    owned: Callable[[], set[str]]  # a copy of the platform ids already taken
    claim: Callable[[str], None]  # take a platform id (the caller holds `ids.lock`)
    spec_locks: dict[str, Lock] = field(default_factory=dict)  # spend-alert spec -> its creates' lock
    # address -> the create a dead run journalled for it (this plan's, or an abandoned plan's equal one)
    interrupted_alerts: dict[str, AlertCreate] = field(default_factory=dict)
    alert_snapshots: dict[str, AlertCreate] = field(default_factory=dict)  # address -> this run's create
    alerts_listed: dict[str, list[LiveSpendAlert]] = field(default_factory=dict)  # scope -> the snapshot's

    def _call(
        self, fn: Callable[[], Any], *, admin: bool = False, recover: Callable[[], Any] | None = None
    ) -> Any:
        return self.call(fn, admin=admin, recover=recover)

    def _owned(self) -> set[str]:
        return self.owned()

    def _one_at_a_time(self, spec: Mapping[str, Any]) -> Lock:
        with self.ids.lock:
            return self.spec_locks.setdefault(canonical_json(dict(spec)), Lock())

    # ---- the snapshot --------------------------------------------------------------------------------

    def snapshot_alerts(self, changes: Collection[ResourceChange]) -> dict[str, dict[str, object]]:
        """Before a wave's alert creates are journalled: one listing per scope they create in (paced and
        retried), and, per create, the journal detail that proves which alert will be its own. A create a
        dead run started keeps that run's snapshot: its alert may already be on the platform."""
        creates = [c for c in changes if is_alert_create(c)]
        for scope in sorted({str((c.spec or {})["scope"]) for c in creates}):
            self.alerts_listed[scope] = self._call(
                partial(self.target.handlers[Kind.SPEND_ALERT].read_all, scope), admin=True
            )
        details: dict[str, dict[str, object]] = {}
        for change in creates:
            spec = change.spec or {}
            earlier = self.interrupted_alerts.get(change.step_key)
            if earlier is not None and earlier.same_spec(spec):
                create = AlertCreate(spec=spec, before=earlier.before)
            else:
                create = AlertCreate(
                    spec=spec, before=frozenset(a.id for a in self.alerts_listed[spec["scope"]])
                )
            self.alert_snapshots[change.step_key] = create
            details[change.step_key] = create.detail()
        return details

    # ---- alerts --------------------------------------------------------------------------------------

    def spend_alert(self, change: ResourceChange) -> StepOutput:
        key = ResourceKey(kind=Kind.SPEND_ALERT, name=change.name)
        spec = change.spec or {}
        if change.action is Action.DELETE:
            return self._delete_alert(change, key)
        if change.action is Action.CREATE:
            live = self._create_alert(change, spec)
        else:
            live = self._call(
                lambda: self.target.handlers[Kind.SPEND_ALERT].update(
                    Ref(change.platform_id or "", spec["scope"]), Write(spec)
                ),
                admin=True,
            )
        live_spec = normalise.spend_alert_spec(live)
        return StepOutput(
            live.id, upserts=[inventory_record(Kind.SPEND_ALERT, change.name, live.id, change, live_spec)]
        )

    def _create_alert(self, change: ResourceChange, spec: Mapping[str, Any]) -> LiveSpendAlert:
        # Identical alerts are created one at a time: two recoveries in flight together could each find
        # the other's alert, or both the same one.
        with self._one_at_a_time(spec):
            create = self.alert_snapshots.get(change.step_key)
            if create is None:  # a step run without the executor's snapshot takes its own
                listed = self._call(
                    lambda: self.target.handlers[Kind.SPEND_ALERT].read_all(spec["scope"]), admin=True
                )
                create = AlertCreate(spec=spec, before=frozenset(a.id for a in listed))
            live: LiveSpendAlert | None = None
            earlier = self.interrupted_alerts.get(change.step_key)
            if earlier is not None and earlier.same_spec(spec):
                # A dead run journalled this create: the snapshot's own listing shows whether it landed.
                live = self._new_alert(change, create, self.alerts_listed.get(create.scope))
            if live is None:
                live = self._call(
                    lambda: self.target.handlers[Kind.SPEND_ALERT].create(Write(spec)),
                    admin=True,
                    recover=lambda: self._new_alert(change, create),
                )
            assert live is not None
            with self.ids.lock:
                self.claim(live.id)  # an identical alert's lost create must not find this one
            return live

    def _new_alert(
        self, change: ResourceChange, create: AlertCreate, listed: list[LiveSpendAlert] | None = None
    ) -> LiveSpendAlert | None:
        """The one alert equal to the spec that appeared after the create's snapshot and nothing owns."""
        if listed is None:
            self.pacer.wait()  # a look-up is an admin call too (its retries come from the caller)
            listed = self.target.handlers[Kind.SPEND_ALERT].read_all(create.scope)
        owned = self._owned()
        new = sorted(
            (
                a
                for a in listed
                if a.id not in create.before
                and a.id not in owned
                and create.same_spec(normalise.spend_alert_spec(a))
            ),
            key=lambda a: a.id,
        )
        if len(new) > 1:
            raise AmbiguousAlert(
                f"{change.address}: the create's response was lost and {len(new)} identical alerts "
                f"appeared at {create.scope} since it was sent ({', '.join(a.id for a in new)}); alerts "
                "carry no label, so reconciler cannot tell which is its own and takes neither: delete the "
                "one not made by hand (or both) and apply again"
            )
        return new[0] if new else None

    def _delete_alert(self, change: ResourceChange, key: ResourceKey) -> StepOutput:
        scope = change.payload_as(SpendAlertPayload).scope
        if not scope:
            if change.live_hash is not None:
                # A plan that saw the alert but not where it lives (made before scopes were recorded).
                raise StalePlan(f"{change.address}: the plan does not say the alert's scope; plan again")
            return StepOutput(change.platform_id, deletes=[key], note="already gone")
        self._call(
            lambda: self.target.handlers[Kind.SPEND_ALERT].delete(Ref(change.platform_id or "", scope)),
            admin=True,
        )
        return StepOutput(change.platform_id, deletes=[key])

    # ---- limits --------------------------------------------------------------------------------------

    def spend_limit(self, change: ResourceChange) -> StepOutput:
        key = ResourceKey(kind=Kind.SPEND_LIMIT, name=change.name)
        if change.action is Action.DELETE:
            scope = change.platform_id or ""
            self._call(lambda: self.target.handlers[Kind.SPEND_LIMIT].delete(Ref(scope)), admin=True)
            return StepOutput(change.platform_id, deletes=[key])
        spec = change.spec or {}
        live = self._call(lambda: self.target.handlers[Kind.SPEND_LIMIT].create(Write(spec)), admin=True)
        record = inventory_record(
            Kind.SPEND_LIMIT, change.name, live.scope, change, normalise.spend_limit_spec(live)
        )
        return StepOutput(live.scope, upserts=[record])
