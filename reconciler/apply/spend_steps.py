"""The spend-control steps (alerts and limits, through the Admin API): a mixin of `apply.steps.Steps`.

Spend alerts carry no metadata, so a create whose response was lost is found again by content, among the
alerts no inventory record (and no earlier step of this run) owns; creates of identical alerts run one
at a time, so two recoveries never race for the same alert.
"""

from __future__ import annotations

from collections.abc import Callable
from threading import Lock
from typing import Any

from reconciler.apply.outputs import Ids, StepOutput, inventory_record
from reconciler.apply.retry import Pacer
from reconciler.model.canonical import canonical_json
from reconciler.model.desired import Kind, ResourceKey
from reconciler.plan import normalise
from reconciler.plan.definition import Action, ResourceChange
from reconciler.targets.base import Target


class SpendSteps:
    """Create, update and delete spend alerts and the spend limit; every call is paced as an admin call."""

    target: Target
    pacer: Pacer
    ids: Ids
    known_ids: set[str]
    spec_locks: dict[str, Lock]

    def _call(
        self, fn: Callable[[], Any], *, admin: bool = False, recover: Callable[[], Any] | None = None
    ) -> Any:
        raise NotImplementedError  # `Steps._call`: retries, pacing and the look-up before a retry

    def _owned(self) -> set[str]:
        raise NotImplementedError  # `Steps._owned`: a copy of the platform ids already taken

    def _one_at_a_time(self, spec: dict[str, Any]) -> Lock:
        with self.ids.lock:
            return self.spec_locks.setdefault(canonical_json(spec), Lock())

    def _spendalert(self, change: ResourceChange) -> StepOutput:
        key = ResourceKey(kind=Kind.SPEND_ALERT, name=change.name)
        spec = change.spec or {}
        if change.action is Action.DELETE:
            scope = _scope_of(change)
            self._call(lambda: self.target.delete_spend_alert(change.platform_id or "", scope), admin=True)
            return StepOutput(change.platform_id, deletes=[(key, None)])
        if change.action is Action.CREATE:
            # Identical alerts are created one at a time: a lost create is found again by content, so two
            # in flight together could each find the other's, or both the same one.
            with self._one_at_a_time(spec):
                live = self._call(
                    lambda: self.target.create_spend_alert(spec),
                    admin=True,
                    recover=lambda: self._find_alert(spec),
                )
                with self.ids.lock:
                    self.known_ids.add(live.id)  # an identical alert's lost create must not find this one
        else:
            live = self._call(
                lambda: self.target.update_spend_alert(change.platform_id or "", spec), admin=True
            )
        live_spec = normalise.spend_alert_spec(live)
        return StepOutput(
            live.id, upserts=[inventory_record(Kind.SPEND_ALERT, change.name, live.id, change, live_spec)]
        )

    def _find_alert(self, spec: dict[str, Any]) -> Any:
        # Reading alerts lists the project's and the organization's: two admin requests.
        self.pacer.wait()
        self.pacer.wait()
        state = self.target.read([Kind.SPEND_ALERT])
        owned = self._owned()  # alerts have no label: the inventory's (and this run's) are taken
        for alert in state.spend_alerts.values():
            if alert.id not in owned and normalise.spend_alert_spec(alert) == spec:
                return alert
        return None

    def _spendlimit(self, change: ResourceChange) -> StepOutput:
        key = ResourceKey(kind=Kind.SPEND_LIMIT, name=change.name)
        if change.action is Action.DELETE:
            scope = change.platform_id or ""
            self._call(lambda: self.target.delete_spend_limit(scope), admin=True)
            return StepOutput(change.platform_id, deletes=[(key, None)])
        spec = change.spec or {}
        live = self._call(lambda: self.target.set_spend_limit(spec), admin=True)
        record = inventory_record(
            Kind.SPEND_LIMIT, change.name, live.scope, change, normalise.spend_limit_spec(live)
        )
        return StepOutput(live.scope, upserts=[record])


def _scope_of(change: ResourceChange) -> str:
    changes = {c.path: c.before for c in change.changes}
    scope = changes.get("scope")
    return str(scope) if scope else "organization"
