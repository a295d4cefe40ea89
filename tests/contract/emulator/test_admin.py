"""Admin API through the real SDK: projects, spend alerts and spend limits at both scopes, admin auth."""

from __future__ import annotations

import openai
import pytest

from reconciler.emulator import EmulatorApp
from tests.contract.emulator.conftest import ADMIN_KEY, ClientFactory, raw_json

PROJECT = "proj_local"
CHANNEL = {"type": "email", "recipients": ["ops@example.com"]}


def test_default_project_is_listed_and_retrievable(client: openai.OpenAI) -> None:
    projects = list(client.admin.organization.projects.list())
    assert [p.id for p in projects] == [PROJECT]
    assert client.admin.organization.projects.retrieve(PROJECT).object == "organization.project"
    with pytest.raises(openai.NotFoundError):
        client.admin.organization.projects.retrieve("proj_missing")


def test_project_create_update_archive(client: openai.OpenAI) -> None:
    created = client.admin.organization.projects.create(name="second")
    assert client.admin.organization.projects.update(created.id, name="renamed").name == "renamed"
    # The SDK has no archive method; its generic post sends the project key unless told otherwise.
    client.post(
        f"/organization/projects/{created.id}/archive",
        cast_to=object,
        options={"headers": {"Authorization": f"Bearer {ADMIN_KEY}"}},
    )
    assert created.id not in [p.id for p in client.admin.organization.projects.list()]
    assert created.id in [p.id for p in client.admin.organization.projects.list(include_archived=True)]


def test_project_spend_alert_crud(client: openai.OpenAI) -> None:
    alerts = client.admin.organization.projects.spend_alerts
    assert raw_json(alerts.with_raw_response.list(PROJECT))["first_id"] is None  # nullable on this list
    alert = alerts.create(
        PROJECT, threshold_amount=100, currency="USD", interval="month", notification_channel=CHANNEL
    )
    assert alert.object == "project.spend_alert"
    assert alerts.retrieve(alert.id, project_id=PROJECT).threshold_amount == 100
    updated = alerts.update(
        alert.id,
        project_id=PROJECT,
        threshold_amount=250,
        currency="USD",
        interval="month",
        notification_channel={**CHANNEL, "subject_prefix": "[spend]"},
    )
    assert updated.threshold_amount == 250
    assert [a.id for a in alerts.list(PROJECT)] == [alert.id]
    assert alerts.delete(alert.id, project_id=PROJECT).deleted is True
    with pytest.raises(openai.NotFoundError):
        alerts.retrieve(alert.id, project_id=PROJECT)


def test_organization_spend_alert_crud(client: openai.OpenAI) -> None:
    alerts = client.admin.organization.spend_alerts
    first = alerts.create(threshold_amount=10, currency="USD", interval="month", notification_channel=CHANNEL)
    second = alerts.create(
        threshold_amount=20, currency="USD", interval="month", notification_channel=CHANNEL
    )
    assert first.object == "organization.spend_alert"
    assert [a.id for a in alerts.list()] == [first.id, second.id]
    deleted = raw_json(alerts.with_raw_response.delete(first.id))
    assert deleted == {"id": first.id, "object": "organization.spend_alert.deleted", "deleted": True}
    assert [a.id for a in alerts.list()] == [second.id]


def test_spend_alert_body_is_checked(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError):
        client.admin.organization.spend_alerts.create(
            threshold_amount=10,
            currency="EUR",
            interval="month",
            notification_channel=CHANNEL,  # type: ignore[arg-type]
        )


def test_spend_limits_at_both_scopes(client: openai.OpenAI) -> None:
    project_limit = client.admin.organization.projects.spend_limit
    with pytest.raises(openai.NotFoundError):
        project_limit.retrieve(PROJECT)
    set_limit = raw_json(
        project_limit.with_raw_response.update(
            PROJECT, threshold_amount=500, currency="USD", interval="month"
        )
    )
    assert set_limit["enforcement"] == {"status": "enforcing"}  # an object, not a string
    assert set_limit["object"] == "project.spend_limit"
    assert project_limit.retrieve(PROJECT).threshold_amount == 500
    assert project_limit.delete(PROJECT).deleted is True

    org_limit = client.admin.organization.spend_limit
    org_limit.update(threshold_amount=1000, currency="USD", interval="month")
    assert org_limit.retrieve().object == "organization.spend_limit"
    assert raw_json(org_limit.with_raw_response.delete())["object"] == "organization.spend_limit.deleted"
    with pytest.raises(openai.NotFoundError):
        org_limit.retrieve()


def test_deleting_a_limit_keeps_the_alerts(client: openai.OpenAI) -> None:
    alerts = client.admin.organization.projects.spend_alerts
    alert = alerts.create(
        PROJECT, threshold_amount=1, currency="USD", interval="month", notification_channel=CHANNEL
    )
    client.admin.organization.projects.spend_limit.update(
        PROJECT, threshold_amount=5, currency="USD", interval="month"
    )
    client.admin.organization.projects.spend_limit.delete(PROJECT)
    assert [a.id for a in alerts.list(PROJECT)] == [alert.id]


def test_admin_routes_refuse_a_project_key(
    make_client: ClientFactory, client: openai.OpenAI, app: EmulatorApp
) -> None:
    # The SDK sends admin_api_key on admin routes; a project key there must be refused.
    project_keyed = make_client(app=app, admin_api_key="sk-test")
    with pytest.raises(openai.AuthenticationError) as caught:
        project_keyed.admin.organization.projects.list()
    assert caught.value.status_code == 401
