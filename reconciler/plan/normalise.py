"""Live objects to neutral specs, so they compare with desired specs field by field.

Platform ids in references are mapped back to manifest names through the inventory; an id we do not know
stays visible as `id:<id>` so the diff shows it rather than hiding it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.model import labels
from reconciler.model.live import LiveAssistant, LiveSpendAlert, LiveSpendLimit, LiveVectorStore
from reconciler.model.specs import DEFAULT_RESPONSE_FORMAT, DEFAULT_TEMPERATURE, DEFAULT_TOP_P


def assistant_spec(
    live: LiveAssistant, store_names: Mapping[str, str], file_paths: Mapping[str, str]
) -> dict[str, Any]:
    return {
        "name": labels_name(live.metadata) or live.name,
        "model": live.model,
        "instructions": live.instructions or "",
        "description": live.description,
        "tools": list(live.tools),  # shared dicts (`model.interning`), as the desired spec's are
        "file_search_vector_stores": sorted(
            store_names.get(i, f"id:{i}") for i in live.file_search_vector_store_ids
        ),
        "code_interpreter_files": sorted(
            file_paths.get(i, f"id:{i}") for i in live.code_interpreter_file_ids
        ),
        "temperature": DEFAULT_TEMPERATURE if live.temperature is None else live.temperature,
        "top_p": DEFAULT_TOP_P if live.top_p is None else live.top_p,
        "response_format": live.response_format or DEFAULT_RESPONSE_FORMAT,
        "reasoning_effort": live.reasoning_effort,
        "metadata": labels.user_metadata(live.metadata),
    }


def labels_name(metadata: Mapping[str, str]) -> str | None:
    return metadata.get(labels.NAME)


def vector_store_spec(live: LiveVectorStore, chunking: Mapping[str, Any]) -> dict[str, Any]:
    # Chunking is a per-attachment setting the platform does not report on the store; it is carried
    # over from the desired spec so that it never shows as a phantom difference.
    return {
        "name": labels_name(live.metadata) or live.name,
        "expires_after_days": live.expires_after_days,
        "metadata": labels.user_metadata(live.metadata),
        "chunking": dict(chunking),
    }


def spend_alert_spec(live: LiveSpendAlert) -> dict[str, Any]:
    return {
        "scope": live.scope,
        "threshold_cents": live.threshold_cents,
        "interval": live.interval,
        "emails": sorted(live.emails),
        "subject_prefix": live.subject_prefix,
    }


def spend_limit_spec(live: LiveSpendLimit) -> dict[str, Any]:
    return {"scope": live.scope, "amount_cents": live.amount_cents, "interval": live.interval}
