"""A plan as machine-readable JSON with a `format_version`, and the JSON Schema that documents it.

The schema is built here, from the same enums the plan uses, and committed at schemas/plan.schema.json; a
test holds the committed file equal to `plan_json_schema()` and validates rendered fixtures against it, so
the document, its schema and docs/plan-format.md cannot drift apart silently.
"""

from __future__ import annotations

import json
import re
from typing import Any

from reconciler.plan.definition import (
    FORMAT_VERSION,
    SYMBOLS,
    Action,
    Drift,
    FieldChange,
    Plan,
    ResourceChange,
    Stage,
)
from reconciler.render.escape import INVISIBLE
from reconciler.render.plan_costs import cost_json, cost_schema

SCHEMA_ID = "https://github.com/reconciler/reconciler/schemas/plan.schema.json"
FIELD_KINDS = ("changed", "added", "removed")
VERDICT_ANSWERS = ("yes", "no", "unknown")


def _sorted(value: Any) -> Any:
    """User-shaped data (specs, values, attributes) with keys sorted, so equal plans give equal bytes."""
    if isinstance(value, dict):
        return {str(k): _sorted(value[k]) for k in sorted(value, key=str)}
    if isinstance(value, list | tuple):
        return [_sorted(item) for item in value]
    return value


def _field(fc: FieldChange) -> dict[str, Any]:
    return {"path": fc.path, "kind": fc.kind, "before": _sorted(fc.before), "after": _sorted(fc.after)}


def _change(change: ResourceChange) -> dict[str, Any]:
    return {
        "address": str(change.address),
        "kind": change.kind.value,
        "name": change.name,
        "stage": change.stage.value,
        "action": change.action.value,
        "symbol": change.symbol,
        "reason": change.reason,
        "platform_id": change.platform_id,
        "protect": change.protect,
        "adopt": change.adopt,
        "depends_on": [str(d) for d in change.depends_on],
        "fingerprint": change.fingerprint,
        "live_hash": change.live_hash,
        "changes": [_field(fc) for fc in change.changes],
        "spec": _sorted(change.spec),
        "attributes": _sorted(change.payload.model_dump(mode="json")),
    }


def _drift(entry: Drift) -> dict[str, Any]:
    return {
        "address": str(entry.address),
        "platform_id": entry.platform_id,
        "reason": entry.reason,
        "changes": [_field(fc) for fc in entry.changes],
    }


def plan_document(plan: Plan) -> dict[str, Any]:
    """The JSON document as Python data, keys in a fixed order (documented in docs/plan-format.md)."""
    summary = plan.summary
    return {
        "format_version": FORMAT_VERSION,
        "plan_id": plan.plan_id,
        "workspace": plan.workspace,
        "owner": plan.owner,
        "created_at": plan.created_at,
        "has_changes": plan.has_changes,
        "summary": {
            "create": summary.create,
            "update": summary.update,
            "replace": summary.replace,
            "delete": summary.delete,
            "adopt": summary.adopt,
            "noop": summary.noop,
            "drift": summary.drift,
            "changed": summary.changed,
        },
        "changes": [_change(c) for c in plan.changes],
        "drift": [_drift(d) for d in plan.drift],
        "warnings": list(plan.warnings),
        "costs": cost_json(plan.costs),
    }


def _json_escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    code -= 0x10000  # JSON spells a character beyond the BMP as a UTF-16 surrogate pair
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def render_json(plan: Plan) -> str:
    """The plan as indented JSON text ending in a newline; UTF-8 kept as is, except that control and
    invisible characters (bidi controls among them, see render.escape) are written as \\u escapes: the
    same data to a JSON parser, but nothing that reorders or hides text where the document is shown."""
    text = json.dumps(plan_document(plan), indent=2, ensure_ascii=False) + "\n"
    return INVISIBLE.sub(_json_escape, text)


# --- the schema -------------------------------------------------------------------------------------------


def _obj(properties: dict[str, Any], description: str, *, closed: bool = True) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "description": description}
    schema["required"] = list(properties)
    schema["properties"] = properties
    schema["additionalProperties"] = not closed
    return schema


def _str(description: str) -> dict[str, Any]:
    return {"type": "string", "description": description}


def _nullable_str(description: str) -> dict[str, Any]:
    return {"type": ["string", "null"], "description": description}


def _count(description: str) -> dict[str, Any]:
    return {"type": "integer", "minimum": 0, "description": description}


def _field_schema() -> dict[str, Any]:
    return _obj(
        {
            "path": _str(
                "Dotted path into the spec; list items by name: `tools[create_meeting].parameters`."
            ),
            "kind": {"enum": list(FIELD_KINDS), "description": "What happened to the field."},
            "before": {"description": "Value before (live); null when added."},
            "after": {"description": "Value after (desired); null when removed."},
        },
        "One field-level difference.",
    )


def _verdict_schema() -> dict[str, Any]:
    answer = {"enum": list(VERDICT_ANSWERS), "description": "`unknown` is treated as breaking."}
    finding = _obj(
        {
            "pointer": _str("JSON pointer into the tool's parameters schema."),
            "rule": _str("Rule id from the compatibility catalogue, e.g. OBJ-06."),
            "message": _str("Why the rule applies."),
        },
        "One reason behind a verdict.",
        closed=False,
    )
    tool = {
        "type": "object",
        "description": "Verdict for one tool.",
        "required": ["backward", "forward"],
        "properties": {
            "backward": {**answer, "description": "Caller-compatible: old arguments stay valid."},
            "forward": {**answer, "description": "Handler-compatible: the old handler accepts new calls."},
            "findings": {"type": "array", "items": finding},
        },
        "additionalProperties": True,
    }
    return {
        "type": "object",
        "description": "Tool-schema compatibility verdict of an assistant change (issue 5).",
        "required": ["tools", "policy", "satisfied"],
        "properties": {
            "tools": {"type": "object", "additionalProperties": tool, "description": "Keyed by tool name."},
            "policy": {"enum": ["backward", "forward", "full", "none"]},
            "satisfied": {"type": "boolean", "description": "Whether every tool meets the policy."},
            "accepted": _nullable_str("Why a violation is accepted (`acceptBreaking`), or null."),
            "breaking": {
                "type": "array",
                "description": "The findings that break the policy: what an acceptance is bound to.",
                "items": {
                    "type": "object",
                    "required": ["tool", "pointer", "rule"],
                    "properties": {
                        "tool": {"type": "string"},
                        "pointer": {"type": "string"},
                        "rule": {"type": "string"},
                    },
                },
            },
            "acceptance": {
                "type": "object",
                "description": "What apply records when `acceptBreaking` lets the change through.",
            },
            "acceptance_note": _str("Why the manifest's `acceptBreaking` does not cover this change."),
            "against": {
                "type": "array",
                "description": "Transitive compatibility: the new version judged against its parent and "
                "every version conversations seen within `conversations.retention` still use, by version. "
                "Absent when no version has live conversations.",
                "items": {
                    "type": "object",
                    "required": ["version", "conversations", "satisfied", "judged"],
                    "properties": {
                        "version": {"type": "integer", "minimum": 1},
                        "conversations": {
                            "type": "integer",
                            "minimum": 0,
                            "description": "Live conversations pinned to this version.",
                        },
                        "parent": {
                            "type": "boolean",
                            "description": "The parent version. Absent when false.",
                        },
                        "satisfied": {
                            "type": "boolean",
                            "description": "Whether the policy holds against it.",
                        },
                        "judged": {
                            "type": "boolean",
                            "description": "False when the version's tools were never recorded (not judged).",
                        },
                        "broken": {
                            "type": "object",
                            "description": "Tool name -> messages of the findings that break the policy.",
                            "additionalProperties": {"type": "array", "items": {"type": "string"}},
                        },
                    },
                    "additionalProperties": False,
                },
            },
        },
        "additionalProperties": True,
    }


def _version_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "description": "The assistant version this change creates or updates.",
        "required": ["number"],
        "properties": {
            "number": {"type": "integer", "minimum": 1},
            "parent": {"type": ["integer", "null"], "minimum": 1},
            "strategy": {"enum": ["immutable", "in-place", None]},
            "bundle": {
                "type": "boolean",
                "description": "A release bundle in the state store (a Responses-era target), not a "
                "platform assistant. Absent when false.",
            },
        },
        "additionalProperties": True,
    }


def _change_schema() -> dict[str, Any]:
    return _obj(
        {
            "address": _str("Unique in a plan: `Kind/name`, e.g. `VectorStoreFile/Policies/docs/rules.md`."),
            "kind": _str("Resource kind: Assistant, VectorStore, File, VectorStoreFile, SpendAlert, ..."),
            "name": _str("Name within the kind."),
            "stage": {"enum": [s.value for s in Stage], "description": "Dependency stage, in apply order."},
            "action": {"enum": [a.value for a in Action]},
            "symbol": {"enum": [SYMBOLS[a] for a in Action], "description": "As in the text output."},
            "reason": _str("Why the planner chose this action."),
            "platform_id": _nullable_str("Id of the live object, when there is one."),
            "protect": {"type": "boolean", "description": "`protect: true`: apply refuses to delete it."},
            "adopt": {"type": "boolean", "description": "A labelled object is taken into the inventory."},
            "depends_on": {"type": "array", "items": {"type": "string"}, "description": "Applied first."},
            "fingerprint": _nullable_str("Content fingerprint of the desired spec."),
            "live_hash": _nullable_str("Hash of the live object the plan saw; guards against stale plans."),
            "changes": {"type": "array", "items": {"$ref": "#/$defs/field_change"}},
            "spec": {"type": ["object", "null"], "description": "Neutral desired spec; null for deletes."},
            "attributes": {
                "type": "object",
                "description": "Planner extras; `verdict` and `version` have documented shapes.",
                "properties": {
                    "verdict": {"$ref": "#/$defs/verdict"},
                    "version": {"$ref": "#/$defs/version"},
                },
                "additionalProperties": True,
            },
        },
        "What the plan does to one resource, and why.",
    )


def plan_json_schema() -> dict[str, Any]:
    """JSON Schema (2020-12) of `render_json`'s output; committed as schemas/plan.schema.json."""
    counts = {
        name: _count(text)
        for name, text in (
            ("create", "Resources to add."),
            ("update", "Resources changed in place."),
            ("replace", "Resources destroyed and created again."),
            ("delete", "Resources to destroy."),
            (
                "adopt",
                "Objects taken into the inventory and otherwise unchanged (an adoption that also "
                "updates counts as an update).",
            ),
            ("noop", "Resources already up to date (adoptions not included)."),
            ("drift", "Objects changed outside reconciler since the last apply."),
            ("changed", "create + update + replace + delete + adopt."),
        )
    }
    document = _obj(
        {
            "format_version": {
                "const": FORMAT_VERSION,
                "description": "Bumped in its major part on any incompatible change to this document.",
            },
            "plan_id": _str("Content hash of the plan; equal plans share an id. Empty if not assigned."),
            "workspace": _str("Workspace (environment) the plan was made for."),
            "owner": _str(
                "Owner label (`project/workspace`) of the plan's objects; only objects with it are adopted."
            ),
            "created_at": {"type": "number", "description": "Unix time the plan was made."},
            "has_changes": {
                "type": "boolean",
                "description": "True when summary.changed > 0 (adoptions included).",
            },
            "summary": _obj(counts, "Counts per action."),
            "changes": {"type": "array", "items": {"$ref": "#/$defs/resource_change"}},
            "drift": {"type": "array", "items": {"$ref": "#/$defs/drift"}},
            "warnings": {"type": "array", "items": {"type": "string"}},
            "costs": cost_schema(),
        },
        "A reconciler plan, as written by `reconcile plan --format json`.",
    )
    # `costs` came within format 2.0: a plan saved before it has none, and is still a 2.0 document.
    document["required"].remove("costs")
    drift = _obj(
        {
            "address": _str("Address of the drifted resource."),
            "platform_id": _str("Id of the live object."),
            "reason": _str("What was noticed."),
            "changes": {"type": "array", "items": {"$ref": "#/$defs/field_change"}},
        },
        "A managed object changed outside reconciler since the last apply.",
    )
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "reconciler plan",
        **document,
        "$defs": {
            "resource_change": _change_schema(),
            "field_change": _field_schema(),
            "drift": drift,
            "verdict": _verdict_schema(),
            "version": _version_schema(),
        },
    }


def render_schema() -> str:
    """The schema as committed: indented JSON with a trailing newline."""
    return json.dumps(plan_json_schema(), indent=2, ensure_ascii=False) + "\n"
