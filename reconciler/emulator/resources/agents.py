"""The beta Agents API's reusable agents: `/agents` create/list, `/agents/{agent_id}` retrieve/update/delete
(the `openai` SDK's `client.beta.agents`; `Agent`, `AgentDeleted`, `SyncCursorPage[Agent]`).

The vendored spec has no `/agents` paths, so these routes are registered `in_spec=False` and each request
is checked here: against a schema written from the SDK's types (agent_schema), and for the
`OpenAI-Beta: agents=v1` header, which the SDK sends on every Agents call; a request without it is
the platform's 400 (`invalid_beta`), as the Assistants API answered a missing `assistants=v2`. Models
are checked like the Responses API's (catalog). Ids are `agent_` and 24 alphanumerics. Sessions,
environments, vaults and automations (`client.beta.agents.*`) are not served.
"""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Request, Response

from reconciler.emulator.http import ApiError, body, json_response, new_id, not_found, paginate
from reconciler.emulator.resources import agent_schema, rules
from reconciler.emulator.router import Context, Handler, Router
from reconciler.emulator.storage import JSON

KIND = "agent"
BETA = "agents=v1"


def register(router: Router) -> None:
    def add(method: str, path: str, handler: Handler) -> None:
        router.add(method, f"/v1/agents{path}", _beta(handler), group="agents", in_spec=False)

    add("POST", "", create_agent)
    add("GET", "", list_agents)
    add("GET", "/<agent_id>", get_agent)
    add("POST", "/<agent_id>", update_agent)
    add("DELETE", "/<agent_id>", delete_agent)


def _beta(handler: Handler) -> Handler:
    """Refuse a request whose `OpenAI-Beta` header does not opt in to `agents=v1`, before anything else."""

    def checked(ctx: Context, request: Request, **params: Any) -> Response:
        opted = [part.strip() for part in request.headers.get("OpenAI-Beta", "").split(",")]
        if BETA not in opted:
            raise ApiError(
                400,
                "You must provide the 'OpenAI-Beta' header to access the Agents API. Please try again by "
                f"setting the header 'OpenAI-Beta: {BETA}'.",
                code="invalid_beta",
            )
        return handler(ctx, request, **params)

    return checked


def create_agent(ctx: Context, request: Request) -> Response:
    data = body(request)
    agent_schema.check(data, create=True)
    rules.check_model(ctx, data["model"], assistants=False)
    now = int(ctx.clock())
    agent: JSON = {"id": new_id("agent_"), "object": "agent", "created_at": now, "updated_at": now}
    agent.update(agent_schema.defaults())
    agent_schema.apply(agent, data)
    ctx.storage.insert(KIND, agent)
    return json_response(agent)


def list_agents(ctx: Context, request: Request) -> Response:
    return paginate(ctx.storage, request, KIND)


def get_agent(ctx: Context, request: Request, agent_id: str) -> Response:
    return json_response(_load(ctx, agent_id))


def update_agent(ctx: Context, request: Request, agent_id: str) -> Response:
    data = body(request)
    agent_schema.check(data, create=False)
    if "model" in data:
        rules.check_model(ctx, data["model"], assistants=False)
    with ctx.storage.atomic():
        agent = _load(ctx, agent_id)
        agent_schema.apply(agent, data)
        agent["updated_at"] = int(ctx.clock())
        ctx.storage.put(KIND, agent)
    return json_response(agent)


def delete_agent(ctx: Context, request: Request, agent_id: str) -> Response:
    if not ctx.storage.delete(KIND, agent_id):
        raise not_found("agent", agent_id, param="agent_id")
    return json_response({"id": agent_id, "object": "agent.deleted", "deleted": True})


def _load(ctx: Context, agent_id: str) -> JSON:
    agent = ctx.storage.get(KIND, agent_id)
    if agent is None:
        raise not_found("agent", agent_id, param="agent_id")
    return agent
