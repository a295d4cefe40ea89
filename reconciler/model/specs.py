"""Neutral specs: the comparable, JSON-shaped form of each desired resource, with platform defaults filled.

Desired state and live state are both turned into these dicts, so a plan is a diff of like with like and an
applied manifest never shows a diff afterwards. References stay symbolic (vector stores by name, files by
path); the executor resolves them to platform ids.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from reconciler.model import fields
from reconciler.model.canonical import fingerprint
from reconciler.model.desired import Assistant, BuiltinTool, FunctionTool, SpendAlert, SpendLimit, VectorStore
from reconciler.model.interning import SHARED, IdentityMemo, spec_fingerprint

# Fields of an assistant spec that do not change behaviour (issue: fingerprints apart from metadata).
NON_BEHAVIOURAL = fields.neutral_keys(fields.ASSISTANT, fields.Role.METADATA)


def function_tool_spec(values: Mapping[str, Any]) -> dict[str, Any]:
    """The neutral (shared, `model.interning`) dict of a function tool, from its fields by neutral key:
    a manifest's tool and the platform's copy of it (`targets.wire`) both come through here."""
    # Interning copies the value through JSON, so the schema comes out as plain data (lists, not tuples).
    return SHARED.intern({"type": "function", **fields.neutral_spec(fields.FUNCTION_TOOL, values)})


def _function_spec(tool: FunctionTool) -> dict[str, Any]:
    return function_tool_spec(fields.values_of(tool))


# A catalogue tool is one FunctionTool object however many assistants use it: its spec is made once,
# and is the same shared object as the platform's copy of it (`targets.wire`).
_function_specs = IdentityMemo(_function_spec)
_BUILTIN_SPECS = {b: SHARED.intern({"type": b.value}) for b in BuiltinTool}


def assistant_spec(assistant: Assistant) -> dict[str, Any]:
    """The neutral spec. Its tool dicts are shared (`model.interning`): read them, never change them."""
    tools = [_function_specs(f) for f in assistant.functions]
    tools.extend(_BUILTIN_SPECS[b] for b in assistant.builtins)
    values = fields.values_of(assistant)  # the model's fields, by name: the neutral keys of the table
    values["tools"] = tools
    values["code_interpreter_files"] = [f.path for f in assistant.code_interpreter_files]
    values["response_format"] = _plain(assistant.response_format)
    return fields.neutral_spec(fields.ASSISTANT, values)


def _plain(value: Any) -> Any:
    """JSON data as the platform returns it: tuples from frozen models become lists."""
    return json.loads(json.dumps(value)) if value is not None else None


def behaviour_fingerprint(spec: dict[str, Any]) -> str:
    """Hash of what changes an assistant's behaviour: everything but name, description and metadata."""
    return spec_fingerprint({k: v for k, v in spec.items() if k not in NON_BEHAVIOURAL})


def metadata_fingerprint(spec: dict[str, Any]) -> str:
    return fingerprint({k: spec.get(k) for k in NON_BEHAVIOURAL})


def vector_store_spec(store: VectorStore) -> dict[str, Any]:
    chunking: dict[str, Any] = {"type": store.chunking.type}
    if store.chunking.type == "static":
        chunking["max_chunk_size_tokens"] = store.chunking.max_chunk_size_tokens
        chunking["chunk_overlap_tokens"] = store.chunking.chunk_overlap_tokens
    return fields.neutral_spec(fields.VECTOR_STORE, {**fields.values_of(store), "chunking": chunking})


def spend_alert_spec(alert: SpendAlert) -> dict[str, Any]:
    return fields.neutral_spec(fields.SPEND_ALERT, fields.values_of(alert))


def spend_limit_spec(limit: SpendLimit) -> dict[str, Any]:
    return fields.neutral_spec(fields.SPEND_LIMIT, fields.values_of(limit))
