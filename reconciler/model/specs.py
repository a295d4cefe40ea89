"""Neutral specs: the comparable, JSON-shaped form of each desired resource, with platform defaults filled.

Desired state and live state are both turned into these dicts, so a plan is a diff of like with like and an
applied manifest never shows a diff afterwards. References stay symbolic (vector stores by name, files by
path); the executor resolves them to platform ids.
"""

from __future__ import annotations

import json
from typing import Any

from reconciler.model.canonical import fingerprint
from reconciler.model.desired import Assistant, BuiltinTool, FunctionTool, SpendAlert, SpendLimit, VectorStore
from reconciler.model.interning import SHARED, IdentityMemo, spec_fingerprint

# Defaults the platform echoes for fields a manifest leaves out.
DEFAULT_TEMPERATURE = 1.0
DEFAULT_TOP_P = 1.0
DEFAULT_RESPONSE_FORMAT: str = "auto"

# Fields of an assistant spec that do not change behaviour (issue: fingerprints apart from metadata).
NON_BEHAVIOURAL = ("description", "metadata", "name")


def _function_spec(tool: FunctionTool) -> dict[str, Any]:
    # Interning copies the value through JSON, so the schema comes out as plain data (lists, not tuples).
    return SHARED.intern(
        {
            "type": "function",
            "name": tool.name,
            "description": tool.description,
            "parameters": tool.parameters,
            "strict": tool.strict,
        }
    )


# A catalogue tool is one FunctionTool object however many assistants use it: its spec is made once,
# and is the same shared object as the platform's copy of it (`targets.wire`).
_function_specs = IdentityMemo(_function_spec)
_BUILTIN_SPECS = {b: SHARED.intern({"type": b.value}) for b in BuiltinTool}


def assistant_spec(assistant: Assistant) -> dict[str, Any]:
    """The neutral spec. Its tool dicts are shared (`model.interning`): read them, never change them."""
    tools = [_function_specs(f) for f in assistant.functions]
    tools.extend(_BUILTIN_SPECS[b] for b in assistant.builtins)
    return {
        "name": assistant.name,
        "model": assistant.model,
        "instructions": assistant.instructions,
        "description": assistant.description,
        "tools": tools,
        "file_search_vector_stores": sorted(assistant.file_search_vector_stores),
        "code_interpreter_files": sorted(f.path for f in assistant.code_interpreter_files),
        "temperature": DEFAULT_TEMPERATURE if assistant.temperature is None else assistant.temperature,
        "top_p": DEFAULT_TOP_P if assistant.top_p is None else assistant.top_p,
        "response_format": _plain(assistant.response_format) or DEFAULT_RESPONSE_FORMAT,
        "reasoning_effort": assistant.reasoning_effort,
        "metadata": dict(assistant.metadata),
    }


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
    return {
        "name": store.name,
        "expires_after_days": store.expires_after_days,
        "metadata": dict(store.metadata),
        "chunking": chunking,
    }


def spend_alert_spec(alert: SpendAlert) -> dict[str, Any]:
    return {
        "scope": alert.scope,
        "threshold_cents": alert.threshold_cents,
        "interval": alert.interval,
        "emails": sorted(alert.emails),
        "subject_prefix": alert.subject_prefix,
    }


def spend_limit_spec(limit: SpendLimit) -> dict[str, Any]:
    return {"scope": limit.scope, "amount_cents": limit.amount_cents, "interval": limit.interval}
