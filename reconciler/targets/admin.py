"""The Admin API handlers of the Assistants v2 target: project and organization spend alerts and limits.

Both use the target's SDK client, whose admin key may be missing: the spend calls then fail with one
clear line, the rest of the target does not. A spend alert is named by `Ref(id, parent=scope)`, a
spend limit by `Ref(scope)`; the scope is a project id or `organization`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import openai

from reconciler.errors import AuthenticationFailed, NotFound
from reconciler.model.desired import Kind
from reconciler.model.live import LiveSpendAlert, LiveSpendLimit
from reconciler.targets import wire
from reconciler.targets.errors import call
from reconciler.targets.handlers import Ref, Write
from reconciler.targets.paging import ignore_missing, walk

PAGE = 100  # the largest page the admin list endpoints accept
ORGANIZATION = "organization"


@dataclass(frozen=True)
class Admin:
    """The Admin API of one project's client."""

    client: openai.OpenAI
    project_id: str
    key_env: str

    def api(self) -> Any:
        if not self.client.admin_api_key:
            raise AuthenticationFailed(f"the target's admin key is not set: export {self.key_env}")
        return self.client.admin.organization

    @property
    def scopes(self) -> tuple[str, str]:
        return (self.project_id, ORGANIZATION)

    def warm(self) -> None:
        """Build the SDK's spend resources now, before a paced call takes its turn. The SDK builds (and
        imports) each on first access; in a busy interpreter that took 0.1 s or more between the turn and
        the send, so the platform's window saw the call later than our pacer did, and a call a window
        later met a 429 (`bench_admin_pacing`)."""
        if self.client.admin_api_key:
            org = self.client.admin.organization
            _ = (org.spend_alerts, org.spend_limit, org.projects.spend_alerts, org.projects.spend_limit)


class SpendAlertHandler:
    kind = Kind.SPEND_ALERT

    def __init__(self, admin: Admin) -> None:
        self.admin = admin

    def read_all(self, parent: str = "") -> list[LiveSpendAlert]:
        """The alerts of one scope (one listing), or of the project's and the organization's."""
        if not parent:
            return [a for scope in self.admin.scopes for a in self.read_all(scope)]
        api = self.admin.api()
        if parent == ORGANIZATION:
            what = "list organization spend alerts"
            pages = call(what, lambda: api.spend_alerts.list(limit=PAGE))
        else:
            what = "list project spend alerts"
            pages = call(what, lambda: api.projects.spend_alerts.list(parent, limit=PAGE))
        return [wire.live_spend_alert(a, parent) for a in walk(pages, what)]

    def get(self, ref: Ref) -> LiveSpendAlert:
        found = next((a for a in self.read_all(ref.parent) if a.id == ref.id), None)
        if found is None:
            raise NotFound(f"no spend alert {ref.id} at {ref.parent}", status=404)
        return found

    def create(self, write: Write) -> LiveSpendAlert:
        spec = write.spec
        api, params = self.admin.api(), wire.spend_alert_params(spec)
        if spec["scope"] == ORGANIZATION:
            raw = call("create organization spend alert", lambda: api.spend_alerts.create(**params))
        else:
            raw = call(
                "create project spend alert",
                lambda: api.projects.spend_alerts.create(spec["scope"], **params),
            )
        return wire.live_spend_alert(raw, spec["scope"])

    def update(self, ref: Ref, write: Write) -> LiveSpendAlert:
        spec = write.spec
        api, params = self.admin.api(), wire.spend_alert_params(spec)
        if spec["scope"] == ORGANIZATION:
            raw = call("update organization spend alert", lambda: api.spend_alerts.update(ref.id, **params))
        else:
            raw = call(
                "update project spend alert",
                lambda: api.projects.spend_alerts.update(ref.id, project_id=spec["scope"], **params),
            )
        return wire.live_spend_alert(raw, spec["scope"])

    def delete(self, ref: Ref) -> None:
        api = self.admin.api()
        if ref.parent == ORGANIZATION:
            ignore_missing(
                lambda: call("delete organization spend alert", lambda: api.spend_alerts.delete(ref.id))
            )
        else:
            ignore_missing(
                lambda: call(
                    "delete project spend alert",
                    lambda: api.projects.spend_alerts.delete(ref.id, project_id=ref.parent),
                )
            )

    def recover(self, write: Write) -> list[LiveSpendAlert]:
        # Alerts carry no labels: every alert of the scope; the caller's snapshot tells which is new.
        return self.read_all(str(write.spec["scope"]))


class SpendLimitHandler:
    kind = Kind.SPEND_LIMIT

    def __init__(self, admin: Admin) -> None:
        self.admin = admin

    def read_all(self, parent: str = "") -> list[LiveSpendLimit]:
        """The limits set, of one scope or of the project's and the organization's."""
        found = []
        for scope in (parent,) if parent else self.admin.scopes:
            try:
                found.append(self.get(Ref(scope)))
            except NotFound:
                continue
        return found

    def get(self, ref: Ref) -> LiveSpendLimit:
        api = self.admin.api()
        if ref.id == ORGANIZATION:
            raw = call("get organization spend limit", api.spend_limit.retrieve)
        else:
            raw = call("get project spend limit", lambda: api.projects.spend_limit.retrieve(ref.id))
        return wire.live_spend_limit(raw, ref.id)

    def create(self, write: Write) -> LiveSpendLimit:
        """Setting a limit: a scope has one, so creating and updating are the same call."""
        return self._set(write.spec)

    def update(self, ref: Ref, write: Write) -> LiveSpendLimit:
        return self._set(write.spec)

    def _set(self, spec: Mapping[str, Any]) -> LiveSpendLimit:
        api = self.admin.api()
        params = wire.spend_limit_params(spec)
        if spec["scope"] == ORGANIZATION:
            raw = call("set organization spend limit", lambda: api.spend_limit.update(**params))
        else:
            raw = call(
                "set project spend limit", lambda: api.projects.spend_limit.update(spec["scope"], **params)
            )
        return wire.live_spend_limit(raw, spec["scope"])

    def delete(self, ref: Ref) -> None:
        api = self.admin.api()
        if ref.id == ORGANIZATION:
            ignore_missing(lambda: call("delete organization spend limit", api.spend_limit.delete))
        else:
            ignore_missing(
                lambda: call("delete project spend limit", lambda: api.projects.spend_limit.delete(ref.id))
            )

    def recover(self, write: Write) -> list[LiveSpendLimit]:
        return self.read_all(str(write.spec["scope"]))
