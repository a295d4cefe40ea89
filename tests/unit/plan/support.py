"""Hand-built desired, live and stored state for planner tests: no target, no store, no manifests."""

from __future__ import annotations

from typing import Any

from reconciler.model import labels
from reconciler.model.canonical import fingerprint
from reconciler.model.desired import Assistant, DesiredState, FunctionTool, Kind, ResourceKey
from reconciler.model.live import LiveAssistant, LiveState
from reconciler.model.specs import assistant_spec, behaviour_fingerprint
from reconciler.model.stored import InventoryRecord, StoredState, VersionRecord
from reconciler.plan import normalise
from reconciler.plan.definition import Plan
from reconciler.plan.planner import build_plan

WS = "local"
OWNER = labels.owner_value("tests", WS)
NAME = "Helper"

MEETING_PARAMS: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {"title": {"type": "string"}, "start": {"type": "string"}},
    "required": ["title", "start"],
}


def plan_for(desired: DesiredState, live: LiveState, stored: StoredState, **options: Any) -> Plan:
    """`build_plan` as this suite's workspace (owner `OWNER`) makes it."""
    return build_plan(desired, live, stored, owner=OWNER, **options)


def meeting(params: dict[str, Any] | None = None) -> FunctionTool:
    return FunctionTool(
        name="create_meeting", description="Book a meeting.", parameters=params or MEETING_PARAMS, strict=True
    )


def with_location(required: bool = True) -> dict[str, Any]:
    """MEETING_PARAMS plus a `location` property (required by default: a backward-breaking change)."""
    params = {
        **MEETING_PARAMS,
        "properties": {**MEETING_PARAMS["properties"], "location": {"type": "string"}},
    }
    if required:
        params["required"] = [*MEETING_PARAMS["required"], "location"]
    return params


def assistant(**overrides: Any) -> Assistant:
    fields: dict[str, Any] = {
        "name": NAME,
        "model": "gpt-4.1",
        "instructions": "Be brief.",
        "description": "Books meetings.",
        "functions": (meeting(),),
        "metadata": {"team": "tools"},
    }
    fields.update(overrides)
    return Assistant(**fields)


def live_assistant(
    desired: Assistant, platform_id: str, *, version: int | None = None, managed: bool = True
) -> LiveAssistant:
    """The assistant as the platform would return it after we created it from `desired`."""
    spec = assistant_spec(desired)
    metadata = dict(spec["metadata"])
    if managed:
        metadata = labels.with_labels(
            metadata,
            owner=OWNER,
            name=desired.name,
            fingerprint=behaviour_fingerprint(spec),
            version=str(version) if version is not None else None,
        )
    return LiveAssistant(
        id=platform_id,
        name=desired.name,
        model=spec["model"],
        instructions=spec["instructions"],
        description=spec["description"],
        tools=tuple(spec["tools"]),
        temperature=spec["temperature"],
        top_p=spec["top_p"],
        response_format=spec["response_format"],
        metadata=metadata,
        created_at=int(platform_id.rsplit("_", 1)[-1]) if platform_id[-1].isdigit() else 0,
    )


def assistant_record(live: LiveAssistant, *, protect: bool = False) -> InventoryRecord:
    spec = normalise.assistant_spec(live, {}, {})
    return InventoryRecord(
        key=ResourceKey(kind=Kind.ASSISTANT, name=live.metadata.get(labels.NAME, live.name or "")),
        platform_id=live.id,
        fingerprint=behaviour_fingerprint(spec),
        live_hash=fingerprint(spec),
        protect=protect,
        attributes={"spec": spec},
    )


def version(desired: Assistant, number: int, platform_id: str, parent: int | None = None) -> VersionRecord:
    return VersionRecord(
        assistant=desired.name,
        number=number,
        platform_id=platform_id,
        fingerprint=behaviour_fingerprint(assistant_spec(desired)),
        parent=parent,
    )
