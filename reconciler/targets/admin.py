"""The Admin API half of the Assistants v2 adapter: project and organization spend alerts and limits.

A mixin of `AssistantsV2Target`: it uses the adapter's SDK client (whose admin key may be missing: the
spend calls then fail with one clear line, the rest of the adapter does not) and its project id.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

import openai

from reconciler.errors import AuthenticationFailed, NotFound
from reconciler.model.live import LiveSpendAlert, LiveSpendLimit
from reconciler.targets import wire
from reconciler.targets.base import ReadRunner
from reconciler.targets.errors import call
from reconciler.targets.paging import ignore_missing, walk

PAGE = 100  # the largest page the admin list endpoints accept


class SpendControls:
    """Spend alerts and limits through the Admin API (project level, and organization level)."""

    client: openai.OpenAI
    project_id: str
    _admin_key_env: str

    # ---- reading -------------------------------------------------------------------------------------

    def _admin(self) -> Any:
        if not self.client.admin_api_key:
            raise AuthenticationFailed(f"the target's admin key is not set: export {self._admin_key_env}")
        return self.client.admin.organization

    def _list_spend_alerts(self, pool: ThreadPoolExecutor, run: ReadRunner) -> list[LiveSpendAlert]:
        admin = self._admin()

        def project_alerts() -> Iterable[Any]:
            what = "list project spend alerts"
            return walk(
                call(what, lambda: admin.projects.spend_alerts.list(self.project_id, limit=PAGE)), what
            )

        def org_alerts() -> Iterable[Any]:
            what = "list organization spend alerts"
            return walk(call(what, lambda: admin.spend_alerts.list(limit=PAGE)), what)

        project = pool.submit(run, project_alerts, admin=True)
        org = run(org_alerts, admin=True)
        return [wire.live_spend_alert(a, self.project_id) for a in project.result()] + [
            wire.live_spend_alert(a, "organization") for a in org
        ]

    def list_spend_alerts(self, scope: str) -> list[LiveSpendAlert]:
        admin = self._admin()
        if scope == "organization":
            what = "list organization spend alerts"
            pages = call(what, lambda: admin.spend_alerts.list(limit=PAGE))
        else:
            what = "list project spend alerts"
            pages = call(what, lambda: admin.projects.spend_alerts.list(scope, limit=PAGE))
        return [wire.live_spend_alert(a, scope) for a in walk(pages, what)]

    def _read_spend_limits(self, pool: ThreadPoolExecutor, run: ReadRunner) -> list[LiveSpendLimit]:
        admin = self._admin()

        def read(scope: str) -> LiveSpendLimit | None:
            try:
                if scope == "organization":
                    raw = call("get organization spend limit", admin.spend_limit.retrieve)
                else:
                    raw = call(
                        "get project spend limit",
                        lambda: admin.projects.spend_limit.retrieve(self.project_id),
                    )
            except NotFound:
                return None
            return wire.live_spend_limit(raw, scope)

        futures = [
            pool.submit(run, partial(read, scope), admin=True) for scope in (self.project_id, "organization")
        ]
        return [limit for f in futures if (limit := f.result()) is not None]

    # ---- writing -------------------------------------------------------------------------------------

    def create_spend_alert(self, spec: Mapping[str, Any]) -> LiveSpendAlert:
        admin, params = self._admin(), wire.spend_alert_params(spec)
        if spec["scope"] == "organization":
            raw = call("create organization spend alert", lambda: admin.spend_alerts.create(**params))
        else:
            raw = call(
                "create project spend alert",
                lambda: admin.projects.spend_alerts.create(spec["scope"], **params),
            )
        return wire.live_spend_alert(raw, spec["scope"])

    def update_spend_alert(self, alert_id: str, spec: Mapping[str, Any]) -> LiveSpendAlert:
        admin, params = self._admin(), wire.spend_alert_params(spec)
        if spec["scope"] == "organization":
            raw = call(
                "update organization spend alert", lambda: admin.spend_alerts.update(alert_id, **params)
            )
        else:
            raw = call(
                "update project spend alert",
                lambda: admin.projects.spend_alerts.update(alert_id, project_id=spec["scope"], **params),
            )
        return wire.live_spend_alert(raw, spec["scope"])

    def delete_spend_alert(self, alert_id: str, scope: str) -> None:
        admin = self._admin()
        if scope == "organization":
            ignore_missing(
                lambda: call("delete organization spend alert", lambda: admin.spend_alerts.delete(alert_id))
            )
        else:
            ignore_missing(
                lambda: call(
                    "delete project spend alert",
                    lambda: admin.projects.spend_alerts.delete(alert_id, project_id=scope),
                )
            )

    def set_spend_limit(self, spec: Mapping[str, Any]) -> LiveSpendLimit:
        admin = self._admin()
        params = {"threshold_amount": spec["amount_cents"], "currency": "USD", "interval": spec["interval"]}
        if spec["scope"] == "organization":
            raw = call("set organization spend limit", lambda: admin.spend_limit.update(**params))
        else:
            raw = call(
                "set project spend limit", lambda: admin.projects.spend_limit.update(spec["scope"], **params)
            )
        return wire.live_spend_limit(raw, spec["scope"])

    def delete_spend_limit(self, scope: str) -> None:
        admin = self._admin()
        if scope == "organization":
            ignore_missing(lambda: call("delete organization spend limit", admin.spend_limit.delete))
        else:
            ignore_missing(
                lambda: call("delete project spend limit", lambda: admin.projects.spend_limit.delete(scope))
            )
