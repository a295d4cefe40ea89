"""Admin API: `/organization/projects` list/create/get/modify/archive, project and organization
`spend_alerts` CRUD + list, project and organization `spend_limit` get/update/delete.

Every route needs the admin key (checked in app.py) and shares the "admin" rate-limit group. The
project named by `config.project_id` always exists (created on first use, so a SQLite file keeps it).
"Archived projects cannot be used or updated" (archive-project's summary): modifying an archived project,
or writing its spend alerts or spend limit, is a 400; reading them still works.
"""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Request, Response

from reconciler.emulator.http import ApiError, body, json_response, new_id, paginate
from reconciler.emulator.router import Context, Handler, Router
from reconciler.emulator.storage import JSON

PROJECT = "organization.project"
RESIDENCIES = ("GLOBAL", "US_STORAGE_PROCESSING", "EU_STORAGE_PROCESSING")
ORG_PARENT = "organization"  # parent key of organization-level alerts and the organization's limit


def register(router: Router) -> None:
    def add(method: str, path: str, handler: Handler) -> None:
        router.add(method, f"/v1/organization{path}", handler, group="admin", admin=True)

    add("GET", "/projects", list_projects)
    add("POST", "/projects", create_project)
    add("GET", "/projects/<project_id>", get_project)
    add("POST", "/projects/<project_id>", modify_project)
    add("POST", "/projects/<project_id>/archive", archive_project)
    for prefix, scope in (("/projects/<project_id>", "project"), ("", "organization")):
        add("GET", f"{prefix}/spend_alerts", _scoped(scope, list_alerts))
        add("POST", f"{prefix}/spend_alerts", _scoped(scope, create_alert))
        add("GET", f"{prefix}/spend_alerts/<alert_id>", _scoped(scope, get_alert))
        add("POST", f"{prefix}/spend_alerts/<alert_id>", _scoped(scope, update_alert))
        add("DELETE", f"{prefix}/spend_alerts/<alert_id>", _scoped(scope, delete_alert))
        add("GET", f"{prefix}/spend_limit", _scoped(scope, get_limit))
        add("POST", f"{prefix}/spend_limit", _scoped(scope, update_limit))
        add("DELETE", f"{prefix}/spend_limit", _scoped(scope, delete_limit))


def _scoped(scope: str, handler: Handler) -> Handler:
    """Bind a spend handler to its scope: `project` (under a project that must exist) or `organization`."""

    def bound(ctx: Context, request: Request, project_id: str | None = None, **params: Any) -> Response:
        if project_id is not None:
            project = _project(ctx, project_id)
            if request.method != "GET":
                _refuse_archived(project)
        return handler(ctx, request, scope, project_id or ORG_PARENT, **params)

    return bound


# --- projects -------------------------------------------------------------------------------------


def _ensure_default(ctx: Context) -> None:
    with ctx.storage.atomic():
        if ctx.storage.get(PROJECT, ctx.config.project_id) is None:
            ctx.storage.insert(
                PROJECT, _new_project(ctx.config.project_id, "Default project", int(ctx.clock()))
            )


def _new_project(project_id: str, name: str, created_at: int) -> JSON:
    return {
        "id": project_id,
        "object": "organization.project",
        "name": name,
        "created_at": created_at,
        "archived_at": None,
        "status": "active",
        "external_key_id": None,
    }


def _project(ctx: Context, project_id: str) -> JSON:
    _ensure_default(ctx)
    project = ctx.storage.get(PROJECT, project_id)
    if project is None:
        raise ApiError(404, f"No project found with id '{project_id}'.", param="project_id")
    return project


def _refuse_archived(project: JSON) -> None:
    if project["archived_at"] is not None:
        raise ApiError(
            400,
            f"Project '{project['id']}' is archived; archived projects cannot be used or updated.",
            param="project_id",
        )


def list_projects(ctx: Context, request: Request) -> Response:
    _ensure_default(ctx)
    archived = request.args.get("include_archived", "false").lower() == "true"
    keep = None if archived else (lambda p: p["archived_at"] is None)
    return paginate(ctx.storage, request, PROJECT, keep=keep, default_order="asc", nullable_ids=True)


def create_project(ctx: Context, request: Request) -> Response:
    data = body(request)
    name = data.get("name")
    if not isinstance(name, str) or not name:
        raise ApiError(400, "Missing required parameter: 'name'.", param="name")
    project = _new_project(new_id("proj_"), name, int(ctx.clock()))
    _apply_project(project, data)
    ctx.storage.insert(PROJECT, project)
    return json_response(project)


def get_project(ctx: Context, request: Request, project_id: str) -> Response:
    return json_response(_project(ctx, project_id))


def modify_project(ctx: Context, request: Request, project_id: str) -> Response:
    data = body(request)
    with ctx.storage.atomic():
        project = _project(ctx, project_id)
        _refuse_archived(project)
        if "name" in data and data["name"] is not None:
            if not isinstance(data["name"], str) or not data["name"]:
                raise ApiError(400, "Invalid 'name': expected a non-empty string.", param="name")
            project["name"] = data["name"]
        _apply_project(project, data)
        ctx.storage.put(PROJECT, project)
    return json_response(project)


def archive_project(ctx: Context, request: Request, project_id: str) -> Response:
    with ctx.storage.atomic():
        project = _project(ctx, project_id)
        if project["archived_at"] is None:
            project.update(archived_at=int(ctx.clock()), status="archived")
            ctx.storage.put(PROJECT, project)
    return json_response(project)


def _apply_project(project: JSON, data: JSON) -> None:
    if "external_key_id" in data:
        project["external_key_id"] = data["external_key_id"]
    residency = data.get("residency")
    if residency is not None:
        if residency not in RESIDENCIES:
            raise ApiError(400, f"Invalid value for 'residency': '{residency}'.", param="residency")
        project["residency"] = residency


# --- spend alerts ---------------------------------------------------------------------------------


def _alert_kind(scope: str) -> str:
    return f"{scope}.spend_alert"


def list_alerts(ctx: Context, request: Request, scope: str, parent: str) -> Response:
    # Spend-alert lists default to ascending order and allow null first/last ids on an empty page.
    return paginate(
        ctx.storage, request, _alert_kind(scope), parent=parent, default_order="asc", nullable_ids=True
    )


def create_alert(ctx: Context, request: Request, scope: str, parent: str) -> Response:
    alert = {"id": new_id("spa_"), "object": _alert_kind(scope), **_alert_fields(body(request))}
    ctx.storage.insert(_alert_kind(scope), alert, parent=parent)
    return json_response(alert)


def get_alert(ctx: Context, request: Request, scope: str, parent: str, alert_id: str) -> Response:
    return json_response(_alert(ctx, scope, parent, alert_id))


def update_alert(ctx: Context, request: Request, scope: str, parent: str, alert_id: str) -> Response:
    fields = _alert_fields(body(request))
    with ctx.storage.atomic():
        alert = _alert(ctx, scope, parent, alert_id)
        alert.update(fields)
        ctx.storage.put(_alert_kind(scope), alert, parent=parent)
    return json_response(alert)


def delete_alert(ctx: Context, request: Request, scope: str, parent: str, alert_id: str) -> Response:
    if not ctx.storage.delete(_alert_kind(scope), alert_id, parent=parent):
        raise ApiError(404, f"No spend alert found with id '{alert_id}'.", param="alert_id")
    return json_response({"id": alert_id, "object": f"{_alert_kind(scope)}.deleted", "deleted": True})


def _alert(ctx: Context, scope: str, parent: str, alert_id: str) -> JSON:
    alert = ctx.storage.get(_alert_kind(scope), alert_id, parent=parent)
    if alert is None:
        raise ApiError(404, f"No spend alert found with id '{alert_id}'.", param="alert_id")
    return alert


def _alert_fields(data: JSON) -> JSON:
    """CreateSpendAlertBody (also the update body): every field required."""
    fields = _money(data, minimum=0)
    channel = data.get("notification_channel")
    if not isinstance(channel, dict):
        raise ApiError(
            400, "Missing required parameter: 'notification_channel'.", param="notification_channel"
        )
    recipients = channel.get("recipients")
    if channel.get("type") != "email":
        raise ApiError(
            400, "Invalid 'notification_channel.type': expected 'email'.", param="notification_channel.type"
        )
    if not isinstance(recipients, list) or not all(isinstance(r, str) and "@" in r for r in recipients):
        raise ApiError(
            400,
            "Invalid 'notification_channel.recipients': expected email addresses.",
            param="notification_channel.recipients",
        )
    prefix = channel.get("subject_prefix")
    if prefix is not None and not isinstance(prefix, str):
        raise ApiError(
            400, "Invalid 'notification_channel.subject_prefix'.", param="notification_channel.subject_prefix"
        )
    fields["notification_channel"] = {
        "type": "email",
        "recipients": list(recipients),
        "subject_prefix": prefix,
    }
    return fields


def _money(data: JSON, *, minimum: int) -> JSON:
    amount = data.get("threshold_amount")
    if not isinstance(amount, int) or isinstance(amount, bool) or amount < minimum:
        raise ApiError(
            400, f"Invalid 'threshold_amount': expected an integer >= {minimum}.", param="threshold_amount"
        )
    if data.get("currency") != "USD":
        raise ApiError(400, "Invalid 'currency': expected 'USD'.", param="currency")
    if data.get("interval") != "month":
        raise ApiError(400, "Invalid 'interval': expected 'month'.", param="interval")
    return {"threshold_amount": amount, "currency": "USD", "interval": "month"}


# --- spend limits ---------------------------------------------------------------------------------


def _limit_kind(scope: str) -> str:
    return f"{scope}.spend_limit"


def _limit_id(parent: str) -> str:
    # Not the bare project id: Storage.delete(id) also drops children parented to that id (the alerts).
    return f"limit:{parent}"


def get_limit(ctx: Context, request: Request, scope: str, parent: str) -> Response:
    limit = ctx.storage.get(_limit_kind(scope), _limit_id(parent))
    if limit is None:
        raise ApiError(404, f"No spend limit is set for this {scope}.")
    return json_response(_limit_view(limit))


def update_limit(ctx: Context, request: Request, scope: str, parent: str) -> Response:
    # The hard limit takes threshold >= 1 (an alert may be 0).
    limit = {"id": _limit_id(parent), "object": _limit_kind(scope), **_money(body(request), minimum=1)}
    limit["enforcement"] = {"status": "enforcing"}
    with ctx.storage.atomic():
        if ctx.storage.get(_limit_kind(scope), _limit_id(parent)) is None:
            ctx.storage.insert(_limit_kind(scope), limit)
        else:
            ctx.storage.put(_limit_kind(scope), limit)
    return json_response(_limit_view(limit))


def delete_limit(ctx: Context, request: Request, scope: str, parent: str) -> Response:
    if not ctx.storage.delete(_limit_kind(scope), _limit_id(parent)):
        raise ApiError(404, f"No spend limit is set for this {scope}.")
    return json_response({"object": f"{_limit_kind(scope)}.deleted", "deleted": True})


def _limit_view(limit: JSON) -> JSON:
    """The resource has no id: the key it is stored under is the project (or the organization)."""
    return {k: v for k, v in limit.items() if k != "id"}
