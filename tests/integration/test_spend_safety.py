"""Spend alerts carry no label, so nothing but our own records and a snapshot taken before each create may
make an alert ours (issue 12, items 3 and 5): a deleted project alert is really deleted, at the scope the
inventory records; a hand-made alert equal to ours is never adopted, by the planner or by the recovery of a
lost create, even across a kill between the create and its journal record; and when a lost create cannot
be told from a hand-made twin, the apply says so instead of guessing. Checked through the real SDK."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import httpx2
import openai
import pytest

from reconciler.emulator import EmulatorApp, EmulatorConfig
from reconciler.emulator.faults import FaultConfig, FaultInjector
from reconciler.emulator.transport import EmulatorTransport, http_client
from reconciler.model.desired import Kind, ResourceKey
from reconciler.plan.definition import Action
from tests.integration.support import (
    FakeClock,
    apply_project,
    inventory,
    make_project,
    plan_project,
    transport,
)

pytestmark = pytest.mark.filterwarnings("ignore:deprecated:DeprecationWarning")

PROJECT = "proj_local"
ALERT = "SpendAlert/corporate-assist-monthly"
RETRY = {"maxAttempts": 40, "maxDelaySeconds": 60}
# The example's alert (manifests/spend.yaml) as the Admin API takes it.
EXAMPLE_ALERT: dict[str, Any] = {
    "threshold_amount": 10_000,
    "currency": "USD",
    "interval": "month",
    "notification_channel": {
        "type": "email",
        "recipients": ["finance-it@example.com"],
        "subject_prefix": "[CorporateAssist]",
    },
}


def _admin(app: EmulatorApp) -> openai.OpenAI:
    """Another user of the platform with the admin key: the person who makes alerts by hand."""
    return openai.OpenAI(
        api_key="sk-other-user",
        admin_api_key="sk-admin-by-hand",
        base_url="http://127.0.0.1/v1",
        http_client=http_client(app),
        max_retries=0,
    )


def _by_hand(app: EmulatorApp) -> str:
    client = _admin(app)
    try:
        return str(client.admin.organization.projects.spend_alerts.create(PROJECT, **EXAMPLE_ALERT).id)
    finally:
        client.close()


def _project_alerts(app: EmulatorApp) -> list[str]:
    client = _admin(app)
    try:
        return [a.id for a in client.admin.organization.projects.spend_alerts.list(PROJECT, limit=100)]
    finally:
        client.close()


def _recorded(root: Path, app: EmulatorApp) -> dict[str, str]:
    return {
        r.key.name: r.platform_id for r in inventory(root, transport(app)) if r.key.kind is Kind.SPEND_ALERT
    }


def _spend_project(tmp_path: Path) -> Path:
    return make_project(tmp_path / "project", spend=True, retry=RETRY)


def test_deleting_a_project_scoped_alert_deletes_it(tmp_path: Path, app: EmulatorApp) -> None:
    root = _spend_project(tmp_path)
    apply_project(root, transport(app))
    (ours,) = _project_alerts(app)
    (root / "manifests" / "spend.yaml").unlink()
    plan, report = apply_project(root, transport(app))
    assert plan.by_address()[ResourceKey.parse(ALERT)].action is Action.DELETE
    assert report is not None and report.ok
    assert ours not in _project_alerts(app)
    assert _recorded(root, app) == {}


def test_a_hand_made_identical_alert_is_never_adopted_nor_deleted(tmp_path: Path, app: EmulatorApp) -> None:
    hand = _by_hand(app)
    root = _spend_project(tmp_path)
    plan, report = apply_project(root, transport(app))
    change = plan.by_address()[ResourceKey.parse(ALERT)]
    assert change.action is Action.CREATE and not change.adopt
    assert any(hand in w and "identical" in w for w in plan.warnings), plan.warnings
    assert report is not None and report.ok
    ours = _recorded(root, app)["corporate-assist-monthly"]
    assert ours != hand and sorted(_project_alerts(app)) == sorted([hand, ours])
    assert not plan_project(root, transport(app)).has_changes

    (root / "manifests" / "spend.yaml").unlink()
    _, report = apply_project(root, transport(app))
    assert report is not None and report.ok
    assert _project_alerts(app) == [hand]


def _lossy_admin_writes(app: EmulatorApp, clock: FakeClock) -> None:
    app.faults = FaultInjector(
        FaultConfig(seed=7, lost_rate=1.0, only=("admin",), writes_only=True),
        clock=clock.time,
        sleep=clock.sleep,
    )


def test_a_lost_create_is_never_recovered_as_a_hand_made_alert(tmp_path: Path) -> None:
    clock = FakeClock()
    app = EmulatorApp(EmulatorConfig())
    try:
        hand = _by_hand(app)
        root = _spend_project(tmp_path)
        _lossy_admin_writes(app, clock)
        _, report = apply_project(root, transport(app), sleep=clock.sleep)
        assert report is not None and report.ok, [s.error for s in report.steps if s.error]
        assert report.retries > 0  # the create's response really was lost
        app.faults = FaultInjector(FaultConfig(), clock=clock.time, sleep=clock.sleep)
        ours = _recorded(root, app)["corporate-assist-monthly"]
        assert ours != hand
        assert sorted(_project_alerts(app)) == sorted([hand, ours])  # nothing orphaned, nothing doubled
    finally:
        app.close()


class _TwinAppears(EmulatorTransport):
    """While our create is in flight, someone makes an identical alert by hand; our response is lost."""

    def __init__(self, app: EmulatorApp) -> None:
        super().__init__(app)
        self.twins: list[str] = []

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        creating = request.method == "POST" and request.url.path.endswith(f"/projects/{PROJECT}/spend_alerts")
        if creating and not self.twins:
            self.twins.append(_by_hand(self.app))
        response = super().handle_request(request)
        if creating:
            raise httpx2.ReadError("connection lost after the request was handled", request=request)
        return response


def test_a_lost_create_with_a_twin_made_meanwhile_is_reported_not_guessed(
    tmp_path: Path, app: EmulatorApp
) -> None:
    root = _spend_project(tmp_path)
    twin = _TwinAppears(app)
    _, report = apply_project(root, twin)
    assert report is not None and not report.ok
    (failed,) = report.failed
    assert str(failed.address) == ALERT and failed.error is not None
    (hand,) = twin.twins
    mine = [a for a in _project_alerts(app) if a != hand]
    assert len(mine) == 1  # the create did land, once: the retry never sent it again
    assert hand in failed.error and mine[0] in failed.error and "\n" not in failed.error
    assert _recorded(root, app) == {}  # neither was taken


class Killed(BaseException):
    """The apply process died (not an Exception: nothing on the way up mistakes it for an error)."""


class _DiesAfterTheAlertCreate(EmulatorTransport):
    """The platform handles our alert create; the process dies before it learns the id."""

    def __init__(self, app: EmulatorApp) -> None:
        super().__init__(app)
        self.dead = False
        self._lock = threading.Lock()

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        if self.dead:
            raise Killed("the process is dead")
        response = super().handle_request(request)
        if request.method == "POST" and request.url.path.endswith("/spend_alerts"):
            with self._lock:
                self.dead = True
            raise Killed("killed between the create and its journal record")
        return response


@pytest.mark.parametrize("new_plan", [False, True], ids=["same-plan", "new-plan"])
def test_a_kill_after_the_create_neither_duplicates_nor_adopts_a_hand_made_alert(
    tmp_path: Path, app: EmulatorApp, new_plan: bool
) -> None:
    hand = _by_hand(app)
    root = _spend_project(tmp_path)
    with pytest.raises(Killed):
        apply_project(root, _DiesAfterTheAlertCreate(app))
    (lost,) = [a for a in _project_alerts(app) if a != hand]
    if new_plan:  # the rerun plans afresh: another change came in meanwhile
        manifest = root / "manifests" / "corporate-assist.yaml"
        text = manifest.read_text(encoding="utf-8")
        manifest.write_text(
            text.replace("drafts expense reports.", "drafts expense reports!"), encoding="utf-8"
        )
    _, report = apply_project(root, transport(app))
    assert report is not None and report.ok, [s.error for s in report.steps if s.error]
    assert _recorded(root, app) == {"corporate-assist-monthly": lost}
    assert sorted(_project_alerts(app)) == sorted([hand, lost])
    assert not plan_project(root, transport(app)).has_changes
