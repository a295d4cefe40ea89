"""The JSON Schema of a manifest document, generated from the spec models, for editors and `reconcile schema`.

One schema validates any document: the envelope (`apiVersion`, `kind`, `metadata.name`, `spec`) and, chosen
by `kind` with if/then, that kind's spec. yaml-language-server applies it to each document of a file.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic.json_schema import models_json_schema

from reconciler.manifest.spec_base import API_VERSION, NAME_PATTERN
from reconciler.manifest.specs import SPECS

SCHEMA_ID = "https://reconciler.dev/schemas/v1/manifest.schema.json"
DIALECT = "https://json-schema.org/draft/2020-12/schema"


def manifest_schema() -> dict[str, Any]:
    models = [(model, "validation") for model in SPECS.values()]
    refs, generated = models_json_schema(models, by_alias=True, ref_template="#/$defs/{model}")  # type: ignore[arg-type]
    defs: dict[str, Any] = generated.get("$defs", {})
    branches = [
        {
            "if": {"properties": {"kind": {"const": kind}}, "required": ["kind"]},
            "then": {"properties": {"spec": refs[(model, "validation")]}},
        }
        for kind, model in SPECS.items()
    ]
    return {
        "$schema": DIALECT,
        "$id": SCHEMA_ID,
        "title": "reconciler manifest document",
        "type": "object",
        "additionalProperties": False,
        "required": ["apiVersion", "kind", "metadata", "spec"],
        "properties": {
            "apiVersion": {"const": API_VERSION},
            "kind": {"enum": list(SPECS)},
            "metadata": {
                "type": "object",
                "additionalProperties": False,
                "required": ["name"],
                "properties": {"name": {"type": "string", "pattern": NAME_PATTERN}},
            },
            "spec": {"type": "object"},
        },
        "allOf": branches,
        "$defs": dict(sorted(defs.items())),
    }


def manifest_schema_text() -> str:
    """The schema as committed to `schemas/reconciler.schema.json` (stable key order, trailing newline)."""
    return json.dumps(manifest_schema(), indent=2) + "\n"
