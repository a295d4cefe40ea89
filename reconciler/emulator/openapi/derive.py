"""Derives `requests.json` from the vendored spec: what request validation needs, and nothing else.

For every operation: its parameters and request body, and the `#/components/schemas` they reach by
`$ref`, transitively, with the documentation keys dropped. The emulator loads this compact file at start-up
instead of the 550 KB YAML (about 0.5 s to parse). Regenerate after changing the vendored spec:

    python -m reconciler.emulator.openapi.derive

`tests/unit/emulator/test_openapi_data.py` fails while the checked-in file differs from what this derives.
"""

from __future__ import annotations

import hashlib
import json
import sys
from typing import Any

import yaml

from reconciler.emulator.openapi import REQUESTS_FILE, SPEC_FILE

_COMPONENT = "#/components/schemas/"
# JSON Schema keywords whose value is one subschema, a list of them, or a name -> subschema map.
_ONE = frozenset({"items", "additionalProperties", "not", "contains", "propertyNames"})
_MANY = frozenset({"allOf", "anyOf", "oneOf", "prefixItems"})
_NAMED = frozenset({"properties", "patternProperties"})
_ASSERTIONS = frozenset(
    {
        "$ref", "type", "enum", "const", "required", "minimum", "maximum", "exclusiveMinimum",
        "exclusiveMaximum", "multipleOf", "minLength", "maxLength", "pattern", "minItems", "maxItems",
        "uniqueItems", "minProperties", "maxProperties", "format",
    }
)  # fmt: skip
# Keys that change nothing about which instances validate (the spec's discriminators only restate what
# each oneOf branch's `enum` already decides). `format` is kept: the validator asserts `uri` (an image's
# `url: ""` was stored and echoed in a message that then broke the spec), and ignores the others.
_ANNOTATIONS = frozenset(
    {"description", "title", "example", "examples", "default", "deprecated", "discriminator",
     "readOnly", "writeOnly", "externalDocs", "xml"}
)  # fmt: skip
_METHODS = ("get", "post", "delete")


_SAFE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C loader when built with libyaml


def load_spec(spec_bytes: bytes) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.load(spec_bytes, Loader=_SAFE_LOADER)  # noqa: S506 (a safe loader)
    return loaded


def derive(spec_bytes: bytes) -> dict[str, Any]:
    """The compact document: `paths` with only parameters and request bodies, and their schema closure."""
    spec = load_spec(spec_bytes)
    reached: set[str] = set()
    paths: dict[str, Any] = {}
    for template, item in spec["paths"].items():
        shared = item.get("parameters", [])
        operations: dict[str, Any] = {}
        for method in _METHODS:
            if method not in item:
                continue
            operation = item[method]
            compact: dict[str, Any] = {"operationId": operation["operationId"]}
            parameters = [_parameter(p, reached) for p in [*shared, *operation.get("parameters", [])]]
            if parameters:
                compact["parameters"] = parameters
            if "requestBody" in operation:
                compact["requestBody"] = _request_body(operation["requestBody"], reached)
            operations[method] = compact
        paths[template] = operations
    schemas = spec["components"]["schemas"]
    closure: dict[str, Any] = {}
    pending = sorted(reached)
    while pending:
        name = pending.pop()
        if name in closure:
            continue
        found: set[str] = set()
        closure[name] = _schema(schemas[name], found)
        pending += sorted(found - closure.keys())
    return {
        "source": {
            "file": SPEC_FILE.name,
            "sha256": hashlib.sha256(spec_bytes).hexdigest(),
            "upstream": spec["info"].get("x-subset-source", {}),
        },
        "paths": paths,
        "components": {"schemas": closure},
    }


def render(document: dict[str, Any]) -> str:
    """Stable text: sorted keys, one item per line, so a spec update shows as a readable diff."""
    return json.dumps(document, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def _parameter(parameter: dict[str, Any], reached: set[str]) -> dict[str, Any]:
    kept: dict[str, Any] = {
        k: parameter[k] for k in ("name", "in", "required", "style", "explode") if k in parameter
    }
    kept["schema"] = _schema(parameter.get("schema", {}), reached)
    return kept


def _request_body(body: dict[str, Any], reached: set[str]) -> dict[str, Any]:
    return {
        "required": bool(body.get("required", False)),
        "content": {
            media: {"schema": _schema(entry.get("schema", {}), reached)}
            for media, entry in body["content"].items()
        },
    }


def _schema(schema: Any, reached: set[str]) -> Any:
    """A copy with only the assertions; records the component names its `$ref`s name."""
    if isinstance(schema, bool):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in _ONE:
            out[key] = _schema(value, reached)
        elif key in _MANY:
            out[key] = [_schema(v, reached) for v in value]
        elif key in _NAMED:
            out[key] = {name: _schema(v, reached) for name, v in value.items()}
        elif key in _ASSERTIONS:
            if key == "$ref":
                if not value.startswith(_COMPONENT):
                    raise ValueError(f"unsupported $ref {value!r}: only {_COMPONENT}* is derived")
                reached.add(value.removeprefix(_COMPONENT))
            out[key] = value
        elif key not in _ANNOTATIONS and not key.startswith("x-"):
            # A keyword this derivation does not know could change validation: refuse to drop it.
            raise ValueError(f"unknown schema keyword {key!r}: teach derive.py whether it validates")
    return out


def main() -> int:
    REQUESTS_FILE.write_text(render(derive(SPEC_FILE.read_bytes())), encoding="utf-8")
    print(f"wrote {REQUESTS_FILE}")  # noqa: T201
    return 0


if __name__ == "__main__":
    sys.exit(main())
